"""Reading the upstream tables an asset needs, as the arrays vision/ works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..resources import BaseArtifactStore
from ..resources.artifacts import EMBEDDINGS, FACES, TRACKS
from ..vision import tables
from ..vision.clustering import co_occurrence
from ..vision.faces import MIN_EMBED_NORM


@dataclass
class TrackTable:
    """Tracks of an episode with the appearance sums that clustering needs."""

    track_ids: np.ndarray
    face_ids: list[np.ndarray]
    start_ts: np.ndarray
    end_ts: np.ndarray
    sums: np.ndarray  # (T,512) sum of the distinct embeddings each track is known by (its clear ones when it has any)
    counts: np.ndarray  # (T,) embeddings in each sum
    conflicts: np.ndarray  # (T,T) tracks known by faces in the same frame
    score_of: dict[int, float]  # face id -> detection score, for every face of the episode


def load_embeddings(store: BaseArtifactStore, ep_id: str) -> tuple[np.ndarray, dict[int, int], np.ndarray]:
    """The embeddings as a matrix, face id -> row for every face, and which rows are clear (raw norm >= MIN_EMBED_NORM)."""
    embedded = store.read_table(EMBEDDINGS.key(ep_id), columns=["embedding", "covers", "norm"])
    row_of = {f: row for row, faces in enumerate(embedded.column("covers").to_pylist()) for f in faces}
    clear = embedded.column("norm").to_numpy() >= MIN_EMBED_NORM
    return tables.embedding_matrix(embedded.column("embedding")), row_of, clear


def load_tracks(store: BaseArtifactStore, ep_id: str) -> TrackTable:
    """The episode's tracks, their appearance sums and which tracks co-occur."""
    tracks = store.read_table(TRACKS.key(ep_id))
    faces = store.read_table(FACES.key(ep_id), columns=["face_id", "frame_idx", "score"])
    all_faces = faces.column("face_id").to_pylist()
    frame_of = dict(zip(all_faces, faces.column("frame_idx").to_pylist()))
    matrix, row_of, clear = load_embeddings(store, ep_id)
    face_ids = [np.asarray(f, np.int64) for f in tracks.column("face_ids").to_pylist()]
    sums = np.zeros((len(face_ids), matrix.shape[1]), np.float64)
    counts = np.zeros(len(face_ids))
    frames = []
    for t, ids in enumerate(face_ids):
        rows = np.array([row_of[f] for f in ids.tolist()])
        # A track is known by its clear faces; one never seen clearly, by all of its faces.
        seen = clear[rows] | ~clear[rows].any()
        distinct = np.unique(rows[seen])
        sums[t] = matrix[distinct].sum(axis=0)
        counts[t] = len(distinct)
        # Only faces a track is known by say two tracks are two people: a blurred move can yield two boxes on one face.
        frames.append(np.array([frame_of[f] for f in ids[seen].tolist()]))
    return TrackTable(
        track_ids=tracks.column("track_id").to_numpy(),
        face_ids=face_ids,
        start_ts=tracks.column("start_ts").to_numpy(),
        end_ts=tracks.column("end_ts").to_numpy(),
        sums=sums,
        counts=counts,
        conflicts=co_occurrence(frames, len(face_ids)),
        score_of=dict(zip(all_faces, faces.column("score").to_pylist())),
    )
