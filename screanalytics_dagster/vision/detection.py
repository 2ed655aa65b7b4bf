"""Sampled frames -> detected faces with aligned crops, streamed in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import pyarrow as pa

from . import tables
from .concurrency import ordered_map, read_ahead
from .faces import FaceEngine
from .stages import Detections, Faces
from .video import SAMPLE_FPS, Frame, ShotDetector, probe, sample_frames, sample_step

BATCH_FRAMES = 64
CROP_JPEG_QUALITY = 95

Progress = Callable[[int, int, str], None]


def detect_faces(
    video: str | Path,
    engine: FaceEngine,
    sample_fps: float = SAMPLE_FPS,
    progress: Progress | None = None,
) -> Iterator[tuple[Faces, list[bytes]]]:
    """Yield the faces of every BATCH_FRAMES sampled frames of a video, with the JPEG of each face's aligned crop."""
    info = probe(video)
    total = -(-info.n_frames // sample_step(info.fps, sample_fps))
    shots = ShotDetector(sample_fps)
    found: list[Faces] = []
    crops: list[bytes] = []
    face_id = 0
    frames = read_ahead(sample_frames(video, sample_fps))
    for n, (frame, dets, jpegs) in enumerate(ordered_map(partial(faces_of_frame, engine), frames, engine.detect_workers), start=1):
        found.append(Faces.of_frame(face_id, frame.index, frame.ts, shots.update(frame.image), dets))
        crops += jpegs
        face_id += len(dets)
        if n % BATCH_FRAMES == 0:
            yield Faces.concat(found), crops
            found, crops = [], []
            if progress:
                progress(n, total, f"frame {frame.index}/{info.n_frames}")
    yield Faces.concat(found), crops
    if progress:
        progress(total, total, f"{face_id} faces in {shots.shot + 1} shots")


def faces_of_frame(engine: FaceEngine, frame: Frame) -> tuple[Frame, Detections, list[bytes]]:
    """A frame's faces and the JPEG of each face's aligned crop: one detection worker's share."""
    dets = engine.detect(frame.image)
    jpegs = [cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY])[1].tobytes() for crop in engine.align(frame.image, dets.kps)]
    return frame, dets, jpegs


def crops_batch(faces: Faces, jpegs: list[bytes]) -> pa.RecordBatch:
    """The crops table's rows for these faces (tables.CROPS)."""
    return pa.RecordBatch.from_arrays([pa.array(faces.face_id, pa.int64()), pa.array(jpegs, pa.binary())], schema=tables.CROPS)


def decode_crops(jpegs: list[bytes]) -> np.ndarray:
    """JPEG crops back to a (N,112,112,3) BGR array."""
    images = cast(list[np.ndarray], [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR) for j in jpegs])  # our own JPEGs: None only for a corrupt one
    return np.stack(images) if images else np.zeros((0, 112, 112, 3), np.uint8)
