"""Episodes: register, list, describe, and start operations on one."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from .. import episodes, jobs
from ..context import Context
from ..errors import unprocessable
from ..reads import known_targets
from ..schemas import BatchAssign, EpisodeIn, EpisodeOut

router = APIRouter(tags=["episodes"])


@router.post("/episodes", status_code=status.HTTP_201_CREATED, response_model=EpisodeOut)
def register_episode(body: EpisodeIn, ctx: Context, response: Response) -> dict:
    """Register an episode whose video is already in storage (201 new, 200 already registered)."""
    if not episodes.register(ctx, body.ep_id, body.video_uri):
        response.status_code = status.HTTP_200_OK
    return episodes.describe(ctx, body.ep_id)


@router.get("/episodes", response_model=list[EpisodeOut])
def list_episodes(ctx: Context) -> list[dict]:
    return [episodes.describe(ctx, ep_id) for ep_id in sorted(ctx.instance.get_dynamic_partitions("episodes"))]


@router.get("/episodes/{ep_id}", response_model=EpisodeOut)
def get_episode(ep_id: str, ctx: Context) -> dict:
    return episodes.describe(ctx, episodes.registered(ctx, ep_id))


def start(ctx: Context, ep_id: str, operation: str, response: Response, run_config: dict | None = None) -> dict:
    """202 with the queued job, or 200 when a cheap operation ran here because Celery is down."""
    answer = jobs.start_job(ctx, episodes.registered(ctx, ep_id), operation, run_config)
    response.status_code = status.HTTP_202_ACCEPTED if answer["async"] else status.HTTP_200_OK
    return answer


@router.post("/episodes/{ep_id}/process_async", status_code=202)
def process_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Detect, embed, track, cluster, group and time the whole episode."""
    return start(ctx, ep_id, "process", response)


@router.post("/episodes/{ep_id}/embeddings/reembed_async", status_code=202)
def reembed_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Embed the detected faces again, then everything downstream."""
    return start(ctx, ep_id, "reembed", response)


@router.post("/episodes/{ep_id}/tracks/split_async", status_code=202)
def split_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Build the tracks again (splitting where identity changes), then everything downstream."""
    return start(ctx, ep_id, "split_tracks", response)


@router.post("/episodes/{ep_id}/clusters/recluster_async", status_code=202)
def recluster_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Cluster the tracks again; manual names stay."""
    return start(ctx, ep_id, "recluster", response)


@router.post("/episodes/{ep_id}/clusters/group_async", status_code=202)
def group_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Map clusters to persons again (manual names, facebank, automatic merging) and recompute screen time."""
    return start(ctx, ep_id, "auto_group", response)


@router.post("/episodes/{ep_id}/clusters/batch_assign_async", status_code=202)
def batch_assign_async(ep_id: str, body: BatchAssign, ctx: Context, response: Response) -> dict:
    """Name clusters or tracks; two clusters given one name become one person."""
    clusters, tracks = known_targets(ctx, episodes.registered(ctx, ep_id))
    unknown = [a.cluster_id for a in body.assignments if a.cluster_id is not None and a.cluster_id not in clusters]
    unknown += [f"track {a.track_id}" for a in body.assignments if a.track_id is not None and a.track_id not in tracks]
    if unknown:
        raise unprocessable(f"unknown in {ep_id}'s clustering: {', '.join(unknown)}")
    assignments = [a.model_dump(exclude_none=True) for a in body.assignments]
    return start(ctx, ep_id, "manual_assign", response, {"ops": {"groups": {"config": {"assignments": assignments}}}})
