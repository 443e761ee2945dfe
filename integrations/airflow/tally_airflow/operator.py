"""TallyOperator: one `tally run` as one Airflow task.

Exit statuses of `tally run`: 0 every check passed, 1 an error-severity check failed (the
playbook ran), 2 the playbook could not run (bad input, a missing file, the store unreachable).
The task fails on 2 always, and on 1 unless `allow_failed_checks=True`. Either way the run's
`--json` summary is pushed to XCom first (key "summary", and as the return value when the task
succeeds), with the report's path (key "report"), so a later task can summarise every LEA's run.
"""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Mapping, Sequence

from airflow.exceptions import AirflowException
from airflow.sdk import BaseOperator


class TallyRunFailed(AirflowException):
    """A playbook that could not run (exit 2), or whose error-severity checks failed (exit 1)."""


class TallyOperator(BaseOperator):
    template_fields: Sequence[str] = ("playbook", "params_for_tally", "store", "report_dir")

    def __init__(
        self,
        *,
        playbook: str,
        params_for_tally: Mapping[str, Any] | None = None,
        store: str | None = None,
        report_dir: str | None = None,
        allow_failed_checks: bool = False,
        tally: str = "tally",
        cwd: str | None = None,
        extra_args: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.playbook = playbook
        self.params_for_tally = dict(params_for_tally or {})
        self.store = store
        self.report_dir = report_dir
        self.allow_failed_checks = allow_failed_checks
        self.tally = tally
        self.cwd = cwd
        self.extra_args = list(extra_args)

    def command(self) -> list[str]:
        args = [self.tally, "run", self.playbook, "--json", "--no-cache"]
        # The store comes from the task, else TALLY_STORE in the worker's environment. Its URL may
        # hold a password: it is passed to tally, never logged here.
        if self.store:
            args += ["--store", self.store]
        if self.report_dir:
            args += ["--report", self.report_dir]
        for name, value in sorted(self.params_for_tally.items()):
            args += ["--param", f"{name}={value}"]
        return args + self.extra_args

    def execute(self, context: Mapping[str, Any]) -> Any:
        args = self.command()
        shown = [a if not a.startswith(("postgres://", "postgresql://")) else "<store>" for a in args]
        self.log.info("running %s", " ".join(shown))
        result = subprocess.run(args, cwd=self.cwd, capture_output=True, text=True, env=os.environ.copy())
        if result.stderr:
            self.log.info("tally: %s", result.stderr.strip())
        summary: dict[str, Any]
        try:
            summary = json.loads(result.stdout) if result.stdout.strip() else {}
        except json.JSONDecodeError:
            summary = {"output": result.stdout[-2000:]}
        summary["exit"] = result.returncode
        ti = context["ti"]
        ti.xcom_push(key="summary", value=summary)
        if self.report_dir:
            ti.xcom_push(key="report", value=os.path.join(self.report_dir, "report.html"))
        failed = [c for c in summary.get("checks", []) if not c.get("passed") and c.get("severity") == "error"]
        if result.returncode == 2:
            errors = summary.get("errors") or [result.stderr.strip() or "tally could not run the playbook"]
            raise TallyRunFailed(f"{self.playbook} could not run: {errors[0]}")
        if result.returncode == 1 and not self.allow_failed_checks:
            names = ", ".join(c.get("id") or c.get("check", "") for c in failed) or "error-severity checks"
            raise TallyRunFailed(f"{self.playbook}: {len(failed)} failed check(s): {names}")
        if result.returncode not in (0, 1):
            raise TallyRunFailed(f"tally exited {result.returncode}")
        return summary
