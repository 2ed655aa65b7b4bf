"""Sampled frames -> detected faces with aligned crops, streamed in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import pyarrow as pa

from . import tables
from .faces import FaceEngine
from .video import SAMPLE_FPS, ShotDetector, probe, read_ahead, sample_frames, sample_step

BATCH_FRAMES = 64
CROP_JPEG_QUALITY = 95

Progress = Callable[[int, int, str], None]


def detect_faces(
    video: str | Path,
    engine: FaceEngine,
    sample_fps: float = SAMPLE_FPS,
    progress: Progress | None = None,
) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """Yield (faces, crops) record batches for every BATCH_FRAMES sampled frames of a video."""
    info = probe(video)
    total = -(-info.n_frames // sample_step(info.fps, sample_fps))
    shots = ShotDetector(sample_fps)
    rows: list[tuple] = []
    crops: list[bytes] = []
    face_id = 0
    for n, frame in enumerate(read_ahead(sample_frames(video, sample_fps)), start=1):
        shot = shots.update(frame.image)
        dets = engine.detect(frame.image)
        for box, score, crop in zip(dets.boxes, dets.scores, engine.align(frame.image, dets.kps)):
            rows.append((face_id, frame.index, frame.ts, *box.tolist(), float(score), shot))
            crops.append(cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY])[1].tobytes())
            face_id += 1
        if n % BATCH_FRAMES == 0:
            yield _batches(rows, crops)
            rows, crops = [], []
            if progress:
                progress(n, total, f"frame {frame.index}/{info.n_frames}")
    yield _batches(rows, crops)
    if progress:
        progress(total, total, f"{face_id} faces in {shots.shot + 1} shots")


def _batches(rows: list[tuple], crops: list[bytes]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    columns: list[Sequence[Any]] = list(zip(*rows)) if rows else [[] for _ in tables.FACES]
    faces = pa.RecordBatch.from_arrays([pa.array(c, f.type) for c, f in zip(columns, tables.FACES)], schema=tables.FACES)
    crop_batch = pa.RecordBatch.from_arrays([faces.column("face_id"), pa.array(crops, pa.binary())], schema=tables.CROPS)
    return faces, crop_batch


def decode_crops(jpegs: list[bytes]) -> np.ndarray:
    """JPEG crops back to a (N,112,112,3) BGR array."""
    images = cast(list[np.ndarray], [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR) for j in jpegs])  # our own JPEGs: None only for a corrupt one
    return np.stack(images) if images else np.zeros((0, 112, 112, 3), np.uint8)
