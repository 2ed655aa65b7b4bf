"""tracks: faces linked across sampled frames of one shot by position and appearance."""

import json
import time

import numpy as np
import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import ArtifactStore, episode_key
from ..vision import tables
from ..vision.tracking import TRACK_IOU, TRACK_MAX_GAP, TRACK_SIM, TRACK_SIM_STRONG, TrackParams, build_tracks
from .common import embeddings_by_face, episode_of, episodes
from .embeddings import embeddings

SHORT_TRACK_FACES = 2


class TracksConfig(Config):
    """Association thresholds (see vision.tracking)."""

    iou_min: float = TRACK_IOU
    sim_min: float = TRACK_SIM
    sim_strong: float = TRACK_SIM_STRONG
    max_gap: int = TRACK_MAX_GAP


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
def tracks(context: AssetExecutionContext, config: TracksConfig, store: ArtifactStore) -> MaterializeResult:
    """Link faces into tracks; a track never crosses a shot cut and splits where the identity changes."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    face_table = store.read_table(episode_key(ep_id, "faces.parquet"))
    video = json.loads(face_table.schema.metadata[b"video"])
    face_ids = face_table.column("face_id").to_numpy()
    frame_idx = face_table.column("frame_idx").to_numpy()
    ts = face_table.column("ts").to_numpy()
    boxes = np.stack([face_table.column(c).to_numpy() for c in ("x1", "y1", "x2", "y2")], axis=1)
    row_of, matrix = embeddings_by_face(store, ep_id)
    per_face = np.full((len(face_ids), tables.EMBED_DIM), np.nan, np.float32)
    covers = store.read_table(episode_key(ep_id, "embeddings.parquet"), columns=["face_id", "covers"])
    position = {int(f): i for i, f in enumerate(face_ids)}
    for face_id, covered in zip(covers.column("face_id").to_pylist(), covers.column("covers").to_pylist()):
        for other in covered or [face_id]:
            if other in position:
                per_face[position[other]] = matrix[row_of[face_id]]
    params = TrackParams(config.iou_min, config.sim_min, config.sim_strong, config.max_gap)
    step = int(video["sample_step"])
    rows = build_tracks(frame_idx, face_table.column("shot_id").to_numpy(), boxes, per_face, step, params)
    sample_seconds = step / float(video["fps"])
    table = pa.table(
        {
            "track_id": pa.array(np.arange(len(rows)), pa.int64()),
            "face_ids": pa.array([face_ids[r].tolist() for r in rows], pa.list_(pa.int64())),
            "start_ts": pa.array([float(ts[r].min()) for r in rows], pa.float64()),
            "end_ts": pa.array([float(ts[r].max()) + sample_seconds for r in rows], pa.float64()),
            "shot_id": pa.array([int(face_table.column("shot_id")[int(r[0])].as_py()) for r in rows], pa.int64()),
        },
        schema=tables.TRACKS,
    )
    store.write_table(episode_key(ep_id, "tracks.parquet"), table)
    lengths = np.array([len(r) for r in rows])
    short = float(np.mean(lengths <= SHORT_TRACK_FACES)) if len(lengths) else 0.0
    return MaterializeResult(
        metadata={
            "n_tracks": len(rows),
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
