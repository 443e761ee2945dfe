"""The standard workload in pandas (all fields read as text)."""
import sys, os, csv
import pandas as pd
from common import SENR, SINF, DEMOGRAPHICS

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def read(name, columns):
    return pd.read_csv(f"{data}/{name}.txt", sep="^", header=None, names=columns, dtype=str, quoting=csv.QUOTE_NONE,
                       keep_default_na=False, na_values=[""])
senr = read("SENR", SENR)
sinf = read("SINF", SINF)
primary = senr[(senr["EnrollmentStatusCode"] == "10") & senr["EnrollmentSchoolExitDate"].isna()]
joined = primary.merge(sinf[DEMOGRAPHICS], on="SSID", how="inner")
counts = primary.groupby(["SchoolOfAttendance", "GradeLevelCode"]).size().reset_index(name="students")
missing = pd.DataFrame({"SSID": sorted(set(primary["SSID"]) - set(sinf["SSID"]))})
sizes = primary.groupby("SSID").size()
duplicates = pd.DataFrame({"SSID": sorted(sizes[sizes > 1].index)})
counts.to_csv(f"{out}/counts.csv", index=False)
missing.to_csv(f"{out}/missing.csv", index=False)
duplicates.to_csv(f"{out}/duplicates.csv", index=False)
joined.to_csv(f"{out}/joined.csv", index=False)
