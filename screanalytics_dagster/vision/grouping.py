"""Clusters -> persons: manual names first, then the show's facebank, then automatic merging."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .clustering import agglomerate

# Clusters of one person merge into one person above this mean pairwise cosine (different people: about 0). Raise:
# one person stays split in several; lower: different people become one.
GROUP_SIM = 0.2
# A cluster takes a facebank name above this cosine to one of its exemplars. Raise: fewer clusters named for the
# reviewer; lower: a stranger may take a cast member's name.
FACEBANK_SIM = 0.45
MAX_CAST_NAME = 120  # characters
MAX_PERSON_ID = 48  # characters
MAX_CLUSTER_ID = 64  # characters; ids are c00001 and the like


@dataclass(frozen=True)
class Assignment:
    """A reviewer's naming of a cluster or a track, anchored to its faces so that it outlives re-clustering."""

    cast_name: str
    cluster_id: str | None = None
    track_id: int | None = None
    face_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Grouped:
    """One cluster's person."""

    cluster_id: str
    person_id: str
    person_name: str | None
    source: str


def person_slug(name: str) -> str:
    """A person id from a cast name: distinct names (up to case and spacing) give distinct ids, in any script."""
    normal = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    words = re.findall(r"[^\W_]+", normal)
    slug = "-".join(words)
    if words and " ".join(words) == normal and len(slug) <= MAX_PERSON_ID:
        return slug  # the name is its words: the slug alone gives it back
    # Punctuation, symbols or length were dropped, so a digest of the whole name keeps it apart from others.
    digest = hashlib.sha256(normal.encode()).hexdigest()[:10]
    return f"{slug[: MAX_PERSON_ID - len(digest) - 1].rstrip('-') or 'person'}-{digest}"


def anchor(assignment: Assignment, cluster_tracks: dict[str, np.ndarray], track_faces: dict[int, np.ndarray]) -> Assignment:
    """The assignment with the faces its cluster or track holds now (none when that id no longer exists)."""
    if assignment.cluster_id is not None:
        tracks = cluster_tracks.get(assignment.cluster_id, np.zeros(0, np.int64)).tolist()
    else:
        tracks = [assignment.track_id] if assignment.track_id in track_faces else []
    faces = sorted(int(f) for t in tracks for f in track_faces[int(t)])
    return Assignment(assignment.cast_name, assignment.cluster_id, assignment.track_id, tuple(faces))


def merge_assignments(
    stored: list[Assignment], new: list[Assignment], cluster_tracks: dict[str, np.ndarray], track_faces: dict[int, np.ndarray]
) -> list[Assignment]:
    """Stored assignments with new ones added; a new one takes its faces from any older one. Unknown ids raise."""
    latest = {(a.cluster_id, a.track_id): a for a in new}  # one per target: the last
    anchored = [anchor(a, cluster_tracks, track_faces) for a in latest.values()]
    unknown = [a.cluster_id if a.cluster_id is not None else f"track {a.track_id}" for a in anchored if not a.face_ids]
    if unknown:
        raise ValueError(f"unknown in this episode's clustering: {', '.join(map(str, unknown))}")
    taken = {f for a in anchored for f in a.face_ids}
    kept = []
    for a in stored:
        faces = tuple(f for f in a.face_ids if f not in taken)
        if faces or not a.face_ids:
            kept.append(Assignment(a.cast_name, a.cluster_id, a.track_id, faces))
    return kept + anchored


def resolve_manual(
    assignments: list[Assignment], cluster_tracks: dict[str, np.ndarray], track_faces: dict[int, np.ndarray]
) -> tuple[dict[str, str], list[Assignment]]:
    """Cluster id -> cast name, and the assignments naming nothing that exists now.

    Each assignment names its anchored faces (later ones win); a cluster takes the name most of its named faces
    carry. An assignment without anchors names the faces its cluster or track holds now.
    """
    cluster_of_face = {int(f): cid for cid, tracks in cluster_tracks.items() for t in tracks.tolist() for f in track_faces[int(t)].tolist()}
    name_of_face: dict[int, str] = {}
    stale = []
    for a in assignments:
        faces = [f for f in (a.face_ids or anchor(a, cluster_tracks, track_faces).face_ids) if f in cluster_of_face]
        if not faces:
            stale.append(a)
        name_of_face.update(dict.fromkeys(faces, a.cast_name))
    tallies: dict[str, Counter] = {}
    for face, name in name_of_face.items():
        tallies.setdefault(cluster_of_face[face], Counter())[name] += 1
    return {cid: tally.most_common(1)[0][0] for cid, tally in tallies.items()}, stale


def match_facebank(
    centroids: np.ndarray,
    conflicts: np.ndarray,
    bank_names: list[str],
    bank_embeddings: np.ndarray,
    threshold: float,
    named: dict[int, str] | None = None,
) -> dict[int, str]:
    """Facebank names for the clusters not in named, best matches first, never one name for two clusters seen together."""
    found: dict[int, str] = dict(named or {})
    if not len(bank_names) or not len(centroids):
        return {}
    scores = centroids @ np.asarray(bank_embeddings, np.float32).T
    for flat in np.argsort(-scores, axis=None):
        c, k = divmod(int(flat), scores.shape[1])
        if scores[c, k] < threshold:
            break
        name = bank_names[k]
        if c in found or any(found.get(int(o)) == name for o in np.flatnonzero(conflicts[c])):
            continue
        found[c] = name
    return {c: name for c, name in found.items() if c not in (named or {})}


