#!/usr/bin/env bash
# Tally in Neovim, end to end: Debian's Neovim (apt-get install neovim; 0.7 or later) runs
# headless with editors/nvim/init.lua against `tally lsp` on a generated district, and
# Tests/editor/test.lua checks what a user would see: no diagnostics on the README's example, a
# misspelt column's diagnostic with its suggestion and the code action that fixes it, column
# completion, hover, formatting, and the last run's rows as inlay hints. One line per check;
# exit non-zero on any failure. Everything is given 60 s so CI cannot hang.
# Usage: Tests/editor/run.sh [TALLY_BINARY]   (default .build/debug/tally)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
tally="$(realpath "${1:-.build/debug/tally}")"
command -v nvim >/dev/null || { echo "FAIL nvim not found (apt-get install neovim)"; exit 2; }

if [ -z "${TALLY_EDITOR_TIMED:-}" ]; then
  status=0
  TALLY_EDITOR_TIMED=1 timeout -k 5 60 "$0" "$tally" || status=$?
  [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && echo "FAIL the editor test did not finish in 60 s"
  exit "$status"
fi

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$tally" sample calpads --out "$dir/data" > /dev/null
cp playbooks/census_day.playbook "$dir/"
# A playbook as someone might type it; tally fmt's answer is what formatting must give.
cat > "$dir/badly_indented.playbook" <<'PLAYBOOK'
playbook   "Kindergarten"
load senr from "data/SENR.txt" as calpads SENR
kinder = senr | filter GradeLevelCode == "KN" |   filter EnrollmentStatusCode in ("10", "30") | select SSID, SchoolOfAttendance
assert   kinder   is not empty
        message "no kindergarten"   # planted?
PLAYBOOK
mkdir "$dir/fmt"
cp "$dir/badly_indented.playbook" "$dir/fmt/expected_format.playbook"
"$tally" fmt "$dir/fmt/expected_format.playbook" > /dev/null
mv "$dir/fmt/expected_format.playbook" "$dir/"

cd "$dir"
# Neovim's own files (log, shada, swap) stay in the temporary folder.
export XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" XDG_STATE_HOME="$dir/xdg/state" \
  XDG_CACHE_HOME="$dir/xdg/cache" TALLY="$tally"
status=0
nvim --headless -i NONE -n --cmd "let g:tally_cmd = [\$TALLY, 'lsp']" -u "$repo/editors/nvim/init.lua" \
  -c "luafile $repo/Tests/editor/test.lua" < /dev/null || status=$?
if [ "$status" -ne 0 ]; then
  log="$(find "$dir/xdg" -name lsp.log 2>/dev/null | head -1)"
  [ -n "$log" ] && { echo "--- the end of Neovim's lsp.log:"; tail -20 "$log"; }
  echo "editor test: $status check(s) failed"
  exit 1
fi
echo "editor test: every check passed"
