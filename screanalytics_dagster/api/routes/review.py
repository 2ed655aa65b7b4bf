"""What reviewers look at: an episode's clusters and thumbnails, its screen time, a show's people."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ...ids import EpisodeIdError, validate_show_id
from .. import review as reads
from ..context import Context
from ..episode_state import registered
from ..errors import unprocessable
from ..schemas import Appearance, Cluster, Person, ScreenTime

router = APIRouter(tags=["review"])


@router.get("/episodes/{ep_id}/clusters", response_model=list[Cluster])
def list_clusters(ep_id: str, ctx: Context) -> list[dict]:
    return reads.clusters(ctx, registered(ctx, ep_id))


@router.get("/episodes/{ep_id}/clusters/{cluster_id}/thumbnail", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def cluster_thumbnail(ep_id: str, cluster_id: str, ctx: Context, index: int = Query(0, ge=0)) -> Response:
    jpeg = reads.thumbnail(ctx, registered(ctx, ep_id), cluster_id, index)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "max-age=60"})


@router.get("/episodes/{ep_id}/screentime", response_model=list[ScreenTime])
def episode_screentime(ep_id: str, ctx: Context) -> list[dict]:
    return reads.screentime(ctx, registered(ctx, ep_id))


@router.get("/episodes/{ep_id}/timeline", response_model=list[Appearance])
def episode_timeline(ep_id: str, ctx: Context) -> list[dict]:
    """Who is on screen when: one row per stretch of a person on screen."""
    return reads.timeline(ctx, registered(ctx, ep_id))


@router.get("/shows/{show}/people", response_model=list[Person])
def show_people(show: str, ctx: Context) -> list[dict]:
    try:
        validate_show_id(show)
    except EpisodeIdError as exc:
        raise unprocessable(str(exc)) from exc
    return reads.people(ctx, show)
