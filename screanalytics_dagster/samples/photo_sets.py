"""People of real photos for sample episodes: a folder in LFW's layout (Name/Name_NNNN.jpg), several photos per person.

Each photo's labelled person is the face nearest its centre (LFW's convention). A person with several photos is cast
as recurring, and each of their appearances shows another of their photos; a person with one photo is a guest.
A photo whose face is like none of its person's other photos is one of LFW's mislabelled ones and is left out: the
truth of every episode showing it would be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .episode import MIN_FACE_PX, SourceFace, soft_pad

PAD_PX = 64  # blurred border around each photo, so a wide patch never reaches its edge
RECURRING = 14  # people with several photos cast per episode
GUESTS = 24  # people with one photo cast per episode
CLOSE_UPS = 0.2  # share of one-person shots filmed as a close-up cut by the frame edge (build_sample_episode's close_ups)
# Best cosine to the person's other photos under which a photo shows someone else. On lfw-dev the one mislabelled photo
# (Michael_Schumacher_0008) scores 0.07 and the least alike genuine one 0.40 (Luis_Horna_0002).
MISLABELLED_SIM = 0.2


@dataclass(frozen=True)
class Person:
    """One person of the photo set: a face of theirs per photo."""

    name: str
    faces: tuple[SourceFace, ...]


def read_people(folder: Path) -> list[Person]:
    """Everyone in the folder with at least one usable photo (a face at least MIN_FACE_PX wide near its centre)."""
    from screanalytics_dagster.vision.faces import FaceEngine

    engine = FaceEngine()
    people = []
    for person in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        faces, looks = [], []
        for path in sorted(person.glob("*.jpg")):
            img = cv2.imread(str(path))
            if img is None:
                continue
            photo = soft_pad(img, PAD_PX)
            photo.flags.writeable = False
            found = engine.detect(photo)
            boxes = found.boxes.astype(np.float64)
            if not len(boxes):
                continue
            centre = (boxes[:, :2] + boxes[:, 2:]) / 2 - np.array(photo.shape[1::-1]) / 2
            i = int(np.argmin(np.hypot(*centre.T)))
            if boxes[i, 2] - boxes[i, 0] >= MIN_FACE_PX:
                faces.append(SourceFace(person.name, photo, boxes[i], found.kps[i].astype(np.float64)))
                looks.append(engine.embed(engine.align(photo, found.kps[i : i + 1]))[0][0])
        kept = [f for f, ok in zip(faces, _labelled_right(np.array(looks))) if ok]
        if kept:
            people.append(Person(person.name, tuple(kept)))
    return people


def _labelled_right(looks: np.ndarray) -> np.ndarray:
    """Per photo of one person (embeddings (N,512)): whether it is like another of their photos; with two or fewer, all."""
    if len(looks) <= 2:
        return np.ones(len(looks), bool)
    sim = looks @ looks.T
    np.fill_diagonal(sim, -1.0)
    return sim.max(axis=1) >= MISLABELLED_SIM


def draw_cast(people: list[Person], seed: int, recurring: int = RECURRING, guests: int = GUESTS) -> list[Person]:
    """An episode's people: recurring ones (several photos) first, then one-photo guests, drawn by seed."""
    rng = np.random.default_rng(seed)
    several = [p for p in people if len(p.faces) > 1]
    single = [p for p in people if len(p.faces) == 1]
    if len(several) < recurring or len(single) < guests:
        raise ValueError(f"the photo set has {len(several)} people of several photos and {len(single)} of one; need {recurring} and {guests}")
    return [several[i] for i in rng.choice(len(several), recurring, replace=False)] + [single[i] for i in rng.choice(len(single), guests, replace=False)]
