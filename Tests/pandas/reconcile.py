"""The reconciliation of reconciliation.playbook, computed with pandas, compared with Tally's exports.

Usage: python reconcile.py DATA_FOLDER TALLY_OUT_FOLDER CENSUS_DAY
Exits 1, printing the differences, when pandas and Tally disagree on any row.
"""
import sys

import numpy as np
import pandas as pd

data, out, census_day = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])

# SENR: caret-delimited, no header; fields by their position in the CALPADS layout
# (1.05 SchoolOfAttendance, 1.08 SSID, 1.22 start date, 1.23 status, 1.24 grade, 1.25 exit date).
senr = pd.read_csv(f"{data}/SENR.txt", sep="^", header=None, dtype=str, keep_default_na=False)
senr = pd.DataFrame({
    "SSID": senr[7], "SchoolOfAttendance": senr[4],
    "start": pd.to_datetime(senr[21], format="%Y%m%d", errors="coerce"),
    "status": senr[22], "GradeLevelCode": senr[23],
    "exit": pd.to_datetime(senr[24].replace("", None), format="%Y%m%d", errors="coerce"),
})
state = senr[(senr.status == "10") & (senr.start <= census_day)]
state = state[state.exit.isna() | (state.exit > census_day)][["SSID", "SchoolOfAttendance", "GradeLevelCode"]]

sis = pd.read_csv(f"{data}/sis_enrollment.csv", dtype=str, keep_default_na=False)
sis["EntryDate"] = pd.to_datetime(sis.EntryDate, format="%m/%d/%Y", errors="coerce")
sis["ExitDate"] = pd.to_datetime(sis.ExitDate.replace("", None), format="%m/%d/%Y", errors="coerce")
local = sis[(sis.EntryDate <= census_day) & (sis.ExitDate.isna() | (sis.ExitDate > census_day))][["SSID", "School", "Grade"]]

students = local.merge(state, on="SSID", how="outer")
students["status"] = np.select(
    [students.SchoolOfAttendance.isna(), students.School.isna(),
     students.School != students.SchoolOfAttendance, students.Grade != students.GradeLevelCode],
    ["only in SIS", "only in SENR", "school differs", "grade differs"], default="ok")
students["school"] = students.School.combine_first(students.SchoolOfAttendance)
students["grade"] = students.Grade.combine_first(students.GradeLevelCode)
students = students[["SSID", "school", "grade", "status"]]
by_school = students.groupby(["school", "status"]).size().reset_index(name="students")


def rows(frame):
    return sorted(tuple("" if pd.isna(v) else str(v) for v in row) for row in frame.itertuples(index=False))


failed = False
for name, expected in [("students", students), ("by_school", by_school)]:
    tally = pd.read_csv(f"{out}/{name}.csv", dtype=str, keep_default_na=False)
    if list(tally.columns) != list(expected.columns):
        print(f"{name}: Tally's columns {list(tally.columns)}, pandas' {list(expected.columns)}")
        failed = True
        continue
    a, b = rows(tally), rows(expected)
    if a != b:
        failed = True
        only_tally = sorted(set(a) - set(b))[:10]
        only_pandas = sorted(set(b) - set(a))[:10]
        print(f"{name}: Tally {len(a)} rows, pandas {len(b)}; only Tally: {only_tally}; only pandas: {only_pandas}")
    else:
        print(f"{name}: {len(a)} rows, identical")

counts = students.status.value_counts()
print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
# The comparison means something only if the data exercises every branch of the case.
missing = {"ok", "only in SIS", "only in SENR", "school differs", "grade differs"} - set(counts.index)
if missing:
    print(f"the generated data has no {sorted(missing)}: the comparison would not test those branches")
    failed = True
sys.exit(1 if failed else 0)
