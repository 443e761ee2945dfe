#!/usr/bin/env bash
# The Airflow integration, tested the way a county would run it:
#   scripts/with-postgres.sh integrations/airflow/test.sh .build/debug/tally [LEAS]
# installs Apache Airflow from PyPI into a virtual environment (once; SQLite metadata,
# standalone), generates LEAS sample districts (default 20; every fourth with the sample's
# planted defects, the others clean), and runs the example DAG with `airflow dags test` into a
# new database on the with-postgres.sh server. It then checks Airflow's task states (the
# defective LEAs' tasks failed, the others succeeded, the summary ran) and the shared ledger
# (every LEA's run recorded exactly once), and prints the wall time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tally=$(realpath "$1")
count=${2:-20}
venv=${TALLY_AIRFLOW_VENV:-${TMPDIR:-/tmp}/tally-airflow-venv}
if [ ! -x "$venv/bin/airflow" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "apache-airflow==3.3.2"
fi
: "${TALLY_TEST_POSTGRES_SOCKET:?run inside scripts/with-postgres.sh}"

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT; echo "work: $work"
database="airflow_$(date +%s)_$$"
psql -h "$TALLY_TEST_POSTGRES_SOCKET" -p "$TALLY_TEST_POSTGRES_PORT" -U postgres -q -c "CREATE DATABASE $database OWNER tally"
export TALLY_STORE="postgres://tally@127.0.0.1:$TALLY_TEST_POSTGRES_PORT/$database"

echo "lea,data" > "$work/leas.csv"
for k in $(seq 1 "$count"); do
  mode=none; [ $((k % 4)) -eq 0 ] && mode=defects
  # TALLY_AIRFLOW_MIXED=1: LEAs of mixed sizes (300 to 20,000 students), for the scale figures.
  students=200
  if [ -n "${TALLY_AIRFLOW_MIXED:-}" ]; then
    students=300; [ $((k % 2)) -eq 0 ] && students=1000; [ $((k % 5)) -eq 0 ] && students=5000; [ $((k % 10)) -eq 0 ] && students=20000
  fi
  "$tally" sample calpads --students "$students" --seed "$k" --plant "$mode" --out "$work/leas/$k" > /dev/null
  printf '%07d,%s\n' "$((1600000 + k))" "$work/leas/$k" >> "$work/leas.csv"
done

export AIRFLOW_HOME="$work/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$here/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export TALLY_LEAS="$work/leas.csv" TALLY_BIN="$tally" TALLY_REPORTS="$work/reports"
"$venv/bin/airflow" db migrate > "$work/db.log" 2>&1
start=$(date +%s.%N)
"$venv/bin/airflow" dags test tally_census_by_lea 2026-12-02 > "$work/dags-test.log" 2>&1 || true
end=$(date +%s.%N)

"$venv/bin/python" - "$work" "$count" "$start" "$end" <<'PY'
import json, subprocess, sys, os
work, count, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
airflow = os.path.join(os.environ.get("TALLY_AIRFLOW_VENV", os.path.join(os.environ.get("TMPDIR", "/tmp"), "tally-airflow-venv")), "bin", "airflow")
def cli_json(args):
    # Airflow prints warnings on stdout before the JSON: read from the first line that starts it.
    out = subprocess.run([airflow] + args + ["-o", "json"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("[", "{")))
    return json.loads("\n".join(lines[start:]))
runs = cli_json(["dags", "list-runs", "tally_census_by_lea"])
assert len(runs) == 1, runs
run_id = runs[0]["run_id"]
states = cli_json(["tasks", "states-for-dag-run", "tally_census_by_lea", run_id])
census = {int(s["map_index"]): s["state"] for s in states if s["task_id"] == "census"}
summary = [s["state"] for s in states if s["task_id"] == "summarize"]
expected = {k - 1: ("failed" if k % 4 == 0 else "success") for k in range(1, count + 1)}
problems = []
if census != expected:
    problems.append(f"census task states {census} != expected {expected}")
if summary != ["success"]:
    problems.append(f"summarize: {summary}")
log = open(os.path.join(work, "dags-test.log")).read()
failed = sum(1 for v in expected.values() if v == "failed")
if f"tally summary: {count} runs, {failed} with failures" not in log:
    problems.append("the summary task did not list the failures")
ledger = subprocess.run([os.environ["TALLY_BIN"], "runs", "--json", "--store", os.environ["TALLY_STORE"]], capture_output=True, text=True)
recorded = json.loads(ledger.stdout) if ledger.returncode == 0 else []
ids = [r["id"] for r in recorded]
if len(ids) != count or len(set(ids)) != count:
    problems.append(f"the ledger has {len(ids)} runs ({len(set(ids))} distinct), expected {count}")
if problems:
    print(log[-4000:])
    print("airflow test FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
size = subprocess.run(["psql", "-h", os.environ["TALLY_TEST_POSTGRES_SOCKET"], "-p", os.environ["TALLY_TEST_POSTGRES_PORT"], "-U", "postgres",
                       "-At", "-c", "SELECT pg_database_size('" + os.environ["TALLY_STORE"].rsplit("/", 1)[1] + "')"], capture_output=True, text=True).stdout.strip()
print(f"airflow dags test: {count} LEAs in {end - start:.1f} s ({count / (end - start) * 60:.0f} runs per minute); tasks: {count - failed} success, "
      f"{failed} failed (the LEAs with planted defects); summary task success; ledger: {count} runs, each once; store size {int(size or 0) / 1e6:.1f} MB")
PY
