#!/usr/bin/env bash
# A reconciliation written with join full, case and coalesce, run by Tally and again by pandas
# on generated districts, must give the same rows; worklists exported per school as CSV folders and
# an xlsx workbook are read back with pandas and openpyxl. Installs both into Tests/pandas/.venv (once).
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
done
echo "pandas differential test: passed"
