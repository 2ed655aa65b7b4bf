"""Episodes: register, list, describe, and start operations on one."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from .. import episodes, jobs
from ..context import Authorized, Context
from ..errors import unprocessable
from ..reads import known_targets
from ..schemas import BatchAssign, EpisodeIn, EpisodeOut

router = APIRouter(tags=["episodes"])


@router.post("/episodes", status_code=status.HTTP_201_CREATED, response_model=EpisodeOut, dependencies=Authorized)
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


# path under /episodes/{ep_id}/ -> (operation, what it does); batch_assign_async, which takes a body, is below
OPERATION_ROUTES = {
    "process_async": ("process", "Detect, embed, track, cluster, group and time the whole episode."),
    "embeddings/reembed_async": ("reembed", "Embed the detected faces again, then everything downstream."),
    "tracks/split_async": ("split_tracks", "Build the tracks again (splitting where identity changes), then everything downstream."),
    "clusters/recluster_async": ("recluster", "Cluster the tracks again; manual names stay."),
    "clusters/group_async": ("auto_group", "Map clusters to persons again (manual names, facebank, merging) and recompute screen time."),
}


def operation_endpoint(operation: str):
    def endpoint(ep_id: str, ctx: Context, response: Response) -> dict:
        return start(ctx, ep_id, operation, response)

    return endpoint


for path, (operation, summary) in OPERATION_ROUTES.items():
    router.add_api_route(
        f"/episodes/{{ep_id}}/{path}", operation_endpoint(operation), methods=["POST"], status_code=202, summary=summary, dependencies=Authorized,
        name=path.replace("/", "_"),
    )


@router.post("/episodes/{ep_id}/clusters/batch_assign_async", status_code=202, dependencies=Authorized)
def batch_assign_async(ep_id: str, body: BatchAssign, ctx: Context, response: Response) -> dict:
    """Name clusters or tracks; two clusters given one name become one person."""
    clusters, tracks = known_targets(ctx, episodes.registered(ctx, ep_id))
    unknown = [a.cluster_id for a in body.assignments if a.cluster_id is not None and a.cluster_id not in clusters]
    unknown += [f"track {a.track_id}" for a in body.assignments if a.track_id is not None and a.track_id not in tracks]
    if unknown:
        raise unprocessable(f"unknown in {ep_id}'s clustering: {', '.join(unknown)}")
    assignments = [a.model_dump(exclude_none=True) for a in body.assignments]
    return start(ctx, ep_id, "manual_assign", response, {"ops": {"groups": {"config": {"assignments": assignments}}}})
