"""Dagster's default run launcher, with a health check so that run monitoring notices a run whose process is gone."""

from __future__ import annotations

import time

from dagster import DefaultRunLauncher
from dagster._core.errors import DagsterUserCodeUnreachableError
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._grpc.types import GetCurrentRunsResult
from dagster._serdes import deserialize_value

# A code server restarting (a deploy) is unreachable for some seconds; its runs are given up after this long.
UNREACHABLE_LIMIT_S = 30.0


class MonitoredRunLauncher(DefaultRunLauncher):
    """Runs start in a process of the code server, as with DefaultRunLauncher; a run it no longer runs (killed, or the
    server restarted) is reported failed, which lets run retries start it again.
    """

    def __init__(self, inst_data=None):
        super().__init__(inst_data=inst_data)
        self.unreachable_since: dict[str, float] = {}

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        client = self._get_grpc_client_for_termination(run.run_id)
        if client is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "launched without a code server address: nothing to ask")
        try:
            answer = deserialize_value(client.get_current_runs(), GetCurrentRunsResult)
        except DagsterUserCodeUnreachableError:
            since = self.unreachable_since.setdefault(run.run_id, time.monotonic())
            if time.monotonic() - since < UNREACHABLE_LIMIT_S:
                return CheckRunHealthResult(WorkerStatus.RUNNING, "its code server does not answer yet")
            return CheckRunHealthResult(WorkerStatus.FAILED, f"its code server has not answered for {UNREACHABLE_LIMIT_S:.0f} s")
        self.unreachable_since.pop(run.run_id, None)
        if run.run_id in answer.current_runs:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, "its code server no longer runs it (the server was restarted, or the run's process died)")
