"""Request and response bodies."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..vision.grouping import MAX_CAST_NAME, MAX_CLUSTER_ID, check_assignment

MAX_KEY = 255  # characters: one file name on a local disk


class EpisodeIn(BaseModel):
    """An episode to register, with its video already in storage."""

    ep_id: str = Field(max_length=MAX_KEY)
    video_uri: str = Field(max_length=MAX_KEY, description="key of the video in storage, e.g. videos/rhobh-s01e01.mp4")


class AssetState(BaseModel):
    materialized: bool
    materialized_at: float | None = None  # seconds since the epoch
    stale: bool = False  # an upstream asset was materialized after it
    last_run_failed: bool = False  # its latest run failed; an earlier materialization, if any, is still served
    state: str = "missing"  # running, failed (nothing served), stale, materialized or missing


class EpisodeOut(BaseModel):
    ep_id: str
    show: str
    video_uri: str | None
    duration_s: float | None = None  # the video's length, known once the faces asset has run
    assets: dict[str, AssetState]


class NameAssignment(BaseModel):
    """A cast name for one cluster or one track."""

    cast_name: str = Field(min_length=1)
    cluster_id: str | None = None
    track_id: int | None = None

    @model_validator(mode="after")
    def one_target(self) -> NameAssignment:
        check_assignment(self.cast_name, self.cluster_id, self.track_id)
        return self


class BatchAssign(BaseModel):
    """Names for several clusters or tracks, each named once."""

    assignments: list[NameAssignment] = Field(min_length=1)

    @model_validator(mode="after")
    def each_target_once(self) -> BatchAssign:
        targets = [f"cluster {a.cluster_id}" if a.cluster_id is not None else f"track {a.track_id}" for a in self.assignments]
        twice = sorted(t for t, n in Counter(targets).items() if n > 1)
        if twice:
            raise ValueError(f"each cluster or track may be named once a request: {', '.join(twice[:5])} named more than once")
        return self


class ReviewAction(BaseModel):
    """What a reviewer says of one cluster: the same person as another or not, (not) a face, unnamed, or some of its tracks moved."""

    action: Literal["same", "apart", "not_face", "is_face", "unname", "move"]
    other_cluster_id: str | None = Field(None, max_length=MAX_CLUSTER_ID, description="same, apart, move: a cluster of the person meant")
    cast_name: str | None = Field(None, max_length=MAX_CAST_NAME, description="same, apart, move: the named person meant")
    track_ids: list[int] = Field(default_factory=list, max_length=10_000, description="move: the cluster's tracks that move")

    @model_validator(mode="after")
    def fits_action(self) -> ReviewAction:
        if self.cast_name is not None and not self.cast_name.strip():
            raise ValueError("cast_name must not be blank")
        targets = (self.other_cluster_id is not None) + (self.cast_name is not None)
        if self.action in ("same", "apart") and targets != 1:
            raise ValueError(f"{self.action} needs exactly one of other_cluster_id or cast_name")
        if self.action == "move" and (not self.track_ids or targets > 1):
            raise ValueError("move needs track_ids and at most one of other_cluster_id or cast_name (neither: a new person)")
        if self.action not in ("same", "apart", "move") and (targets or self.track_ids):
            raise ValueError(f"{self.action} takes no other_cluster_id, cast_name or track_ids")
        return self


class ReviewEntry(BaseModel):
    """One action in an episode's review log."""

    kind: str  # name, same, apart, not_face or move
    said: str  # what it did, in words


class OperationOut(BaseModel):
    """An operation that can be started on an episode."""

    operation: str
    path: str  # POST here, {ep_id} filled in
    title: str  # its button
    doing: str  # what a running job of it is called
    help: str
    page: str | None  # the review UI page with its button
    takes: str | None  # the request body field it needs


class Progress(BaseModel):
    step: str | None
    progress: float
    message: str


class Job(BaseModel):
    job_id: str
    episode: str | None
    operation: str | None
    state: str
    raw_state: str
    progress: Progress
    result: dict | None
    runs: list[str] = []  # the Dagster runs of the job: the first, then each automatic retry


class Suggestion(BaseModel):
    """A person an unnamed cluster may be."""

    person_id: str
    person_name: str | None
    cluster_id: str | None  # that person's largest cluster here; None: a facebank person not in this episode
    similarity: float  # cosine of the two faces' centroids


class Cluster(BaseModel):
    cluster_id: str
    track_ids: list[int]
    size: int  # faces
    seconds: float
    person_id: str | None
    person_name: str | None
    source: str | None  # manual, facebank or auto
    thumbnail_url: str
    n_thumbnails: int
    thumbnail_tracks: list[int | None] = []  # the track each thumbnail shows, by index (None: a store of earlier releases)
    suggestions: list[Suggestion] = []  # unnamed clusters: who they may be, best first


class ScreenTime(BaseModel):
    person_id: str
    person_name: str | None
    seconds: float
    n_tracks: int


class Appearance(BaseModel):
    """A person on screen from start to end (seconds)."""

    person_id: str
    person_name: str | None
    start: float
    end: float


class Person(BaseModel):
    person_id: str
    person_name: str
    episodes: list[str]
    thumbnail_url: str | None = None  # a face of theirs: a cluster thumbnail in one of their episodes
