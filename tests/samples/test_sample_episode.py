"""The synthetic episode builder: deterministic, truthful, and harder when realistic."""

import pytest

from screanalytics_dagster.samples.episode import SampleEpisode, build_sample_episode
from screanalytics_dagster.vision.faces import FaceEngine
from screanalytics_dagster.vision.metrics import match_faces_to_truth
from screanalytics_dagster.vision.video import probe, sample_frames

pytestmark = pytest.mark.pipeline



@pytest.fixture(scope="module")
def engine():
    return FaceEngine()


def test_same_seed_same_episode_and_truth_round_trip(tmp_path):
    a = build_sample_episode(tmp_path / "a.mp4", duration_s=4.0, seed=7)
    b = build_sample_episode(tmp_path / "b.mp4", duration_s=4.0, seed=7)
    assert a.video_path.read_bytes() == b.video_path.read_bytes()
    a.save_truth(tmp_path / "a.json")
    loaded = SampleEpisode.load(a.video_path, tmp_path / "a.json")
    assert loaded.screen_seconds() == a.screen_seconds()
    assert probe(a.video_path).n_frames == a.n_frames
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("realistic", [False, True])
def test_the_detector_finds_the_true_faces(tmp_path, engine, realistic):
    episode = build_sample_episode(tmp_path / "ep.mp4", duration_s=8.0, seed=2, realistic=realistic)
    found, total = 0, 0
    for frame in sample_frames(episode.video_path):
        dets = engine.detect(frame.image)
        matched = match_faces_to_truth([(frame.index, box) for box in dets.boxes], episode.truth_at)
        found += len({m for m in matched if m})
        total += len(episode.truth_at(frame.index))
    assert total > 0 and found / total >= 0.8


def test_realistic_footage_differs_from_plain(tmp_path):
    plain = build_sample_episode(tmp_path / "plain.mp4", duration_s=3.0, seed=1)
    real = build_sample_episode(tmp_path / "real.mp4", duration_s=3.0, seed=1, realistic=True)
    assert plain.video_path.read_bytes() != real.video_path.read_bytes()


def test_close_ups_are_large_faces_the_frame_edge_cuts_and_the_detector_finds(tmp_path, engine):
    episode = build_sample_episode(tmp_path / "ep.mp4", duration_s=12.0, seed=3, realistic=True, close_ups=1.0)
    alone = [s for s in episode.shots if len(s.appearances) == 1]
    assert alone
    for shot in alone:
        boxes = shot.appearances[0].boxes
        assert (boxes[:, 2] - boxes[:, 0]).min() > 100  # large, though cut
        assert boxes.min() >= 0 and (boxes[:, [0, 2]] <= episode.width).all() and (boxes[:, [1, 3]] <= episode.height).all()
        touches = (boxes[:, 0] <= 0) | (boxes[:, 2] >= episode.width) | (boxes[:, 3] >= episode.height)
        assert touches.all()
    found = total = 0
    for frame in sample_frames(episode.video_path):
        if any(s.start_frame <= frame.index < s.end_frame for s in alone):
            matched = match_faces_to_truth([(frame.index, box) for box in engine.detect(frame.image).boxes], episode.truth_at)
            found += len({m for m in matched if m})
            total += len(episode.truth_at(frame.index))
    assert total > 0 and found / total >= 0.8
