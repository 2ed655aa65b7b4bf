"""tracks: faces linked across sampled frames of one shot by position and appearance."""

import json
import time

import numpy as np
import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import BaseArtifactStore
from ..resources.artifacts import FACES, TRACKS
from ..vision import tables
from ..vision.tracking import (
    TRACK_IOU,
    TRACK_MAX_GAP,
    TRACK_MIN_FACES,
    TRACK_MIN_SCORE,
    TRACK_SIM,
    TRACK_SIM_STRONG,
    TrackParams,
    build_tracks,
)
from .embeddings import embeddings
from .loading import load_embeddings
from .partitions import episode_of, episodes

SHORT_TRACK_FACES = 2


class TracksConfig(Config):
    """Association thresholds (see vision.tracking)."""

    iou_min: float = TRACK_IOU
    sim_min: float = TRACK_SIM
    sim_strong: float = TRACK_SIM_STRONG
    max_gap: int = TRACK_MAX_GAP
    min_score: float = TRACK_MIN_SCORE
    min_faces: int = TRACK_MIN_FACES


@asset(
    partitions_def=episodes,
    group_name="episode",
    deps=[embeddings],
    check_specs=[
        AssetCheckSpec(
            "short_track_fraction",
            asset="tracks",
            description=f"Under half of the tracks have {SHORT_TRACK_FACES} faces or fewer",
        )
    ],
)
def tracks(context: AssetExecutionContext, config: TracksConfig, store: BaseArtifactStore) -> MaterializeResult:
    """Link faces into tracks; a track never crosses a shot cut and splits where the identity changes."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    face_table = store.read_table(FACES.key(ep_id))
    video = json.loads(face_table.schema.metadata[b"video"])
    face_ids = face_table.column("face_id").to_numpy()
    frame_idx = face_table.column("frame_idx").to_numpy()
    ts = face_table.column("ts").to_numpy()
    boxes = np.stack([face_table.column(c).to_numpy() for c in ("x1", "y1", "x2", "y2")], axis=1)
    matrix, row_of, clear = load_embeddings(store, ep_id)
    embedding_of = np.array([row_of[f] if clear[row_of[f]] else -1 for f in face_ids.tolist()], np.int64)
    params = TrackParams(**config.model_dump())
    step = int(video["sample_step"])
    shots = face_table.column("shot_id").to_numpy()
    rows = build_tracks(frame_idx, shots, boxes, face_table.column("score").to_numpy(), matrix, embedding_of, step, params)
    sample_seconds = step / float(video["fps"])
    table = pa.table(
        {
            "track_id": pa.array(np.arange(len(rows)), pa.int64()),
            "face_ids": pa.array([face_ids[r].tolist() for r in rows], pa.list_(pa.int64())),
            "start_ts": pa.array([float(ts[r].min()) for r in rows], pa.float64()),
            "end_ts": pa.array([float(ts[r].max()) + sample_seconds for r in rows], pa.float64()),
            "shot_id": pa.array([int(shots[r[0]]) for r in rows], pa.int64()),
        },
        schema=tables.TRACKS,
    )
    store.write_table(TRACKS.key(ep_id), table)
    lengths = np.array([len(r) for r in rows])
    short = float(np.mean(lengths <= SHORT_TRACK_FACES)) if len(lengths) else 0.0
    return MaterializeResult(
        metadata={
            "n_tracks": len(rows),
            "n_faces_dropped": len(face_ids) - int(lengths.sum()),
            "faces_per_track_p10": float(np.percentile(lengths, 10)) if len(lengths) else 0.0,
            "faces_per_track_median": float(np.median(lengths)) if len(lengths) else 0.0,
            "faces_per_track_p90": float(np.percentile(lengths, 90)) if len(lengths) else 0.0,
            **params.__dict__,
            "seconds": round(time.perf_counter() - started, 2),
        },
        check_results=[
            AssetCheckResult(check_name="short_track_fraction", passed=short < 0.5, metadata={"fraction": round(short, 4)})
        ],
    )
