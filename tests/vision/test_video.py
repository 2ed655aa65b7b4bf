import os
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from screanalytics_dagster.vision import video
from screanalytics_dagster.vision.video import ShotDetector, Timeline, VideoError, probe, sample_frames, sample_step, timeline

pytestmark = pytest.mark.unit


W, H, FPS = 160, 120, 25
RED, BLUE = (0, 0, 200), (200, 60, 0)


def solid(colour):
    return np.full((H, W, 3), colour, np.uint8)


NOISE = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
SEGMENTS = [solid(RED)] * 20 + [NOISE] * 20 + [solid(BLUE)] * 20  # hard cuts at frames 20 and 40


def write_video(path, frames, fps=FPS):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W, H))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def write_h264(path, n_frames, pts=None):
    """An H.264 file with B-frames of moving noise, each frame at the given timestamp (1/FPS units; default 0..n-1)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"bf": "3", "g": "25"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(np.roll(NOISE, 3 * i, axis=1), format="bgr24")
            frame.pts, frame.time_base = (pts[i] if pts else i), Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return {
        "plain": write_video(folder / "plain.mp4", [solid(RED)] * 20 + [solid(BLUE)] * 20),
        "cuts": write_video(folder / "cuts.mp4", SEGMENTS),
        "h264": write_h264(folder / "h264.mp4", 60),
        "gap": write_h264(folder / "gap.mp4", 40, pts=list(range(20)) + list(range(30, 50))),
    }


def opencv_samples(path, step):
    return list(video._read_every(path, step, probe(path).fps))


@pytest.mark.parametrize("sample_fps", [5.0, 12.5, 25.0])
def test_pyav_gives_opencvs_samples_on_h264_with_b_frames(videos, sample_fps):
    assert timeline(videos["h264"], FPS) is not None  # the PyAV path is taken
    frames, expected = list(sample_frames(videos["h264"], sample_fps)), opencv_samples(videos["h264"], sample_step(FPS, sample_fps))
    assert [(f.index, f.ts) for f in frames] == [(f.index, f.ts) for f in expected]
    assert all(np.array_equal(f.image, e.image) for f, e in zip(frames, expected))


def test_timeline_numbers_frames_from_timestamps_rounded_to_milliseconds():
    step = Fraction(1, 1000) * Fraction(30000, 1001)  # 29.97 fps in a millisecond time base, as Matroska stores it
    clock = Timeline(40, step.numerator, step.denominator)
    assert [clock.index(40 + round(i * 1001 / 30)) for i in range(3000)] == list(range(3000))


def test_timestamps_with_a_gap_fall_back_to_opencv(videos):
    assert timeline(videos["gap"], FPS) is None
    frames, expected = list(sample_frames(videos["gap"])), opencv_samples(videos["gap"], sample_step(probe(videos["gap"]).fps))
    assert [f.index for f in frames] == [f.index for f in expected] and len(frames) > 5  # counted as decoded, as before
    assert all(np.array_equal(f.image, e.image) for f, e in zip(frames, expected))


def test_a_corrupt_stretch_mid_file_still_gives_the_samples_in_order(videos, tmp_path):
    data = bytearray(videos["h264"].read_bytes())
    middle = len(data) * 3 // 5
    data[middle : middle + 2000] = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    indices = [f.index for f in sample_frames(broken)]
    assert indices == sorted(set(indices)) and all(i % 5 == 0 for i in indices) and len(indices) >= 6


def test_opencv_resumes_after_the_last_frame_pyav_gave(videos, monkeypatch):
    real = video._decode_sampled

    def stop_after_three(*args):
        for n, frame in enumerate(real(*args)):
            if n == 3:
                raise video._PyAVStopped
            yield frame

    monkeypatch.setattr(video, "_decode_sampled", stop_after_three)
    assert [f.index for f in sample_frames(videos["h264"])] == list(range(0, 60, 5))


def test_probe(videos):
    info = probe(videos["plain"])
    assert (info.fps, info.n_frames, info.width, info.height) == (25.0, 40, W, H)
    assert info.duration == pytest.approx(1.6)


@pytest.mark.parametrize("sample_fps, indices", [(5.0, list(range(0, 40, 5))), (12.5, list(range(0, 40, 2))), (25.0, list(range(40)))])
def test_sample_frames(videos, sample_fps, indices):
    frames = list(sample_frames(videos["plain"], sample_fps))
    assert [f.index for f in frames] == indices
    assert [f.ts for f in frames] == pytest.approx([i / FPS for i in indices])
    assert all(f.image.shape == (H, W, 3) and f.image.dtype == np.uint8 for f in frames)


def test_sample_frames_decodes_the_right_frames(videos):
    frames = list(sample_frames(videos["plain"]))
    means = [f.image.reshape(-1, 3).mean(axis=0) for f in frames]
    assert all(m[2] > 150 and m[0] < 50 for m in means[:4])  # red before frame 20
    assert all(m[0] > 150 and m[2] < 50 for m in means[4:])  # blue from frame 20


@pytest.mark.parametrize("fps, step", [(25, 5), (30, 6), (29.97, 6), (24, 5), (60, 12), (2, 1)])
def test_sample_step(fps, step):
    assert sample_step(fps, 5.0) == step


def _missing(path):
    return path


def _random_bytes(path):
    path.write_bytes(os.urandom(4096))
    return path


def _empty_file(path):
    path.write_bytes(b"")
    return path


def _no_frames(path):
    return write_video(path, [])


@pytest.mark.parametrize("make", [_missing, _random_bytes, _empty_file, _no_frames])
def test_unreadable_videos_raise_video_error(tmp_path, make):
    path = make(tmp_path / "bad.mp4")
    with pytest.raises(VideoError, match="bad.mp4"):
        probe(path)
    with pytest.raises(VideoError):
        next(sample_frames(path))


def test_shot_detector_on_video(videos):
    detector = ShotDetector()
    shots = [detector.update(f.image) for f in sample_frames(videos["cuts"])]
    assert shots == [0] * 4 + [1] * 4 + [2] * 4


def test_shot_detector_every_frame_and_reset():
    detector = ShotDetector(sample_fps=25.0)
    assert [detector.update(f) for f in SEGMENTS] == [0] * 20 + [1] * 20 + [2] * 20
    detector.reset()
    assert [detector.update(f) for f in SEGMENTS[:3]] == [0, 0, 0]


def test_shot_detector_accepts_an_integer_sample_fps():
    assert ShotDetector(sample_fps=10).update(solid(RED)) == 0


def test_shot_detector_no_cut_in_a_still_shot():
    detector = ShotDetector()
    big = cv2.resize(NOISE, (640, 360), interpolation=cv2.INTER_NEAREST)
    assert {detector.update(big) for _ in range(10)} == {0}
