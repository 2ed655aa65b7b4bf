"""Registered episodes: their partition, their video, and the state of each of their assets."""

from __future__ import annotations

from pathlib import PurePosixPath

from dagster import AssetKey, AssetRecordsFilter, DagsterRunStatus, RunRecord, RunsFilter

from ..assets import episode_assets
from ..assets.partitions import EPISODES
from ..ids import EpisodeIdError, show_of, validate_episode_id
from ..orchestration.operations import OPERATIONS
from ..resources.artifacts import EPISODE_RECORD
from ..resources.storage import VIDEO_SUFFIXES
from .context import ApiContext
from .errors import not_found, unprocessable
from .job_control import FINISHED, state_of

ASSETS = [a.key.to_user_string() for a in episode_assets]  # in graph order: each one's upstream comes before it
ASSETS_OF = {op.name: op.assets() for op in OPERATIONS.values()}
RECENT_RUNS = 20  # enough to find the latest run touching each asset


def checked_id(ep_id: str) -> str:
    try:
        return validate_episode_id(ep_id)
    except EpisodeIdError as exc:
        raise unprocessable(str(exc)) from exc


def registered(ctx: ApiContext, ep_id: str) -> str:
    """The episode id when valid and registered; else 422 or 404."""
    if not ctx.instance.has_dynamic_partition(EPISODES, checked_id(ep_id)):
        raise not_found(f"unknown episode {ep_id}: register it with POST /episodes first")
    return ep_id


def checked_video_uri(ctx: ApiContext, video_uri: str) -> str:
    """A video key inside the storage root or bucket that exists; 422 for anything else."""
    path = PurePosixPath(video_uri)
    if "://" in video_uri or "\\" in video_uri or path.is_absolute() or ".." in path.parts or not path.parts:
        raise unprocessable(f"video_uri must be a key inside the storage (e.g. videos/rhobh-s01e01.mp4), got {video_uri!r}")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise unprocessable(f"video_uri {video_uri!r} is not a video ({', '.join(VIDEO_SUFFIXES)})")
    if not ctx.store.exists(video_uri):
        raise unprocessable(f"video_uri {video_uri!r} is not in storage at {ctx.store.location(video_uri)}")
    return video_uri


def register(ctx: ApiContext, ep_id: str, video_uri: str) -> bool:
    """Register the episode with its video; True when it was new."""
    ep_id = checked_id(ep_id)
    video_uri = checked_video_uri(ctx, video_uri)
    new = not ctx.instance.has_dynamic_partition(EPISODES, ep_id)
    record_key = EPISODE_RECORD.key(ep_id)
    if ctx.store.read_json(record_key, {}).get("video_uri") != video_uri:
        ctx.store.write_json(record_key, {"ep_id": ep_id, "video_uri": video_uri})
    ctx.instance.add_dynamic_partitions(EPISODES, [ep_id])
    return new


def describe(ctx: ApiContext, ep_id: str) -> dict:
    """The episode's video (its length once faces ran) and, per asset, whether and when it was materialized, whether it is stale, and its state."""
    record = ctx.store.read_json(EPISODE_RECORD.key(ep_id), {})
    runs = ctx.instance.get_run_records(RunsFilter(tags={"episode": ep_id}), limit=RECENT_RUNS)  # newest first
    states, upstream_at, upstream_stale, duration = {}, None, False, None
    for asset in ASSETS:
        found = ctx.instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[ep_id]), limit=1)
        at = found.records[0].timestamp if found.records else None
        materialization = found.records[0].asset_materialization if found.records else None
        if asset == "faces" and materialization is not None and "video_seconds" in materialization.metadata:
            duration = materialization.metadata["video_seconds"].value
        stale = at is not None and (upstream_stale or (upstream_at is not None and upstream_at > at))
        latest = next((r for r in runs if asset in ASSETS_OF.get(r.dagster_run.tags.get("operation", ""), ())), None)
        failed = latest is not None and latest.dagster_run.status == DagsterRunStatus.FAILURE and (at is None or at < latest.create_timestamp.timestamp())
        states[asset] = {
            "materialized": at is not None, "materialized_at": at, "stale": stale, "last_run_failed": failed,
            "state": asset_state(at, stale, latest, failed),
        }
        upstream_at, upstream_stale = at, stale
    return {"ep_id": ep_id, "show": show_of(ep_id), "video_uri": record.get("video_uri"), "duration_s": duration, "assets": states}


def asset_state(at: float | None, stale: bool, latest: RunRecord | None, failed: bool) -> str:
    """running, failed (its latest run failed and nothing earlier is served), stale, materialized or missing."""
    if latest is not None and state_of(latest.dagster_run) not in FINISHED:
        return "running"
    if failed and at is None:
        return "failed"
    return "stale" if stale else "materialized" if at is not None else "missing"
