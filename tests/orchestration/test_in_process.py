"""The whole pipeline on the synthetic episodes, against the truth they were built with."""

import pytest
from conftest import link_video, make_episode
from dagster import DagsterInstance

from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.evaluation import Evaluation, evaluate

pytestmark = pytest.mark.pipeline


REALISTIC_EPISODE = "realshow-s01e01"
REALISTIC_SECONDS = 30.0
REALISTIC_SEED = 1  # blurred, defocused and quickly moving faces once split persons and mixed them up


def assert_quality_bar(result: Evaluation) -> None:
    """BCubed F1 >= 0.97, persons within one of the truth, screen time within 5 % per person."""
    print(result.summary())
    assert result.f1 >= 0.97, result.summary()
    assert abs(result.n_persons - result.n_identities) <= 1, result.summary()
    assert result.max_screen_time_error <= 0.05, result.screen_time_error


@pytest.fixture(scope="module")
def realistic_result(tmp_path_factory) -> Evaluation:
    """A short episode filmed like real footage (sample_degrade), processed end to end and scored."""
    folder = tmp_path_factory.mktemp("realistic")
    episode = make_episode(folder, REALISTIC_EPISODE, REALISTIC_SECONDS, REALISTIC_SEED, realistic=True)
    root = tmp_path_factory.mktemp("realistic-storage")
    link_video(root, REALISTIC_EPISODE, episode.video_path)
    process_episode(REALISTIC_EPISODE, root, instance=DagsterInstance.ephemeral())
    return evaluate(ArtifactStore(root=str(root)), REALISTIC_EPISODE, episode)


def test_persons_and_screen_time_match_the_truth(processed_episode, sample_episode):
    result = evaluate(processed_episode.store, processed_episode.ep_id, sample_episode)
    assert_quality_bar(result)
    assert result.matched_faces > 0.9 * (result.matched_faces + result.unmatched_faces)


def test_realistic_footage_meets_the_same_bar(realistic_result):
    assert_quality_bar(realistic_result)


def test_every_true_identity_is_on_screen(processed_episode, sample_episode):
    result = evaluate(processed_episode.store, processed_episode.ep_id, sample_episode)
    assert set(result.screen_time_error) == set(sample_episode.identities)


def test_shot_cuts_are_found_where_the_episode_cuts(sample_episode):
    from screanalytics_dagster.vision.video import ShotDetector, sample_frames

    detector, cuts, shot = ShotDetector(), [], 0
    for frame in sample_frames(sample_episode.video_path):
        if detector.update(frame.image) != shot:
            shot += 1
            cuts.append(frame.index)
    true_cuts = [s.start_frame for s in sample_episode.shots[1:]]
    assert len(cuts) == len(true_cuts)
    assert all(0 <= c - t < 5 for c, t in zip(cuts, true_cuts))  # at the first sample after the cut
