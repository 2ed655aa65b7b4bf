"""Shared fixtures: the synthetic test episode, built once per session from shipped photos; an S3 server on loopback."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance

from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.episode import SampleEpisode, load_or_build_sample

pytest_plugins = ["service_fixtures", "ui_fixtures"]

TIERS = ("unit", "pipeline", "stack", "browser")  # the markers of pyproject.toml


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test belongs to one tier, so `make test-fast` (-m unit) never misses a new module by accident."""
    untiered = [item.nodeid for item in items if not any(item.get_closest_marker(tier) for tier in TIERS)]
    if untiered:
        raise pytest.UsageError(f"tests without a tier marker ({', '.join(TIERS)}): {', '.join(untiered[:5])}")

TEST_EPISODE = "testshow-s01e01"
TEST_SECONDS = 60.0
# recluster's run config that splits each person into several clusters and merges none back (bench/suggestions.py's strict view)
SPLIT_PEOPLE = {"ops": {"clusters": {"config": {"threshold": 0.85}}, "groups": {"config": {"merge_threshold": 1.5}}}}


def make_episode(
    folder: Path, ep_id: str, seconds: float = TEST_SECONDS, seed: int = 0, realistic: bool = False
) -> SampleEpisode:
    """A synthetic episode video with its truth, reused when already built in folder."""
    return load_or_build_sample(folder / f"{ep_id}.mp4", duration_s=seconds, seed=seed, realistic=realistic)


@pytest.fixture(scope="session")
def sample_episode(tmp_path_factory) -> SampleEpisode:
    """The synthetic test episode: real photos, several shots of one to three people, small faces."""
    return make_episode(tmp_path_factory.mktemp("samples"), TEST_EPISODE)


@dataclass
class Processed:
    """An episode processed end to end: its store, id and Dagster instance."""

    store: ArtifactStore
    ep_id: str
    instance: DagsterInstance

    @property
    def root(self) -> Path:
        return Path(self.store.root)


def link_video(root: Path, ep_id: str, video: Path) -> None:
    """Put a video where the faces asset looks for it."""
    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "videos" / f"{ep_id}.mp4").symlink_to(video)


@pytest.fixture(scope="session")
def processed_episode(tmp_path_factory, sample_episode) -> Processed:
    """The test episode processed end to end into a fresh storage root."""
    root = tmp_path_factory.mktemp("storage")
    link_video(root, TEST_EPISODE, sample_episode.video_path)
    instance = DagsterInstance.ephemeral()
    store = ArtifactStore(root=str(root))
    process_episode(TEST_EPISODE, root, instance=instance, store=store)
    return Processed(store, TEST_EPISODE, instance)


@pytest.fixture
def copied_episode(processed_episode, tmp_path) -> Processed:
    """A private copy of the processed episode's storage, free to change, with a fresh instance."""
    shutil.copytree(processed_episode.root, tmp_path / "root", symlinks=True)
    return Processed(ArtifactStore(root=str(tmp_path / "root")), processed_episode.ep_id, DagsterInstance.ephemeral())
