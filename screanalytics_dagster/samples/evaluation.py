"""Quality of a processed sample episode against the truth it was built with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..resources import BaseArtifactStore
from ..resources.artifacts import CLUSTERS, FACES, GROUPS, SCREENTIME, TRACKS
from ..vision.metrics import bcubed_f1, match_faces_to_truth, screen_time_errors
from .truth import SampleEpisode


@dataclass
class Evaluation:
    """BCubed scores of persons over detected faces, person counts and screen-time errors."""

    precision: float
    recall: float
    f1: float
    n_persons: int
    n_identities: int
    screen_time_error: dict[str, float]
    matched_faces: int
    unmatched_faces: int
    false_persons: list[str]  # persons with screen time most of whose faces have no true face under them

    @property
    def max_screen_time_error(self) -> float:
        return max(self.screen_time_error.values(), default=0.0)

    def summary(self) -> str:
        return (
            f"BCubed P/R/F1 {self.precision:.4f}/{self.recall:.4f}/{self.f1:.4f}; "
            f"persons {self.n_persons} vs {self.n_identities} true; "
            f"max screen-time error {self.max_screen_time_error:.1%}; "
            f"false persons {len(self.false_persons)}; "
            f"faces matched to truth {self.matched_faces}, unmatched {self.unmatched_faces}"
        )


def person_of_faces(store: BaseArtifactStore, ep_id: str) -> dict[int, str]:
    """Face id -> person id, through tracks, clusters and groups."""
    tracks = store.read_table(TRACKS.key(ep_id), columns=["track_id", "face_ids"])
    clusters = store.read_table(CLUSTERS.key(ep_id), columns=["cluster_id", "track_ids"])
    groups = store.read_table(GROUPS.key(ep_id), columns=["cluster_id", "person_id"])
    person_of_cluster = dict(zip(groups.column("cluster_id").to_pylist(), groups.column("person_id").to_pylist()))
    person_of_track = {
        t: person_of_cluster[c]
        for c, ts in zip(clusters.column("cluster_id").to_pylist(), clusters.column("track_ids").to_pylist())
        for t in ts
    }
    return {
        f: person_of_track[t]
        for t, fs in zip(tracks.column("track_id").to_pylist(), tracks.column("face_ids").to_pylist())
        for f in fs
    }


def truth_of_faces(store: BaseArtifactStore, ep_id: str, sample: SampleEpisode) -> dict[int, str | None]:
    """Face id -> the true identity under it (None: no true face there)."""
    faces = store.read_table(FACES.key(ep_id))
    boxes = np.stack([faces.column(c).to_numpy() for c in ("x1", "y1", "x2", "y2")], axis=1)
    truth = match_faces_to_truth(list(zip(faces.column("frame_idx").to_pylist(), boxes)), sample.truth_at)
    return dict(zip(faces.column("face_id").to_pylist(), truth))


def evaluate(store: BaseArtifactStore, ep_id: str, sample: SampleEpisode) -> Evaluation:
    """Compare an episode's persons and screen time with the sample's truth."""
    truth = truth_of_faces(store, ep_id, sample)
    person = person_of_faces(store, ep_id)
    # A true face left out of every track counts as a person of its own: missed, not forgiven.
    pairs = [(person.get(f, f"untracked-{f}"), t) for f, t in truth.items() if t is not None]
    precision, recall, f1 = bcubed_f1([p for p, _ in pairs], [t for _, t in pairs])
    screentime = store.read_table(SCREENTIME.key(ep_id))
    seconds = dict(zip(screentime.column("person_id").to_pylist(), screentime.column("seconds").to_pylist()))
    votes = Counter(pairs)
    best: dict[str, tuple[int, str]] = {}
    for (p, t), n in votes.items():
        best[t] = max(best.get(t, (0, "")), (n, p))
    predicted = {t: seconds.get(p, 0.0) for t, (_, p) in best.items()}
    truth_seconds = sample.screen_seconds()
    errors = screen_time_errors({t: predicted.get(t, 0.0) for t in truth_seconds}, truth_seconds)
    faces_of: dict[str, Counter] = {}
    for face, p in person.items():
        faces_of.setdefault(p, Counter())[truth.get(face) is not None] += 1
    false_persons = sorted(p for p, real in faces_of.items() if p in seconds and real[False] > real[True])
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=f1,
        n_persons=len(seconds),
        n_identities=len(sample.identities),
        screen_time_error=errors,
        matched_faces=len(pairs),
        unmatched_faces=len(truth) - len(pairs),
        false_persons=false_persons,
    )
