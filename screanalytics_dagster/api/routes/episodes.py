"""Episodes: register, list, describe, and start operations on one."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response, status

from ...assets.partitions import EPISODES
from ...orchestration.operations import MANUAL_ASSIGN, OPERATIONS, Operation
from .. import episode_state, job_control
from ..context import Authorized, Context
from ..errors import unprocessable
from ..review import known_targets
from ..schemas import BatchAssign, EpisodeIn, EpisodeOut, OperationOut

router = APIRouter(tags=["episodes"])


@router.post("/episodes", status_code=status.HTTP_201_CREATED, response_model=EpisodeOut, dependencies=Authorized)
def register_episode(body: EpisodeIn, ctx: Context, response: Response) -> dict:
    """Register an episode whose video is already in storage (201 new, 200 already registered)."""
    if not episode_state.register(ctx, body.ep_id, body.video_uri):
        response.status_code = status.HTTP_200_OK
    return episode_state.describe(ctx, body.ep_id)


@router.get("/episodes", response_model=list[EpisodeOut])
def list_episodes(ctx: Context) -> list[dict]:
    return [episode_state.describe(ctx, ep_id) for ep_id in sorted(ctx.instance.get_dynamic_partitions(EPISODES))]


@router.get("/episodes/{ep_id}", response_model=EpisodeOut)
def get_episode(ep_id: str, ctx: Context) -> dict:
    return episode_state.describe(ctx, episode_state.registered(ctx, ep_id))


@router.get("/operations", response_model=list[OperationOut], tags=["jobs"])
def list_operations() -> list[dict]:
    """What can be started on an episode, where, and how the review UI names it."""
    return [op.public() for op in OPERATIONS.values()]


def start(ctx: Context, ep_id: str, op: Operation, response: Response, run_config: dict | None = None) -> dict:
    """202 with the queued job, or 200 when a cheap operation ran here because Celery is down."""
    answer = job_control.start_job(ctx, episode_state.registered(ctx, ep_id), op, run_config)
    response.status_code = status.HTTP_202_ACCEPTED if answer["async"] else status.HTTP_200_OK
    return answer


def operation_endpoint(op: Operation) -> Callable[[str, Context, Response], dict]:
    def endpoint(ep_id: str, ctx: Context, response: Response) -> dict:
        return start(ctx, ep_id, op, response)

    return endpoint


for op in OPERATIONS.values():
    if op.takes is None:  # the one that takes a body is below
        router.add_api_route(
            f"/episodes/{{ep_id}}/{op.path}", operation_endpoint(op), methods=["POST"], status_code=202, summary=op.help,
            dependencies=Authorized, name=op.path.replace("/", "_"),
        )


@router.post(f"/episodes/{{ep_id}}/{MANUAL_ASSIGN.path}", status_code=202, dependencies=Authorized, summary=MANUAL_ASSIGN.help)
def batch_assign_async(ep_id: str, body: BatchAssign, ctx: Context, response: Response) -> dict:
    """Name clusters or tracks; two clusters given one name become one person."""
    clusters, tracks = known_targets(ctx, episode_state.registered(ctx, ep_id))
    unknown = [a.cluster_id for a in body.assignments if a.cluster_id is not None and a.cluster_id not in clusters]
    unknown += [f"track {a.track_id}" for a in body.assignments if a.track_id is not None and a.track_id not in tracks]
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise unprocessable(f"unknown in {ep_id}'s clustering: {', '.join(unknown[:5])}{more}")
    assignments = [a.model_dump(exclude_none=True) for a in body.assignments]
    return start(ctx, ep_id, MANUAL_ASSIGN, response, {"ops": {"groups": {"config": {MANUAL_ASSIGN.takes: assignments}}}})
