"""The artifact contract (DESIGN.md section 3): every file an episode or a show has, its schema and the asset that writes it."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ..vision import tables


@dataclass(frozen=True)
class Artifact:
    """One file of every episode, under `episodes/{ep_id}/`."""

    name: str
    asset: str | None  # the asset that writes it; None: written by a user through the API
    schema: pa.Schema | None  # None: a JSON document
    one_row_per: str

    def key(self, ep_id: str) -> str:
        """Its key for one episode."""
        return f"{episode_folder(ep_id)}/{self.name}"

    @property
    def title(self) -> str:
        """What people call it: `faces.parquet` -> `faces`."""
        return self.name.rsplit(".", 1)[0]


FACES = Artifact("faces.parquet", "faces", tables.FACES, "detected face")
CROPS = Artifact("crops.parquet", "faces", tables.CROPS, "detected face: its aligned 112 px JPEG crop")
EMBEDDINGS = Artifact("embeddings.parquet", "embeddings", tables.EMBEDDINGS, "embedded face")
TRACKS = Artifact("tracks.parquet", "tracks", tables.TRACKS, "track")
CLUSTERS = Artifact("clusters.parquet", "clusters", tables.CLUSTERS, "cluster")
THUMBNAILS = Artifact("thumbnails.parquet", "clusters", tables.THUMBNAILS, "face shown for a cluster")
GROUPS = Artifact("groups.parquet", "groups", tables.GROUPS, "cluster")
SCREENTIME = Artifact("screentime.parquet", "screentime", tables.SCREENTIME, "person")
REVIEW_LOG = Artifact("review.json", None, None, "reviewer's action (name, same, apart, not_face, move), anchored to faces, oldest first")
MANUAL_ASSIGNMENTS = Artifact("manual_assignments.json", None, None, "name of earlier releases, read while review.json is missing")
EPISODE_RECORD = Artifact("episode.json", None, None, "episode registered through the API: its id and video_uri")

EPISODE_ARTIFACTS = (FACES, CROPS, EMBEDDINGS, TRACKS, CLUSTERS, THUMBNAILS, GROUPS, SCREENTIME, REVIEW_LOG, MANUAL_ASSIGNMENTS, EPISODE_RECORD)
BY_NAME = {a.name: a for a in EPISODE_ARTIFACTS}
# What a complete episode has: every table an asset writes (the JSON documents are user input).
MATERIALIZED = tuple(a for a in EPISODE_ARTIFACTS if a.asset is not None and a.schema is not None)


def episode_folder(ep_id: str) -> str:
    """Where everything of one episode lies."""
    return f"episodes/{ep_id}"


def exemplars_key(show: str, ep_id: str) -> str:
    """One episode's named faces in its show's facebank: each episode writes only its own file, so none loses another's."""
    return f"{exemplars_prefix(show)}{ep_id}.parquet"


def exemplars_prefix(show: str) -> str:
    """Where a show's facebank lies: one exemplars file per episode (tables.FACEBANK)."""
    return f"shows/{show}/exemplars/"


def legacy_facebank_key(show: str) -> str:
    """The one facebank file of a show that releases before per-episode exemplars rewrote as a whole (read, never written)."""
    return f"shows/{show}/facebank.parquet"


def progress_key(run_id: str) -> str:
    """Key of the latest progress a run's steps reported."""
    return f"runs/{run_id}/progress.json"


def video_key(ep_id: str, suffix: str) -> str:
    """Key of an episode's video."""
    return f"videos/{ep_id}{suffix.lower() or '.mp4'}"
