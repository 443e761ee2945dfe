"""Reads back the worklists of worklists.playbook: every row of the findings, computed again with
pandas, must be in the school's CSV folder and on the school's sheet of the workbook (openpyxl).

Usage: python worklists.py DATA_FOLDER TALLY_OUT_FOLDER CENSUS_DAY
"""
import os
import sys
from datetime import datetime

import openpyxl
import pandas as pd

data, out, census_day = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])
senr = pd.read_csv(f"{data}/SENR.txt", sep="^", header=None, dtype=str, keep_default_na=False)
sis = pd.read_csv(f"{data}/sis_enrollment.csv", dtype=str, keep_default_na=False)
sis["EntryDate"] = pd.to_datetime(sis.EntryDate, format="%m/%d/%Y", errors="coerce")
sis["ExitDate"] = pd.to_datetime(sis.ExitDate.replace("", None), format="%m/%d/%Y", errors="coerce")
open_ = sis[(sis.EntryDate <= census_day) & (sis.ExitDate.isna() | (sis.ExitDate > census_day))]
findings = open_[~open_.SSID.isin(set(senr[7]))]
expected = {}
for row in findings.itertuples():
    days = (census_day - row.EntryDate).days
    expected.setdefault(row.School, set()).add((row.SSID, row.Grade, row.EntryDate.strftime("%Y-%m-%d"), row.LastName, row.FirstName, days))

failed = False
header = ["SSID", "SchoolOfAttendance", "Grade", "EntryDate", "LastName", "FirstName", "days_enrolled"]
folders = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
if folders != sorted(expected):
    print(f"CSV folders {folders}, expected one per school {sorted(expected)}")
    failed = True
workbook = openpyxl.load_workbook(f"{out}/findings.xlsx")
if workbook.sheetnames != sorted(expected):
    print(f"sheets {workbook.sheetnames}, expected {sorted(expected)}")
    failed = True
rows_read = 0
for school, want in sorted(expected.items()):
    csv = pd.read_csv(f"{out}/{school}/findings.csv", dtype=str, keep_default_na=False)
    got = {(r.SSID, r.Grade, r.EntryDate, r.LastName, r.FirstName, int(r.days_enrolled)) for r in csv.itertuples()}
    if list(csv.columns) != header or got != want or set(csv.SchoolOfAttendance) != {school}:
        print(f"{school}/findings.csv differs: {sorted(got ^ want)[:5]}")
        failed = True
    sheet = workbook[school]
    values = list(sheet.iter_rows(values_only=True))
    if list(values[0]) != header:
        print(f"sheet {school} header {values[0]}")
        failed = True
    if sheet.freeze_panes != "A2":
        print(f"sheet {school}: the header row is not frozen ({sheet.freeze_panes})")
        failed = True
    got = set()
    for v in values[1:]:
        rows_read += 1
        # Dates are dates and numbers are numbers in the workbook, not text.
        if not isinstance(v[3], datetime) or not isinstance(v[6], int):
            print(f"sheet {school}: EntryDate {v[3]!r} / days_enrolled {v[6]!r} are not a date and a number")
            failed = True
        got.add((v[0], v[2], v[3].strftime("%Y-%m-%d") if isinstance(v[3], datetime) else v[3], v[4], v[5], v[6]))
    if got != want:
        print(f"sheet {school} differs: {sorted(got ^ want, key=str)[:5]}")
        failed = True
summary = openpyxl.load_workbook(f"{out}/summary.xlsx")
if summary.sheetnames != ["by_school", "findings"]:
    print(f"summary.xlsx sheets {summary.sheetnames}, expected a sheet per table: by_school, findings")
    failed = True
else:
    counts = {r[0]: r[1] for r in list(summary["by_school"].iter_rows(values_only=True))[1:]}
    if counts != {school: len(want) for school, want in expected.items()}:
        print(f"summary.xlsx by_school {counts}")
        failed = True
    listed = len(list(summary["findings"].iter_rows(values_only=True))) - 1
    if listed != sum(len(w) for w in expected.values()):
        print(f"summary.xlsx findings has {listed} rows")
        failed = True
total = sum(len(w) for w in expected.values())
print(f"worklists: {total} findings in {len(expected)} school folders and sheets; openpyxl read back {rows_read} rows"
      + (", identical" if not failed else ""))
if total == 0:
    print("the generated data has no findings: nothing was tested")
    failed = True
sys.exit(1 if failed else 0)
