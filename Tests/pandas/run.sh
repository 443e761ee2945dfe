#!/usr/bin/env bash
# A reconciliation written with join full, case and coalesce, run by Tally and again by pandas
# on generated districts, must give the same rows; worklists exported per school as CSV folders and
# an xlsx workbook are read back with pandas and openpyxl, and opened in LibreOffice. Installs both into Tests/pandas/.venv (once).
# Usage: Tests/pandas/run.sh [TALLY_BINARY]   (default .build/debug/tally)
set -euo pipefail
cd "$(dirname "$0")/../.."
tally="${1:-.build/debug/tally}"
if [ ! -x Tests/pandas/.venv/bin/python ]; then
  python3 -m venv Tests/pandas/.venv
  Tests/pandas/.venv/bin/pip install -q pandas openpyxl
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for district in "3000 5" "20000 42"; do
  set -- $district
  "$tally" sample calpads --students "$1" --seed "$2" --out "$work/data-$2" > /dev/null
  "$tally" run Tests/pandas/reconciliation.playbook --no-store \
    --param data="$work/data-$2" --param out="$work/out-$2" > "$work/run-$2.txt"
  echo "district of $1 students (seed $2):"
  Tests/pandas/.venv/bin/python Tests/pandas/reconcile.py "$work/data-$2" "$work/out-$2" 2024-10-02
  # Worklists: a CSV folder per school and a workbook with a sheet per school, read back.
  "$tally" run Tests/pandas/worklists.playbook --no-store \
    --param data="$work/data-$2" --param out="$work/lists-$2" > "$work/lists-$2.txt"
  Tests/pandas/.venv/bin/python Tests/pandas/worklists.py "$work/data-$2" "$work/lists-$2" 2024-10-02
  # The workbook opens in LibreOffice: each sheet, saved by LibreOffice as CSV, is the school's CSV
  # worklist byte for byte (dates shown as yyyy-mm-dd, numbers as numbers).
  soffice --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' \
    --outdir "$work/lo-$2" "$work/lists-$2/findings.xlsx" > /dev/null 2>&1
  sheets=0
  for school in "$work/lists-$2"/*/; do
    school="$(basename "$school")"
    if ! cmp -s <(tr -d '\r' < "$work/lo-$2/findings-$school.csv") "$work/lists-$2/$school/findings.csv"; then
      echo "LibreOffice's sheet $school differs from $school/findings.csv:"
      diff <(tr -d '\r' < "$work/lo-$2/findings-$school.csv") "$work/lists-$2/$school/findings.csv" | head -5 || true
      exit 1
    fi
    sheets=$((sheets + 1))
  done
  echo "LibreOffice opened findings.xlsx: $sheets sheets, each identical to its school's CSV"
done
echo "pandas differential test: passed"
