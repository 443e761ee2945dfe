"""Every morning, Census Day QA for each LEA of a list, into one shared QA store, then a summary
of the failures.

The LEAs come from the file named by TALLY_LEAS (CSV: lea,data — the LEA's code and the folder
holding its SENR.txt and SINF.txt); the store from TALLY_STORE (postgres://... for a county or
state deployment); the playbook from TALLY_PLAYBOOK (default: the example beside this DAG). Each
LEA is one mapped task: its failures show as failed task instances, and the summary task lists
them.
"""
from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, task

from tally_airflow import TallyOperator

HERE = Path(__file__).resolve().parent
PLAYBOOK = os.environ.get("TALLY_PLAYBOOK", str(HERE.parent / "example" / "lea_census.playbook"))
REPORTS = os.environ.get("TALLY_REPORTS", "/tmp/tally-reports")


def leas() -> list[dict[str, str]]:
    path = os.environ.get("TALLY_LEAS")
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [{"lea": row["lea"], "data": row["data"]} for row in csv.DictReader(f)]


with DAG(
    dag_id="tally_census_by_lea",
    schedule="0 6 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["tally", "calpads"],
) as dag:
    census = TallyOperator.partial(
        task_id="census",
        playbook=PLAYBOOK,
        report_dir=REPORTS + "/{{ ds }}/{{ ti.map_index }}",
        tally=os.environ.get("TALLY_BIN", "tally"),
        retries=0,
    ).expand(params_for_tally=leas())

    @task(trigger_rule="all_done")
    def summarize(**context) -> dict:
        summaries = context["ti"].xcom_pull(task_ids="census", key="summary") or []
        if isinstance(summaries, dict):
            summaries = [summaries]
        failed = []
        for s in summaries:
            if not s:
                continue
            params = s.get("parameters", {})
            if s.get("exit") != 0:
                checks = [c.get("id") or c.get("check") for c in s.get("checks", []) if not c.get("passed")]
                failed.append({"lea": params.get("lea"), "exit": s.get("exit"), "checks": checks})
        result = {"runs": len([s for s in summaries if s]), "failed": failed}
        print(f"tally summary: {result['runs']} runs, {len(failed)} with failures")
        for f in failed:
            print(f"  LEA {f['lea']}: exit {f['exit']}, failed {', '.join(map(str, f['checks']))}")
        return result

    census >> summarize()
