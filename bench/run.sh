#!/usr/bin/env bash
# The engine benchmark in one command: generates the district, builds Tally in release mode,
# installs pandas, polars and DuckDB into bench/.venv, and runs the standard workload in each,
# alternating, median of 3. Usage: bench/run.sh [--students N] [--reps R] [--case realistic|rewritten|easy]
# CASE (bench/district.sh): realistic (the default) is `tally sample calpads` as it comes — a Local
# Record ID per record, hundreds of thousands of street lines, thousands of names; rewritten is that
# district redrawn by bench/realistic.py; easy is the low-cardinality data the sample had before,
# kept as a second, named case.
set -euo pipefail
cd "$(dirname "$0")/.."
students=1000000
reps=3
case=realistic
while [ $# -gt 0 ]; do
  case "$1" in
    --students) students="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --case) case="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--students N] [--reps R] [--case realistic|rewritten|easy]"; exit 2 ;;
  esac
done
swift build -c release --product tally
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q pandas polars duckdb
fi
data=$(bench/district.sh "$students" "$case")
mkdir -p bench/results
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(.build/release/tally --version 2>/dev/null || echo tally); $(bench/.venv/bin/python -c 'import polars, duckdb, pandas; print("polars", polars.__version__, "duckdb", duckdb.__version__, "pandas", pandas.__version__)')"
bench/.venv/bin/python bench/run.py --data "$(pwd)/$data" --reps "$reps" --python bench/.venv/bin/python \
  --markdown "bench/results/latest-$students-$case.md"
