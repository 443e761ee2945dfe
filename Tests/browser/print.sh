#!/usr/bin/env bash
# The HTML report printed to PDF by headless Chromium (what goes in the audit folder): the verdict
# is on the first page, and every failing row is on paper, including those the screen keeps in
# collapsed pages of 200. Needs chromium and pdftotext (apt-get install chromium poppler-utils).
# Usage: Tests/browser/print.sh [TALLY_BINARY]   (default .build/debug/tally)
set -euo pipefail
cd "$(dirname "$0")/../.."
tally="$(realpath "${1:-.build/debug/tally}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$tally" sample calpads --students 3000 --seed 11 --out "$work/data" > /dev/null
cat > "$work/print.playbook" <<'PLAYBOOK'
playbook "Census Day QA on paper"
load senr from "data/SENR.txt" as calpads SENR
assert senr: GradeLevelCode != "12"
  message "twelfth graders to review"
  id "grade-12"
PLAYBOOK
status=0
(cd "$work" && "$tally" run print.playbook --no-store --report rep > run.txt) || status=$?
if [ "$status" -ne 1 ]; then echo "the print playbook exited $status, expected 1 (a failed check)"; exit 1; fi
# Field 24 of SENR is GradeLevelCode.
failing=$(awk -F'^' '$24 == "12"' "$work/data/SENR.txt" | wc -l)
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$work/report.pdf" \
  "file://$work/rep/report.html" > /dev/null 2>&1
pdftotext -layout "$work/report.pdf" "$work/report.txt"
pdftotext -f 1 -l 1 "$work/report.pdf" "$work/page1.txt"
if ! grep -q "Not ready to certify: 1 blocking problem" "$work/page1.txt"; then
  echo "the first page of the PDF does not give the verdict:"; head -20 "$work/page1.txt"; exit 1
fi
printed=$(grep -o 'data/SENR.txt:[0-9]*' "$work/report.txt" | sort -u | wc -l)
if [ "$failing" -le 210 ] || [ "$printed" -ne "$failing" ]; then
  echo "the PDF lists $printed failing rows by file and line; the data has $failing twelfth graders"; exit 1
fi
pages=$(pdfinfo "$work/report.pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
echo "PDF: verdict on page 1; all $printed failing rows printed with file and line ($pages pages)"
