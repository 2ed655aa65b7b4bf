"""Sample episodes of real photos (../shared/data/lfw-dev): recurring people in several photos, one-photo guests, and
the pipeline's quality on them. Skipped on a clone without the shared development data."""


import pytest
from conftest import link_video
from dagster import DagsterInstance

from screanalytics_dagster.deploy.commands import REPO
from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.episode import build_sample_episode
from screanalytics_dagster.samples.evaluation import evaluate
from screanalytics_dagster.samples.photo_sets import GUESTS, RECURRING, draw_cast, read_people

pytestmark = pytest.mark.pipeline

LFW = REPO.parent / "shared" / "data" / "lfw-dev"
EPISODE = "lfwshow-s01e01"


@pytest.fixture(scope="module")
def people():
    if not LFW.is_dir():
        pytest.skip(f"no {LFW}: the real-photo tier needs the shared development data (../shared/data/lfw-dev)")
    return read_people(LFW)


def test_a_cast_is_recurring_people_of_several_photos_then_one_photo_guests(people):
    cast = draw_cast(people, seed=0)
    assert [len(p.faces) > 1 for p in cast] == [True] * RECURRING + [False] * GUESTS
    assert [p.name for p in draw_cast(people, seed=0)] == [p.name for p in cast]
    assert [p.name for p in draw_cast(people, seed=1)] != [p.name for p in cast]
    with pytest.raises(ValueError, match="need 14 and 500"):
        draw_cast(people, seed=0, guests=500)


def test_recurring_people_come_back_and_guests_come_once(people, tmp_path):
    cast = draw_cast(people, seed=0, recurring=4, guests=4)  # a cast a minute of episode has room for
    episode = build_sample_episode(tmp_path / "ep.mp4", duration_s=60.0, seed=0, realistic=True, people=[p.faces for p in cast])
    shown = [a.identity for shot in episode.shots for a in shot.appearances]
    recurring, guests = {p.name for p in cast[:4]}, {p.name for p in cast[4:]}
    assert set(shown) <= recurring | guests
    assert all(shown.count(g) <= 1 for g in guests)
    assert max(shown.count(r) for r in recurring) >= 3


def test_the_pipeline_tells_real_photos_of_one_person_apart_from_others(people, tmp_path):
    cast = draw_cast(people, seed=1, recurring=4, guests=4)
    episode = build_sample_episode(tmp_path / f"{EPISODE}.mp4", duration_s=60.0, seed=1, realistic=True, people=[p.faces for p in cast])
    root = tmp_path / "root"
    link_video(root, EPISODE, episode.video_path)
    process_episode(EPISODE, root, instance=DagsterInstance.ephemeral())
    quality = evaluate(ArtifactStore(root=str(root)), EPISODE, episode)
    assert quality.f1 >= 0.95, quality.summary()
    assert abs(quality.n_persons - quality.n_identities) <= 1, quality.summary()
