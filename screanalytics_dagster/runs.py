"""Launch, read and cancel operation runs: launched through the Dagster webserver, read from the instance."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRun
from dagster_graphql import DagsterGraphQLClient

from .episode import validate_episode_id
from .jobs import job_name, run_tags

LOCATION = "screanalytics_dagster.definitions"


class RunClient:
    """Runs of the operation jobs, queued by the webserver and started by the daemon."""

    def __init__(self, instance: DagsterInstance, host: str, port: int):
        self.instance = instance
        self.graphql = DagsterGraphQLClient(host, port_number=port)

    def launch(self, ep_id: str, operation: str, run_config: dict | None = None, tags: dict | None = None) -> str:
        """Queue a run of operation on the episode (registering its partition); returns the run id."""
        validate_episode_id(ep_id)
        self.instance.add_dynamic_partitions("episodes", [ep_id])
        return self.graphql.submit_job_execution(
            job_name(operation),
            repository_location_name=LOCATION,
            run_config=run_config or {},
            tags={"dagster/partition": ep_id, **run_tags(ep_id, operation), **(tags or {})},
        )

    def run(self, run_id: str) -> DagsterRun | None:
        return self.instance.get_run_by_id(run_id)

    def cancel(self, run_id: str) -> None:
        """Cancel a queued or running run; its running steps stop at their next progress check."""
        self.graphql.terminate_run(run_id)
