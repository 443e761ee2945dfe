#!/usr/bin/env bash
# Generates (on first use) and names the folder of a benchmark district: bench/district.sh N CASE
# prints bench/data/N (CASE sample: `tally sample calpads` as it comes) or bench/data/N-realistic
# (CASE realistic: the same district rewritten by bench/realistic.py to real-world cardinality),
# and writes the distinct counts of its key columns to stderr and to cardinality.md beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
n="$1"; case="${2:-realistic}"
base="bench/data/$n"
if [ ! -f "$base/SINF.txt" ]; then
  .build/release/tally sample calpads --students "$n" --seed 1 --out "$base" > /dev/null
fi
case "$case" in
  sample) out="$base" ;;
  realistic)
    out="$base-realistic"
    if [ ! -f "$out/SINF.txt" ]; then python3 bench/realistic.py "$base" "$out" > /dev/null; fi ;;
  *) echo "unknown case $case (realistic or sample)" >&2; exit 2 ;;
esac
if [ ! -f "$out/cardinality.md" ]; then python3 bench/realistic.py --cardinality "$out" > "$out/cardinality.md"; fi
echo "$case district, $n students (distinct values per key column):" >&2
cat "$out/cardinality.md" >&2
echo "$out"
