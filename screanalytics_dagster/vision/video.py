"""Video probing, streaming frame sampling and shot-cut detection."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's own stderr noise; VideoError says what failed
import cv2  # noqa: E402
import numpy as np  # noqa: E402

SAMPLE_FPS = 5.0  # frames sampled per second. Raise: finer screen time, costs time in proportion; lower: the reverse
# PySceneDetect ContentDetector's default HSV-difference threshold. Raise: missed cuts let tracks cross them; lower:
# camera moves split tracks at false cuts.
SHOT_THRESHOLD = 27.0
SHOT_WIDTH = 256  # shots are detected on a small nearest-neighbour copy: cuts are global changes, and area averaging costs 1 ms a frame
READ_AHEAD = 8


class VideoError(ValueError):
    """A video that cannot be opened or has no frames."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video container says about its stream."""

    fps: float
    n_frames: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps


@dataclass
class Frame:
    """One sampled frame: its index in the source, its time in seconds and BGR pixels."""

    index: int
    ts: float
    image: np.ndarray


def _open(path: str | Path) -> cv2.VideoCapture:
    if not Path(path).is_file():
        raise VideoError(f"video not found: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(f"video unreadable (not a video file or unsupported codec): {path}")
    return cap


def probe(path: str | Path) -> VideoInfo:
    """Frame rate, frame count and size of a video; raises VideoError when unreadable or empty."""
    cap = _open(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        info = VideoInfo(
            fps=fps if fps and fps > 0 else 25.0,
            n_frames=int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        if info.n_frames <= 0 or info.width <= 0 or not cap.grab():
            raise VideoError(f"video has no frames: {path}")
        return info
    finally:
        cap.release()


def sample_step(fps: float, sample_fps: float = SAMPLE_FPS) -> int:
    """Source frames between two samples."""
    return max(1, round(fps / sample_fps))


def sample_frames(path: str | Path, sample_fps: float = SAMPLE_FPS) -> Iterator[Frame]:
    """Stream every n-th frame, decoding only the frames kept (grab skips the rest)."""
    info = probe(path)
    step = sample_step(info.fps, sample_fps)
    cap = _open(path)
    try:
        index = 0
        while cap.grab():
            if index % step == 0:
                ok, image = cap.retrieve()
                if not ok:
                    break
                yield Frame(index, index / info.fps, image)
            index += 1
    finally:
        cap.release()


def read_ahead(items: Iterable, depth: int = READ_AHEAD) -> Iterator:
    """Produce items in a background thread (decoding overlaps inference), bounded to depth."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            buffer.put(exc)
        buffer.put(done)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full buffer
            try:
                buffer.get(timeout=0.1)
            except queue.Empty:
                pass


class ShotDetector:
    """Marks shot cuts between consecutive sampled frames (PySceneDetect's ContentDetector)."""

    def __init__(self, sample_fps: float = SAMPLE_FPS, threshold: float = SHOT_THRESHOLD):
        self.sample_fps = sample_fps
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        from scenedetect.detectors import ContentDetector

        self._detector = ContentDetector(threshold=self.threshold, min_scene_len=1)
        self._count = 0
        self.shot = 0

    def update(self, image: np.ndarray) -> int:
        """The shot id of this frame; a new id starts at each cut."""
        from scenedetect import FrameTimecode

        height, width = image.shape[:2]
        small = cv2.resize(image, (SHOT_WIDTH, max(1, round(height * SHOT_WIDTH / width))), interpolation=cv2.INTER_NEAREST)
        cuts = self._detector.process_frame(FrameTimecode(self._count, fps=float(self.sample_fps)), small)
        if self._count > 0 and cuts:
            self.shot += 1
        self._count += 1
        return self.shot
