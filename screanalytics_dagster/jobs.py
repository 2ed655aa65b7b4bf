"""The operation jobs, each a slice of the episode graph, and the tags every run of them carries."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from .assets import clusters, embeddings, episode_assets, episodes, groups, tracks
from .settings import Settings

# operation -> (job name, the assets it re-materializes)
OPERATIONS: dict[str, tuple[str, AssetSelection]] = {
    "process": ("process_episode", AssetSelection.assets(*episode_assets)),
    "reembed": ("reembed", AssetSelection.assets(embeddings).downstream()),
    "split_tracks": ("split_tracks", AssetSelection.assets(tracks).downstream()),
    "recluster": ("recluster", AssetSelection.assets(clusters).downstream()),
    "auto_group": ("auto_group", AssetSelection.assets(groups).downstream()),
    "manual_assign": ("manual_assign", AssetSelection.assets(groups).downstream()),
}


def operation_jobs(config: Settings) -> list:
    """One partitioned job per operation; Dagster fails a run that outlives the job time limit."""
    return [
        define_asset_job(
            name,
            selection=selection,
            partitions_def=episodes,
            tags={"operation": operation, "dagster/max_runtime": str(config.job_time_limit_s)},
        )
        for operation, (name, selection) in OPERATIONS.items()
    ]


def run_tags(ep_id: str, operation: str) -> dict[str, str]:
    """Tags of a run of operation on one episode; `episode_operation` is what the run queue limits to one."""
    return {"episode": ep_id, "operation": operation, "episode_operation": f"{ep_id}:{operation}"}


def operation_assets(operation: str) -> frozenset[str]:
    """Names of the assets an operation re-materializes."""
    return frozenset(key.to_user_string() for key in OPERATIONS[operation][1].resolve(episode_assets))


def job_name(operation: str) -> str:
    """The job that performs an operation."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: expected one of {', '.join(OPERATIONS)}")
    return OPERATIONS[operation][0]
