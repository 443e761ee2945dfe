#!/usr/bin/env bash
# Validation against loading (issue #27, item 3): generates a district with `tally sample calpads
# --year Y`, loads SENR, SINF, SPRG and SELA and validates each with the files its cross-file
# rules read (`tally rules TYPE` lists them; those the district has), in ONE `tally run`, and
# prints each file's load time, validate time and their ratio — the cells' own times as the
# notebook prints them, median of the repetitions. Not part of `swift test`.
# Usage: bench/validate.sh [--students N] [--reps R] [--year Y] [--tally PATH]
#   --tally PATH uses that binary instead of building `.build/release/tally`
#   (e.g. a clone's `--scratch-path` build: .build-release/release/tally).
set -euo pipefail
cd "$(dirname "$0")/.."
students=1000000
reps=3
year=2025-2026
tally=""
while [ $# -gt 0 ]; do
  case "$1" in
    --students) students="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --year) year="$2"; shift 2 ;;
    --tally) tally="$2"; shift 2 ;;
    *) echo "usage: bench/validate.sh [--students N] [--reps R] [--year Y] [--tally PATH]"; exit 2 ;;
  esac
done
if [ -z "$tally" ]; then
  swift build -c release --product tally
  tally=.build/release/tally
fi
tally=$(cd "$(dirname "$tally")" && pwd)/$(basename "$tally")
data="bench/data/validate-$students-$year"
if [ ! -f "$data/SELA.txt" ]; then
  "$tally" sample calpads --students "$students" --seed 1 --year "$year" --out "$data" > /dev/null
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $("$tally" --version 2>/dev/null || echo tally); $(uptime | sed 's/.*load/load/')"
python3 bench/validate.py --tally "$tally" --data "$(pwd)/$data" --year "$year" --reps "$reps"
