"""Video probing, streaming frame sampling and shot-cut detection."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
# PyAV's decoder threads. Beside the detectors, none, frame and slice threads cost the same CPU; slices finish a frame
# soonest, so the detectors wait least at a shot's start.
DECODE_THREADING = "SLICE"


class VideoError(ValueError):
    """A video that cannot be opened or has no frames."""


class _PyAVStopped(Exception):
    """PyAV cannot go on (a frame whose place among OpenCV's is not known, a read error): OpenCV's reader takes over."""


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
    """Stream every n-th frame: by PyAV, decoding only what sampling needs, where the timestamps allow; else by OpenCV."""
    info = probe(path)
    step = sample_step(info.fps, sample_fps)
    last = -1
    clock = timeline(path, info.fps)
    if clock is not None:
        try:
            for frame in _decode_sampled(path, step, clock, info.fps):
                last = frame.index
                yield frame
            if last >= 0:
                return
        except _PyAVStopped:
            pass
    for frame in _read_every(path, step, info.fps):  # resumes after the last frame PyAV gave
        if frame.index > last:
            yield frame


@dataclass(frozen=True)
class Timeline:
    """Frame index by timestamp, in a stream whose timestamps number its frames 0..n-1: (pts - start) * num / den."""

    start: int
    num: int
    den: int

    def index(self, pts: int) -> int:
        return ((pts - self.start) * self.num * 2 + self.den) // (2 * self.den)


def timeline(path: str | Path, fps: float) -> Timeline | None:
    """The stream's timeline, or None when its timestamps do not number the frames 0..n-1 (gaps, variable rate, none).

    One demuxing pass without decoding. Where it holds, the frame at index i is the i-th frame OpenCV's reader counts.
    """
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate, base = stream.average_rate, stream.time_base
            stamps = [packet.pts for packet in container.demux(stream) if packet.size]
    except (av.FFmpegError, IndexError):
        return None
    pts = [p for p in stamps if p is not None]
    if not pts or len(pts) < len(stamps) or not rate or not base or abs(float(rate) - fps) > 0.01:
        return None
    step = base * rate
    clock = Timeline(min(pts), step.numerator, step.denominator)
    off_grid = any(4 * min(r, clock.den - r) > clock.den for r in ((p - clock.start) * clock.num % clock.den for p in pts))
    if off_grid or sorted(clock.index(p) for p in pts) != list(range(len(pts))):
        return None
    return clock


def _decode_sampled(path: str | Path, step: int, clock: Timeline, fps: float) -> Iterator[Frame]:
    """Every step-th frame, by PyAV, skipping the decode of frames that are neither sampled nor referenced by others."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = DECODE_THREADING
            codec = stream.codec_context
            for packet in container.demux(stream):
                sampled = packet.pts is None or clock.index(packet.pts) % step == 0  # unknown: decoded
                codec.skip_frame = "DEFAULT" if sampled else "NONREF"
                try:
                    decoded = codec.decode(packet)
                except av.InvalidDataError:  # a corrupt packet: FFmpeg conceals it in the frames that follow
                    continue
                for frame in decoded:
                    if frame.pts is None or frame.rotation:  # a frame without a place, or one OpenCV would turn upright
                        raise _PyAVStopped
                    index = clock.index(frame.pts)
                    if index % step == 0:
                        yield Frame(index, index / fps, frame.to_ndarray(format="bgr24"))
    except av.FFmpegError as exc:
        raise _PyAVStopped from exc


def _read_every(path: str | Path, step: int, fps: float) -> Iterator[Frame]:
    """Every step-th frame by OpenCV, counting frames as they decode (grab skips converting the rest)."""
    cap = _open(path)
    try:
        index = 0
        while cap.grab():
            if index % step == 0:
                ok, image = cap.retrieve()
                if not ok:
                    break
                yield Frame(index, index / fps, image)
            index += 1
    finally:
        cap.release()


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
