"""Shared fixtures: the synthetic test episode, built once per session from shipped photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from screanalytics_dagster.pipeline import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.sample_episode import SampleEpisode, build_sample_episode

TEST_EPISODE = "testshow-s01e01"
TEST_SECONDS = 60.0


def make_episode(folder: Path, ep_id: str, seconds: float = TEST_SECONDS, seed: int = 0) -> SampleEpisode:
    """A synthetic episode video with its truth, reused when already built in folder."""
    video, truth = folder / f"{ep_id}.mp4", folder / f"{ep_id}.json"
    if video.is_file() and truth.is_file():
        return SampleEpisode.load(video, truth)
    episode = build_sample_episode(video, duration_s=seconds, seed=seed)
    episode.save_truth(truth)
    return episode


@pytest.fixture(scope="session")
def sample_episode(tmp_path_factory) -> SampleEpisode:
    """The synthetic test episode: real photos, several shots of one to three people, small faces."""
    return make_episode(tmp_path_factory.mktemp("samples"), TEST_EPISODE)


@pytest.fixture(scope="session")
def processed_episode(tmp_path_factory, sample_episode) -> tuple[ArtifactStore, str]:
    """The test episode processed end to end into a fresh storage root."""
    root = tmp_path_factory.mktemp("storage")
    (root / "videos").mkdir()
    (root / "videos" / f"{TEST_EPISODE}.mp4").symlink_to(sample_episode.video_path)
    process_episode(TEST_EPISODE, root, instance=DagsterInstance.ephemeral())
    return ArtifactStore(root=str(root)), TEST_EPISODE
