"""new_episode_videos: register the episodes whose videos appear under `videos/` and process them."""

from __future__ import annotations

import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from ..assets import episodes
from ..assets.partitions import EPISODES
from ..ids import EpisodeIdError, validate_episode_id
from ..resources import BaseArtifactStore
from .operations import PROCESS
from .staleness import missing_artifacts

FIRST_TICK_RUNS = 3  # turning the sensor on over a full videos/ folder must not queue every episode at once


def latest_videos(store: BaseArtifactStore) -> dict[str, float]:
    """Newest modification time of the videos under `videos/`, by file name without suffix (not yet validated)."""
    latest: dict[str, float] = {}
    for entry in store.list_videos():
        latest[entry.ep_id] = max(entry.mtime, latest.get(entry.ep_id, entry.mtime))
    return latest


def first_tick_picks(store: BaseArtifactStore, videos: dict[str, float]) -> list[str]:
    """The newest few episodes not processed yet: the ones the first tick processes."""
    picks: list[str] = []
    for ep_id in sorted(videos, key=videos.__getitem__, reverse=True):
        if len(picks) == FIRST_TICK_RUNS:
            break
        if missing_artifacts(store, ep_id):
            picks.append(ep_id)
    return picks


@sensor(job_name=PROCESS.job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def new_episode_videos(context: SensorEvaluationContext, store: BaseArtifactStore) -> SensorResult:
    """Register each new episode video as a partition and process new or replaced videos (the first tick: the newest few)."""
    latest = latest_videos(store)
    seen = json.loads(context.cursor) if context.cursor else None  # {name: mtime} of the previous tick
    videos = {}
    for name, mtime in latest.items():
        if seen is not None and seen.get(name) == mtime:
            continue
        try:
            videos[validate_episode_id(name)] = mtime
        except EpisodeIdError as exc:
            context.log.warning(f"skipped video {name!r} under videos/: {exc}")
    known = set(context.instance.get_dynamic_partitions(EPISODES))
    new = sorted(set(videos) - known)
    chosen = sorted(videos) if seen is not None else first_tick_picks(store, videos)
    if seen is None and len(new) > len(chosen):
        context.log.info(f"first tick: processing {chosen}; the other episodes are only registered, for a backfill or nightly_reprocess")
    return SensorResult(
        run_requests=[RunRequest(run_key=f"{ep}@{videos[ep]:.6f}", partition_key=ep, tags=PROCESS.tags(ep)) for ep in chosen],
        dynamic_partitions_requests=[episodes.build_add_request(new)] if new else [],
        cursor=json.dumps(latest),
        skip_reason=None if chosen or new else "no new or replaced videos",
    )
