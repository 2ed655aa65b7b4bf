"""tracks: faces linked across sampled frames of one shot by position and appearance."""

import time

import numpy as np
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import BaseArtifactStore
from ..resources.artifacts import TRACKS
from ..vision.stages import Tracks
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
from .loading import read_embeddings, read_faces
from .partitions import episode_of, episodes
from .progress import progress_reporter

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
    progress_reporter(context, store)(0, 1, "linking faces into tracks")
    found, video = read_faces(store, ep_id)
    embedded = read_embeddings(store, ep_id)
    row_of = embedded.row_of()
    embedding_of = np.array([row_of[f] if embedded.clear[row_of[f]] else -1 for f in found.face_id.tolist()], np.int64)
    params = TrackParams(**config.model_dump())
    step = int(video["sample_step"])
    rows = build_tracks(found, embedded.vectors, embedding_of, step, params)
    store.write_table(TRACKS.key(ep_id), Tracks.of_rows(found, rows, step / float(video["fps"])).to_arrow())
    lengths = np.array([len(r) for r in rows])
    short = float(np.mean(lengths <= SHORT_TRACK_FACES)) if len(lengths) else 0.0
    return MaterializeResult(
        metadata={
            "n_tracks": len(rows),
            "n_faces_dropped": len(found) - int(lengths.sum()),
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
