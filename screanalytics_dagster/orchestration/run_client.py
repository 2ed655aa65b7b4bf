"""Launch, read and cancel operation runs: launched through the Dagster webserver, read from the instance."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, EventLogEntry, RunsFilter
from dagster._core.errors import DagsterUserCodeProcessError, DagsterUserCodeUnreachableError
from dagster_graphql import DagsterGraphQLClient

from ..assets.partitions import EPISODES
from ..ids import validate_episode_id
from .operations import operation

CODE_LOCATION = "screanalytics_dagster.definitions"  # the module the code server loads, and its location name
CANCELLED_BY = "screanalytics/cancelled_by"  # tag: who asked, for the job's result
REPOSITORY = "__repository__"  # the repository Dagster makes of a Definitions; naming it saves the client a lookup query


class RunClient:
    """Runs of the operation jobs, queued by the webserver and started by the daemon."""

    def __init__(self, instance: DagsterInstance, webserver_url: str):
        self.instance = instance
        # One read at a time: a long-running process holds one pooled connection (optimize_for_webserver), and
        # concurrent reads would each open another, which costs more than waiting for it.
        self.reads = threading.Lock()
        url = urlsplit(webserver_url)
        self.graphql = DagsterGraphQLClient(url.hostname or "127.0.0.1", port_number=url.port, use_https=url.scheme == "https")

    def launch(self, ep_id: str, name: str, run_config: dict | None = None, tags: dict | None = None) -> str:
        """Queue a run of the named operation on the episode (registering its partition); returns the run id."""
        validate_episode_id(ep_id)
        op = operation(name)
        self.instance.add_dynamic_partitions(EPISODES, [ep_id])
        return self.graphql.submit_job_execution(
            op.job,
            repository_location_name=CODE_LOCATION,
            repository_name=REPOSITORY,
            run_config=run_config or {},
            tags={"dagster/partition": ep_id, **op.tags(ep_id), **(tags or {})},
        )

    def run(self, run_id: str) -> DagsterRun | None:
        # get_runs: get_run_by_id also reflects the runs table's columns, a second query on every call
        with self.reads:
            runs = self.instance.get_runs(RunsFilter(run_ids=[run_id]), limit=1)
        return runs[0] if runs else None

    def latest(self, tags: dict[str, str], statuses: list[DagsterRunStatus]) -> Sequence[DagsterRun]:
        """The newest run with these tags in one of these statuses (none or one)."""
        with self.reads:
            return self.instance.get_runs(RunsFilter(tags=tags, statuses=statuses), limit=1)

    def events(self, run_id: str, types: set[DagsterEventType]) -> Sequence[EventLogEntry]:
        with self.reads:
            return self.instance.all_logs(run_id, of_type=types)

    def cancel(self, run_id: str, by: str = "through the API") -> None:
        """Cancel a queued run, or terminate a running one; its running steps stop at their next progress check.

        A run whose code server is gone (killed, restarted) cannot be told to stop; it is marked cancelled here, which its
        steps see at their next progress check.
        """
        self.instance.add_run_tags(run_id, {CANCELLED_BY: by})
        try:
            self.instance.run_coordinator.cancel_run(run_id)
        except (DagsterUserCodeProcessError, DagsterUserCodeUnreachableError) as exc:
            run = self.run(run_id)
            if run is not None and not run.is_finished:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.instance.report_run_canceled(run, message=f"Marked cancelled: its code server could not stop it ({first})")
