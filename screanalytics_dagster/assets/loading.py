"""Reading the upstream tables an asset needs, as the stage objects vision/ works on."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..resources import BaseArtifactStore
from ..resources.artifacts import EMBEDDINGS, FACES, TRACKS
from ..vision.clustering import TrackAppearance
from ..vision.stages import Embeddings, Faces, Tracks


def read_faces(store: BaseArtifactStore, ep_id: str) -> tuple[Faces, dict]:
    """The episode's faces and what the faces asset recorded of its video (fps, sample_step, ...)."""
    table = store.read_table(FACES.key(ep_id))
    return Faces.from_arrow(table), json.loads(table.schema.metadata[b"video"])


def read_embeddings(store: BaseArtifactStore, ep_id: str) -> Embeddings:
    return Embeddings.from_arrow(store.read_table(EMBEDDINGS.key(ep_id)))


@dataclass(frozen=True)
class EpisodeTracks:
    """An episode's tracks with what clustering needs: their appearance, and each face's detection score for thumbnails."""

    tracks: Tracks
    appearance: TrackAppearance
    score_of: dict[int, float]


def read_tracks(store: BaseArtifactStore, ep_id: str) -> EpisodeTracks:
    """The episode's tracks, their appearance sums and which tracks co-occur."""
    tracks = Tracks.from_arrow(store.read_table(TRACKS.key(ep_id)))
    faces, _ = read_faces(store, ep_id)
    appearance = TrackAppearance.of(tracks, faces, read_embeddings(store, ep_id))
    return EpisodeTracks(tracks, appearance, dict(zip(faces.face_id.tolist(), faces.score.tolist())))
