"""What reviewers do to an episode: names, same / not the same, not a face, moved tracks, undo; and the log of it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...orchestration.operations import MANUAL_ASSIGN, MOVE_TRACKS
from ...vision.grouping import Assignment
from ...vision.review import name_action
from .. import actions
from ..context import Authorized, Context
from ..episode_state import registered
from ..errors import unprocessable
from ..schemas import BatchAssign, ReviewAction, ReviewEntry
from .episodes import answered

router = APIRouter(tags=["review"])


@router.post(f"/episodes/{{ep_id}}/{MANUAL_ASSIGN.path}", status_code=202, dependencies=Authorized, summary=MANUAL_ASSIGN.help)
def batch_assign_async(ep_id: str, body: BatchAssign, ctx: Context, response: Response) -> dict:
    """Name clusters or tracks; two clusters given one name become one person. A naming job already running takes it too."""
    ep_id = registered(ctx, ep_id)
    names = [Assignment(a.cast_name.strip(), a.cluster_id, a.track_id) for a in body.assignments]

    def make(episode: actions.Episode) -> actions.Action:
        try:
            return name_action(names, episode.clustering, f"{ep_id}'s")
        except ValueError as exc:
            raise unprocessable(str(exc)) from exc

    return answered(actions.record(ctx, ep_id, make), response)


@router.post(f"/episodes/{{ep_id}}/{MOVE_TRACKS.path}", status_code=202, dependencies=Authorized)
def review_async(ep_id: str, cluster_id: str, body: ReviewAction, ctx: Context, response: Response) -> dict:
    """Say a cluster is the same person as another or not, that it is (not) a face, unname it, or move some of its tracks."""
    ep_id = registered(ctx, ep_id)
    return answered(actions.record(ctx, ep_id, lambda episode: actions.build(body, cluster_id, episode)), response)


@router.post("/episodes/{ep_id}/review/undo_async", status_code=202, dependencies=Authorized)
def undo_async(ep_id: str, ctx: Context, response: Response) -> dict:
    """Take the episode's last review action back (422 when there is none) and apply the rest again."""
    return answered(actions.undo(ctx, registered(ctx, ep_id)), response)


@router.get("/episodes/{ep_id}/review", response_model=list[ReviewEntry])
def review_log(ep_id: str, ctx: Context) -> list[dict]:
    """The episode's review actions, oldest first; undo takes back the last."""
    return actions.log(ctx, registered(ctx, ep_id))
