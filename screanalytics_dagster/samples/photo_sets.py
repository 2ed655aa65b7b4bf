"""People of real photos for sample episodes: a folder in LFW's layout (Name/Name_NNNN.jpg), several photos per person.

Each photo's labelled person is the face nearest its centre (LFW's convention). A person with several photos is cast
as recurring, and each of their appearances shows another of their photos; a person with one photo is a guest.
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
        faces = []
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
        if faces:
            people.append(Person(person.name, tuple(faces)))
    return people


def draw_cast(people: list[Person], seed: int, recurring: int = RECURRING, guests: int = GUESTS) -> list[Person]:
    """An episode's people: recurring ones (several photos) first, then one-photo guests, drawn by seed."""
    rng = np.random.default_rng(seed)
    several = [p for p in people if len(p.faces) > 1]
    single = [p for p in people if len(p.faces) == 1]
    if len(several) < recurring or len(single) < guests:
        raise ValueError(f"the photo set has {len(several)} people of several photos and {len(single)} of one; need {recurring} and {guests}")
    return [several[i] for i in rng.choice(len(several), recurring, replace=False)] + [single[i] for i in rng.choice(len(single), guests, replace=False)]
