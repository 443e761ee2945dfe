"""The standard workload in polars (lazy where it helps, all fields read as text)."""
import sys, os
import polars as pl
from common import SENR, SINF, DEMOGRAPHICS

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def read(name, columns):
    return pl.read_csv(f"{data}/{name}.txt", separator="^", has_header=False, new_columns=columns,
                       infer_schema=False, quote_char=None, truncate_ragged_lines=False)
senr = read("SENR", SENR)
sinf = read("SINF", SINF)
primary = senr.filter((pl.col("EnrollmentStatusCode") == "10") & pl.col("EnrollmentSchoolExitDate").is_null())
joined = primary.join(sinf.select(DEMOGRAPHICS), on="SSID", how="inner")
counts = primary.group_by(["SchoolOfAttendance", "GradeLevelCode"]).agg(pl.len().alias("students")).sort(["SchoolOfAttendance", "GradeLevelCode"])
missing = primary.join(sinf.select("SSID"), on="SSID", how="anti").select("SSID").unique().sort("SSID")
duplicates = primary.group_by("SSID").agg(pl.len().alias("n")).filter(pl.col("n") > 1).select("SSID").sort("SSID")
counts.write_csv(f"{out}/counts.csv")
missing.write_csv(f"{out}/missing.csv")
duplicates.write_csv(f"{out}/duplicates.csv")
joined.write_csv(f"{out}/joined.csv")
