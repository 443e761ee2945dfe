#!/usr/bin/env bash
# Generates (on first use) and names the folder of a benchmark district: bench/district.sh N CASE
#   realistic (the default): `tally sample calpads --students N --seed 1` as it comes, in
#     bench/data/N-sample — since the sample was made realistic: a Local Record ID per record,
#     hundreds of thousands of street lines, thousands of names;
#   rewritten: that district with its names, addresses, birth dates and Local Record IDs redrawn by
#     bench/realistic.py (bench/data/N-rewritten): real-world cardinality that does not depend on
#     the sample generator (the table in docs/PERFORMANCE.md was first measured on it);
#   easy: the same district collapsed to the low cardinality the sample had before (a few dozen
#     names, one street, one city: bench/data/N-easy) — the case on which Tally's lead came easily.
# TALLY=PATH generates with another build (default: .build/release/tally).
# Prints the folder; writes the distinct counts of its key columns to stderr and cardinality.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n="$1"; case="${2:-realistic}"
base="bench/data/$n-sample"
if [ ! -f "$base/SINF.txt" ]; then
  "${TALLY:-.build/release/tally}" sample calpads --students "$n" --seed 1 --out "$base" > /dev/null
fi
case "$case" in
  realistic) out="$base" ;;
  rewritten|easy)
    out="bench/data/$n-$case"
    flag=""; [ "$case" = easy ] && flag="--easy"
    if [ ! -f "$out/SINF.txt" ]; then python3 bench/realistic.py $flag "$base" "$out" > /dev/null; fi ;;
  *) echo "unknown case $case (realistic, rewritten or easy)" >&2; exit 2 ;;
esac
if [ ! -f "$out/cardinality.md" ]; then python3 bench/realistic.py --cardinality "$out" > "$out/cardinality.md"; fi
echo "$case district, $n students (distinct values per key column):" >&2
cat "$out/cardinality.md" >&2
echo "$out"
