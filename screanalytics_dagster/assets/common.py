"""What the per-episode assets share: the partitions, progress reports and loading tables."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from dagster import AssetExecutionContext, DagsterRunStatus, DynamicPartitionsDefinition

from ..episode import validate_episode_id
from ..resources import BaseArtifactStore, episode_key, progress_key
from ..vision import tables
from ..vision.clustering import co_occurrence
from ..vision.faces import MIN_EMBED_NORM

episodes = DynamicPartitionsDefinition(name="episodes")

PROGRESS_EVERY_S = 1.0
STOPPING = (DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)


class RunCancelled(Exception):
    """The step's run was cancelled or failed while the step was running."""


def episode_of(context: AssetExecutionContext) -> str:
    """The validated episode id of this partition."""
    return validate_episode_id(context.partition_key)


def progress_reporter(context: AssetExecutionContext, store: BaseArtifactStore):
    """A callback(done, total, message) that stores the step's progress and stops the step when its run is cancelled.

    Runs at most once a second. Dagster revokes a cancelled run's Celery tasks without stopping the ones
    already running, so a long step must notice by itself: the callback raises RunCancelled.
    """
    step = context.op_execution_context.op.name
    run_id = context.run.run_id
    key = progress_key(run_id)
    last = [0.0]

    def report(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and done < total:
            return
        last[0] = now
        run = context.instance.get_run_by_id(run_id)
        if run is not None and run.status in STOPPING:
            raise RunCancelled(f"{step} stopped at {message}: run {run_id} is {run.status.value}")
        fraction = round(done / total, 4) if total else 1.0
        store.write_json(key, {"step": step, "progress": fraction, "message": message, "updated_at": time.time()})
        context.log.info(f"{step}: {fraction:.0%} {message}")

    return report


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
    embedded = store.read_table(episode_key(ep_id, "embeddings.parquet"), columns=["embedding", "covers", "norm"])
    row_of = {f: row for row, faces in enumerate(embedded.column("covers").to_pylist()) for f in faces}
    clear = embedded.column("norm").to_numpy() >= MIN_EMBED_NORM
    return tables.embedding_matrix(embedded.column("embedding")), row_of, clear


def load_tracks(store: BaseArtifactStore, ep_id: str) -> TrackTable:
    """The episode's tracks, their appearance sums and which tracks co-occur."""
    tracks = store.read_table(episode_key(ep_id, "tracks.parquet"))
    faces = store.read_table(episode_key(ep_id, "faces.parquet"), columns=["face_id", "frame_idx", "score"])
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