def group_clusters(
    cluster_ids: list[str],
    sums: np.ndarray,
    counts: np.ndarray,
    conflicts: np.ndarray,
    manual: dict[str, str],
    bank_names: Sequence[str] = (),
    bank_embeddings: np.ndarray | None = None,
    merge_threshold: float = GROUP_SIM,
    facebank_threshold: float = FACEBANK_SIM,
) -> list[Grouped]:
    """Each cluster's person: named clusters of one name are one person; unnamed ones merge by similarity."""
    n = len(cluster_ids)
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    names: dict[int, str] = {i: manual[c] for i, c in enumerate(cluster_ids) if c in manual}
    source = {i: "manual" for i in names}
    bank = bank_embeddings if bank_embeddings is not None else np.zeros((0, sums.shape[1] if n else 0))
    for i, name in match_facebank(centroids, conflicts, list(bank_names), bank, facebank_threshold, names).items():
        names[i] = name
        source[i] = "facebank"

    # One unit per name (its clusters summed), one per unnamed cluster; two names never merge.
    slugs = {i: person_slug(name) for i, name in names.items()}
    units: list[list[int]] = [[i for i in range(n) if slugs.get(i) == slug] for slug in dict.fromkeys(slugs.values())]
    units += [[i] for i in range(n) if i not in names]
    membership = np.zeros((len(units), n))
    for u, members in enumerate(units):
        membership[u, members] = 1.0
    unit_of = membership.argmax(axis=0) if n else np.zeros(0, np.int64)
    unit_sums = membership @ sums
    unit_counts = membership @ counts
    unit_conflicts = (membership @ conflicts @ membership.T) > 0
    np.fill_diagonal(unit_conflicts, False)
    n_named = len(set(slugs.values()))
    unit_conflicts[:n_named, :n_named] = ~np.eye(n_named, dtype=bool)
    labels = agglomerate(unit_sums, np.maximum(unit_counts, 1), unit_conflicts, merge_threshold)

    people: dict[int, tuple[str, str | None]] = {}
    for u in range(len(units)):
        label = int(labels[u])
        named = [i for i in units[u] if i in names]
        if named:
            people[label] = (slugs[named[0]], names[named[0]])
    for u, members in enumerate(units):
        people.setdefault(int(labels[u]), (f"unknown-{cluster_ids[members[0]]}", None))
    return [
        Grouped(cluster_ids[i], *people[int(labels[unit_of[i]])], source.get(i, "auto"))
        for i in range(n)
    ]


def check_assignment(cast_name: object, cluster_id: object, track_id: object) -> None:
    """ValueError saying what is wrong with a naming: a blank name, not exactly one target, or a target of the wrong type."""
    if not isinstance(cast_name, str) or not cast_name.strip():
        raise ValueError("cast_name must not be blank")
    if len(cast_name) > MAX_CAST_NAME:
        raise ValueError(f"cast_name must be at most {MAX_CAST_NAME} characters, got {len(cast_name)}")
    if (cluster_id is None) == (track_id is None):
        raise ValueError("give exactly one of cluster_id or track_id")
    if cluster_id is not None and not isinstance(cluster_id, str):
        raise ValueError("cluster_id must be a string")
    if isinstance(cluster_id, str) and len(cluster_id) > MAX_CLUSTER_ID:
        raise ValueError(f"cluster_id must be at most {MAX_CLUSTER_ID} characters")
    if track_id is not None and (not isinstance(track_id, int) or isinstance(track_id, bool)):
        raise ValueError("track_id must be an integer")


def parse_assignments(value: object) -> list[Assignment]:
    """Assignments from JSON-like data: a list of {cluster_id | track_id, cast_name[, face_ids]}."""
    if not isinstance(value, list):
        raise ValueError("manual assignments must be a list of {cluster_id | track_id, cast_name}")
    parsed = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueError(f"assignment {i}: cast_name must not be blank")
        cluster_id, track_id = item.get("cluster_id"), item.get("track_id")
        try:
            check_assignment(item.get("cast_name"), cluster_id, track_id)
        except ValueError as exc:
            raise ValueError(f"assignment {i}: {exc}") from exc
        face_ids = item.get("face_ids", [])
        if not isinstance(face_ids, list) or not all(isinstance(f, int) and not isinstance(f, bool) for f in face_ids):
            raise ValueError(f"assignment {i}: face_ids must be a list of integers")
        parsed.append(Assignment(item["cast_name"].strip(), cluster_id, track_id, tuple(face_ids)))
    return parsed


def assignments_json(assignments: list[Assignment]) -> list[dict]:
    """Assignments as stored: what parse_assignments reads back."""
    return [{**asdict(a), "face_ids": list(a.face_ids)} for a in assignments]
