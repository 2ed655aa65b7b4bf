"""Episodes: register, list, describe, and start operations on one."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response, status

from ...assets.partitions import EPISODES
from ...orchestration.operations import OPERATIONS, Operation
from .. import episode_state, job_control
from ..context import Authorized, Context
from ..schemas import EpisodeIn, EpisodeOut, OperationOut

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


def answered(answer: dict, response: Response) -> dict:
    """202 for a queued job, 200 for one that ran here because Celery is down."""
    response.status_code = status.HTTP_202_ACCEPTED if answer["async"] else status.HTTP_200_OK
    return answer


def start(ctx: Context, ep_id: str, op: Operation, response: Response) -> dict:
    return answered(job_control.start_job(ctx, episode_state.registered(ctx, ep_id), op), response)


def operation_endpoint(op: Operation) -> Callable[[str, Context, Response], dict]:
    def endpoint(ep_id: str, ctx: Context, response: Response) -> dict:
        return start(ctx, ep_id, op, response)

    return endpoint


for op in OPERATIONS.values():
    if op.takes is None:  # those that take a body: routes/actions.py
        router.add_api_route(
            f"/episodes/{{ep_id}}/{op.path}", operation_endpoint(op), methods=["POST"], status_code=202, summary=op.help,
            dependencies=Authorized, name=op.path.replace("/", "_"),
        )
