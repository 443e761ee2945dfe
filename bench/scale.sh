#!/usr/bin/env bash
# How Tally's time grows with the district: 100k, 1M and 3M students, Tally alone, alternating,
# median of 5. Generates the districts under bench/data/ on first use (3M: about 1.9 GB).
# Usage: bench/scale.sh [--reps R] [--students "100000 1000000 3000000"] [--case realistic|rewritten|easy]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=5
sizes="100000 1000000 3000000"
case=realistic
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --students) sizes="$2"; shift 2 ;;
    --case) case="$2"; shift 2 ;;
    *) echo "usage: bench/scale.sh [--reps R] [--students \"N1 N2 ...\"] [--case realistic|rewritten|easy]"; exit 2 ;;
  esac
done
swift build -c release --product tally
folders=()
for n in $sizes; do
  folders+=("$(pwd)/$(bench/district.sh "$n" "$case")")
done
python3 bench/scale.py --reps "$reps" --data "${folders[@]}"
