"""Reviewers' actions: written to the episode's review log at once, then applied by a job (the running one's follow-up, if any)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from ..orchestration.operations import MANUAL_ASSIGN, MOVE_TRACKS, Operation
from ..resources.artifacts import CLUSTERS, GROUPS, TRACKS
from ..resources.review_log import read_actions, write_actions
from ..vision.grouping import Assignment
from ..vision.review import RECLUSTERS, Action, Clustering, name_action
from . import job_control
from .context import ApiContext
from .errors import not_found, unprocessable
from .review import optional_rows, table
from .schemas import ReviewAction

LOG_LOCK_S = 10  # seconds one read-modify-write of a log may hold its lock
_in_process = threading.Lock()  # without Redis there is one API process


@contextmanager
def log_lock(ctx: ApiContext, ep_id: str) -> Iterator[None]:
    """Serialise changes to one episode's log: across API processes through Redis, else in this process."""
    if ctx.redis_up():
        assert ctx.redis is not None
        with ctx.redis.lock(f"screanalytics:review_lock:{ep_id}", timeout=LOG_LOCK_S, blocking_timeout=LOG_LOCK_S):
            yield
    else:
        with _in_process:
            yield


class Episode:
    """An episode's current clustering and persons, as actions are built against them."""

    def __init__(self, ctx: ApiContext, ep_id: str):
        clusters = table(ctx, ep_id, CLUSTERS, ["cluster_id", "track_ids"]).to_pylist()
        tracks = table(ctx, ep_id, TRACKS, ["track_id", "face_ids"])
        self.ep_id = ep_id
        self.clustering = Clustering(
            {c["cluster_id"]: np.asarray(c["track_ids"], np.int64) for c in clusters},
            {t: np.asarray(f, np.int64) for t, f in zip(tracks.column("track_id").to_pylist(), tracks.column("face_ids").to_pylist())},
        )
        self.person = {row["cluster_id"]: row for row in optional_rows(ctx, ep_id, GROUPS, ["cluster_id", "person_id", "person_name"])}

    def cluster(self, cluster_id: str) -> str:
        if cluster_id not in self.clustering.cluster_tracks:
            raise not_found(f"unknown cluster {cluster_id} in {self.ep_id}")
        return cluster_id

    def name_of(self, cluster_id: str) -> str | None:
        return self.person.get(cluster_id, {}).get("person_name")

    def faces_where(self, column: str, value: object) -> tuple[int, ...]:
        """The faces of the current clusters whose person has this value in column (groups may lag a re-clustering)."""
        held = [c for c, row in self.person.items() if row[column] == value and c in self.clustering.cluster_tracks]
        return tuple(sorted({f for c in held for f in self.clustering.faces(c)}))

    def person_faces(self, cluster_id: str) -> tuple[int, ...]:
        """The faces of every cluster of that cluster's person (the cluster alone when it has none yet)."""
        person = self.person.get(cluster_id, {}).get("person_id")
        return (self.faces_where("person_id", person) if person is not None else ()) or self.clustering.faces(cluster_id)


def build(request: ReviewAction, cluster_id: str, episode: Episode) -> Action:
    """The log entry of a reviewer's action on a cluster (a name where a named person is meant)."""
    cid, clustering = episode.cluster(cluster_id), episode.clustering
    other = episode.cluster(request.other_cluster_id) if request.other_cluster_id is not None else None
    cast_name = request.cast_name.strip() if request.cast_name else (episode.name_of(other) if other else None)
    faces = clustering.faces(cid)
    if request.action == "same":
        if cast_name:
            return name_action([Assignment(cast_name, cluster_id=cid)], clustering)
        return Action("same", f"{cid} is the same person as {other}", faces=faces, other=episode.person_faces(other or cid))
    if request.action == "apart":
        who = cast_name or other
        return Action("apart", f"{cid} is not {who}", faces=faces, other=episode.faces_where("person_name", cast_name) if cast_name else episode.person_faces(other or cid), cast_name=cast_name)
    if request.action in ("not_face", "is_face"):
        mark = request.action == "not_face"
        return Action("not_face", f"{cid} is {'not ' if mark else ''}a face", faces=faces, mark=mark)
    if request.action == "unname":
        return name_action([Assignment(None, cluster_id=cid)], clustering)
    outside = sorted(set(request.track_ids) - set(clustering.cluster_tracks[cid].tolist()))
    if outside:
        raise unprocessable(f"tracks {', '.join(map(str, outside[:5]))} are not in cluster {cid}")
    moved = clustering.faces(track_ids=request.track_ids)
    where = cast_name or (f"{other}'s person" if other else "a new person")
    return Action(
        "move", f"tracks {', '.join(map(str, request.track_ids[:5]))}{' ...' if len(request.track_ids) > 5 else ''} of {cid} moved to {where}",
        faces=moved, other=episode.person_faces(other) if other and not cast_name else (), left=tuple(sorted(set(faces) - set(moved))), cast_name=cast_name,
    )


def operation_for(action: Action) -> Operation:
    """The job that applies (or takes back) an action: from clusters for moved tracks, from groups otherwise."""
    return MOVE_TRACKS if action.kind in RECLUSTERS else MANUAL_ASSIGN


def apply(ctx: ApiContext, ep_id: str, change: Callable[[list[Action], Episode], tuple[list[Action], Action]]) -> dict:
    """Change the log under its lock, then start (or follow up) the job applying it; the 202 or 200 body, with the action said."""
    with log_lock(ctx, ep_id):
        actions, action = change(read_actions(ctx.store, ep_id), Episode(ctx, ep_id))
        write_actions(ctx.store, ep_id, actions)
    return {**job_control.start_job(ctx, ep_id, operation_for(action), follow=True), "said": action.said}


def record(ctx: ApiContext, ep_id: str, make: Callable[[Episode], Action]) -> dict:
    """Add an action to the log and apply it."""
    return apply(ctx, ep_id, lambda actions, episode: ([*actions, action := make(episode)], action))


def undo(ctx: ApiContext, ep_id: str) -> dict:
    """Take the last action back and apply the log without it; 422 when there is none."""

    def drop_last(actions: list[Action], _: Episode) -> tuple[list[Action], Action]:
        if not actions:
            raise unprocessable(f"nothing to undo in {ep_id}: its review log is empty")
        last = actions[-1]
        return actions[:-1], Action(last.kind, f"undone: {last.said}")

    return apply(ctx, ep_id, drop_last)


def log(ctx: ApiContext, ep_id: str) -> list[dict]:
    return [{"kind": a.kind, "said": a.said} for a in read_actions(ctx.store, ep_id)]
