"""Run Tally playbooks from Apache Airflow: TallyOperator runs `tally run` for one set of
parameters and reports the run to Airflow (task state, the --json summary in XCom, the report's
path)."""
from tally_airflow.operator import TallyOperator, TallyRunFailed

__all__ = ["TallyOperator", "TallyRunFailed"]
