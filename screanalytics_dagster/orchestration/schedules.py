"""nightly_reprocess: bring every registered episode up to date with the cheapest operation."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from ..assets.faces import FacesConfig
from ..assets.partitions import EPISODES
from ..resources import BaseArtifactStore, FaceModels
from .operations import PROCESS, operation
from .staleness import missing_artifacts, refresh_needed

ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
PARTITION_TAG = "dagster/partition"


def expected_parameters(models: FaceModels) -> dict[str, dict[str, object]]:
    """The metadata faces and embeddings would record if materialized now with the defaults."""
    pack = models.pack_name()
    faces = {"model_pack": pack, "sample_fps": FacesConfig().sample_fps, "det_thresh": models.det_thresh, "det_long_side": models.det_long_side}
    return {"faces": faces, "embeddings": {"model_pack": pack}}


def recorded_parameters(instance: DagsterInstance, ep_id: str, assets: list[str]) -> dict[str, dict[str, object]]:
    """Metadata of the latest materialization of each asset for the episode (assets never materialized are left out)."""
    recorded: dict[str, dict[str, object]] = {}
    for asset in assets:
        found = instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[ep_id]), limit=1)
        materialization = found.records[0].asset_materialization if found.records else None
        if materialization is not None:
            recorded[asset] = {name: value.value for name, value in materialization.metadata.items()}
    return recorded


def busy_episodes(instance: DagsterInstance) -> set[str]:
    """Episodes with a queued or running run, which will change their artifacts anyway."""
    return {run.tags[PARTITION_TAG] for run in instance.get_runs(RunsFilter(statuses=ACTIVE)) if PARTITION_TAG in run.tags}


@schedule(
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    job_name=PROCESS.job,
    default_status=DefaultScheduleStatus.STOPPED,
)
def nightly_reprocess(context: ScheduleEvaluationContext, store: BaseArtifactStore, models: FaceModels):
    """Each night, run on every registered episode the cheapest operation that makes it complete and current."""
    expected = expected_parameters(models)
    busy = busy_episodes(context.instance)
    day = (context.scheduled_execution_time or datetime.now(UTC)).date().isoformat()
    requests = []
    for ep_id in context.instance.get_dynamic_partitions(EPISODES):
        if ep_id in busy:
            context.log.info(f"{ep_id}: skipped, a run of it is queued or running")
            continue
        refresh = refresh_needed(missing_artifacts(store, ep_id), recorded_parameters(context.instance, ep_id, list(expected)), expected)
        if refresh is None:
            continue
        context.log.info(f"{ep_id}: {refresh.operation} because {'; '.join(refresh.reasons)}")
        # the schedule launches one job: the whole-episode job restricted to the operation's slice
        op = operation(refresh.operation)
        requests.append(
            RunRequest(
                run_key=f"{ep_id}-{refresh.operation}-{day}",
                partition_key=ep_id,
                asset_selection=[AssetKey(name) for name in sorted(op.assets())],
                tags=op.tags(ep_id),
            )
        )
    return requests or SkipReason("every registered episode is up to date")
