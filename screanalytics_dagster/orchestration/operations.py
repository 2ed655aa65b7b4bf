"""The operations a user can ask of an episode, defined once: the job of each, where the API starts it, how the UI names it."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetsDefinition, AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from ..assets import clusters, embeddings, episode_assets, episodes, groups, tracks
from ..settings import Settings


@dataclass(frozen=True)
class Operation:
    """One operation: a partitioned job over a slice of the episode graph."""

    name: str
    job: str
    starts_at: AssetsDefinition | None  # the slice: this asset and everything downstream; None: every asset
    path: str  # where the API starts it, under /episodes/{ep_id}/
    title: str  # the button that starts it
    doing: str  # what a running job of it is called
    help: str  # what it does, in one sentence
    page: str | None  # the review UI page that has its button (None: started another way)
    runs_in_api: bool = False  # cheap enough to run inside the API: while its episode is idle, and when Celery is down
    takes: str | None = None  # the field of the request body it needs

    def selection(self) -> AssetSelection:
        return AssetSelection.assets(*episode_assets) if self.starts_at is None else AssetSelection.assets(self.starts_at).downstream()

    def assets(self) -> frozenset[str]:
        """Names of the assets it re-materializes."""
        return frozenset(key.to_user_string() for key in self.selection().resolve(episode_assets))

    def tags(self, ep_id: str) -> dict[str, str]:
        """Tags of its runs on one episode; `episode_operation` is what the run queue limits to one."""
        return {"episode": ep_id, "operation": self.name, "episode_operation": f"{ep_id}:{self.name}"}

    def public(self) -> dict[str, object]:
        """What the API tells clients about it."""
        return {
            "operation": self.name, "path": f"/episodes/{{ep_id}}/{self.path}", "title": self.title, "doing": self.doing,
            "help": self.help, "page": self.page, "takes": self.takes,
        }


PROCESS = Operation(
    "process", "process_episode", None, "process_async", "Process", "Processing",
    "Detect, embed, track, cluster, group and time the whole episode.", "episodes",
)
REEMBED = Operation(
    "reembed", "reembed", embeddings, "embeddings/reembed_async", "Re-embed", "Re-embedding",
    "Embed the detected faces again, then everything downstream.", "clusters",
)
SPLIT_TRACKS = Operation(
    "split_tracks", "split_tracks", tracks, "tracks/split_async", "Split tracks", "Splitting tracks",
    "Build the tracks again (splitting where identity changes), then everything downstream.", "clusters",
)
RECLUSTER = Operation(
    "recluster", "recluster", clusters, "clusters/recluster_async", "Re-cluster", "Re-clustering",
    "Cluster the tracks again; manual names stay.", "clusters", runs_in_api=True,
)
AUTO_GROUP = Operation(
    "auto_group", "auto_group", groups, "clusters/group_async", "Auto-group", "Auto-grouping",
    "Map clusters to persons again (manual names, facebank, merging) and recompute screen time.", "clusters", runs_in_api=True,
)
MANUAL_ASSIGN = Operation(
    "manual_assign", "manual_assign", groups, "clusters/batch_assign_async", "Assign", "Applying your review",
    "Name clusters or tracks; two clusters given one name become one person.", None, runs_in_api=True, takes="assignments",
)
MOVE_TRACKS = Operation(
    "move_tracks", "move_tracks", clusters, "clusters/{cluster_id}/review_async", "Move tracks", "Moving tracks",
    "Move tracks out of their cluster, to a named person, another cluster's person or a new one.", None, runs_in_api=True, takes="action",
)
# Order matters where slices are equal: the cheapest operation for a slice is the first listed (staleness).
OPERATIONS = {op.name: op for op in (PROCESS, REEMBED, SPLIT_TRACKS, RECLUSTER, AUTO_GROUP, MANUAL_ASSIGN, MOVE_TRACKS)}


def operation(name: str) -> Operation:
    """The operation of that name; ValueError naming the known ones."""
    if name not in OPERATIONS:
        raise ValueError(f"unknown operation {name!r}: expected one of {', '.join(OPERATIONS)}")
    return OPERATIONS[name]


def operation_jobs(config: Settings) -> list[UnresolvedAssetJobDefinition]:
    """One partitioned job per operation; Dagster fails a run that outlives the job time limit."""
    return [
        define_asset_job(
            op.job,
            selection=op.selection(),
            partitions_def=episodes,
            tags={"operation": op.name, "dagster/max_runtime": str(config.job_time_limit_s)},
        )
        for op in OPERATIONS.values()
    ]
