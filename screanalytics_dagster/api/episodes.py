"""Registered episodes: their partition, their video, and the state of each of their assets."""

from __future__ import annotations

from pathlib import PurePosixPath

from dagster import AssetKey, AssetRecordsFilter

from ..assets import episode_assets, episodes
from ..episode import EpisodeIdError, validate_episode_id
from ..resources import EPISODE_RECORD, episode_key
from ..resources.storage import VIDEO_SUFFIXES
from .context import ApiContext
from .errors import not_found, unprocessable

ASSETS = [a.key.to_user_string() for a in episode_assets]  # in graph order: each one's upstream comes before it


def checked_id(ep_id: str) -> str:
    try:
        return validate_episode_id(ep_id)
    except EpisodeIdError as exc:
        raise unprocessable(str(exc)) from exc


def registered(ctx: ApiContext, ep_id: str) -> str:
    """The episode id when valid and registered; else 422 or 404."""
    if not ctx.instance.has_dynamic_partition(episodes.name, checked_id(ep_id)):
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
    new = not ctx.instance.has_dynamic_partition(episodes.name, ep_id)
    record_key = episode_key(ep_id, EPISODE_RECORD)
    if ctx.store.read_json(record_key, {}).get("video_uri") != video_uri:
        ctx.store.write_json(record_key, {"ep_id": ep_id, "video_uri": video_uri})
    ctx.instance.add_dynamic_partitions(episodes.name, [ep_id])
    return new


def describe(ctx: ApiContext, ep_id: str) -> dict:
    """The episode's video and, per asset, whether and when it was materialized and whether it is stale."""
    record = ctx.store.read_json(episode_key(ep_id, EPISODE_RECORD), {})
    states, upstream_at, upstream_stale = {}, None, False
    for asset in ASSETS:
        found = ctx.instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[ep_id]), limit=1)
        at = found.records[0].timestamp if found.records else None
        stale = at is not None and (upstream_stale or (upstream_at is not None and upstream_at > at))
        states[asset] = {"materialized": at is not None, "materialized_at": at, "stale": stale}
        upstream_at, upstream_stale = at, stale
    return {"ep_id": ep_id, "video_uri": record.get("video_uri"), "assets": states}
