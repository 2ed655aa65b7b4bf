"""Sample episodes of real photos (../shared/data/lfw-dev): recurring people in several photos, one-photo guests, and
the pipeline's quality on them. Skipped on a clone without the shared development data."""

import cv2
import numpy as np
import pytest
from conftest import link_video
from dagster import DagsterInstance

from screanalytics_dagster.deploy.commands import REPO
from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.episode import build_sample_episode
from screanalytics_dagster.samples.evaluation import evaluate
from screanalytics_dagster.samples.photo_sets import CLOSE_UPS, GUESTS, RECURRING, draw_cast, read_people
from screanalytics_dagster.vision.faces import FaceEngine, default_model_dir

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
    episode = build_sample_episode(tmp_path / f"{EPISODE}.mp4", duration_s=60.0, seed=1, realistic=True, people=[p.faces for p in cast],
                                   close_ups=CLOSE_UPS)
    root = tmp_path / "root"
    link_video(root, EPISODE, episode.video_path)
    process_episode(EPISODE, root, instance=DagsterInstance.ephemeral())
    quality = evaluate(ArtifactStore(root=str(root)), EPISODE, episode)
    # Nobody merged with a stranger, no false person, and a recurring person split at most twice. The lines
    # (F1 0.99, persons within 1, worst error 10 %) are bench/quality.py --lfw's, over 240-s episodes: on one 60-s
    # episode a single look of a person split off moves F1 by 0.05, and whether it does turns on the CPU's rounding
    # (here Juan_Pablo_Montoya's look of one shot meets another of his at 0.238, the one-shot bar being 0.24).
    assert quality.precision >= 0.99 and not quality.false_persons, quality.summary()
    assert quality.f1 >= 0.9 and -1 <= quality.n_persons - quality.n_identities <= 2, quality.summary()


def test_a_photo_like_none_of_its_persons_others_is_left_out_as_mislabelled(tmp_path):
    group = cv2.imread(str(default_model_dir() / "gdp.jpg"))  # a group photo: each face another person
    boxes = FaceEngine().detect(group).boxes
    first, other = (boxes[i] for i in np.argsort(-(boxes[:, 2] - boxes[:, 0]))[:2])

    def photo_of(box, shift):
        cx, cy = ((box[:2] + box[2:]) / 2).astype(int) + shift
        return cv2.copyMakeBorder(group, 125, 125, 125, 125, cv2.BORDER_REFLECT)[cy : cy + 250, cx : cx + 250]

    sets = {"Gdp": [photo_of(first, s) for s in (0, 6, -6)] + [photo_of(other, 0)], "Pair": [photo_of(first, 0), photo_of(other, 0)]}
    for name, photos in sets.items():
        (tmp_path / name).mkdir()
        for i, photo in enumerate(photos, start=1):
            cv2.imwrite(str(tmp_path / name / f"{name}_{i:04d}.jpg"), photo)
    people = {p.name: p for p in read_people(tmp_path)}
    assert len(people["Gdp"].faces) == 3  # the fourth photo shows someone else
    assert len(people["Pair"].faces) == 2  # two photos: no majority to tell which one is wrong
