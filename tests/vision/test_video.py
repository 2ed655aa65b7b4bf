import os

import cv2
import numpy as np
import pytest

from screanalytics_dagster.vision.video import ShotDetector, VideoError, probe, read_ahead, sample_frames, sample_step

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


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return {
        "plain": write_video(folder / "plain.mp4", [solid(RED)] * 20 + [solid(BLUE)] * 20),
        "cuts": write_video(folder / "cuts.mp4", SEGMENTS),
    }


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


def test_read_ahead_passes_items_in_order():
    assert list(read_ahead(iter(range(50)), depth=3)) == list(range(50))


def test_read_ahead_reraises_producer_errors():
    def produce():
        yield 1
        yield 2
        raise RuntimeError("decoder broke")

    seen = []
    with pytest.raises(RuntimeError, match="decoder broke"):
        for item in read_ahead(produce(), depth=4):
            seen.append(item)
    assert seen == [1, 2]


def test_read_ahead_stops_the_producer_when_closed():
    pulled = []

    def produce():
        for i in range(1000):
            pulled.append(i)
            yield i

    items = read_ahead(produce(), depth=2)
    assert next(items) == 0
    items.close()
    assert len(pulled) < 10
