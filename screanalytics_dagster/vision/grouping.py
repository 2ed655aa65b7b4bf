"""Clusters -> persons: manual names first, then the show's facebank, then automatic merging."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .clustering import agglomerate, join_closest_members

# Clusters of one person merge into one person above this mean pairwise cosine (different people: about 0). Raise:
# one person stays split in several; lower: different people become one. On bench/quality.py --lfw (seeds 0-4, 240 s)
# 0.2-0.22 meet every quality line; 0.18 merges a guest into a recurring person, 0.24 splits two cast members.
GROUP_SIM = 0.2
# How much more a cluster seen in one shot only needs: one look at a guest can resemble a stranger's look as much as
# another look of the same person, while several looks average that out. Raise: fewer guests merge, but a cast
# member's one appearance in a new look stays apart; lower: the reverse. On the same benchmark (seeds 0-7) 0.03-0.04
# do best; 0.02 merges a guest into a recurring person on two seeds (101 %, 108 % screen-time error), 0.05 keeps a
# recurring look apart on seed 6, and 0.08 two looks on seed 1 (+2 persons).
ONE_SHOT_MARGIN = 0.04
# A cluster takes a facebank name above this cosine to one of its exemplars. Raise: fewer clusters named for the
# reviewer; lower: a stranger may take a cast member's name.
FACEBANK_SIM = 0.45
MAX_CAST_NAME = 120  # characters
MAX_PERSON_ID = 48  # characters
NOT_A_FACE = "not-a-face"  # the person id of clusters a reviewer marked as no face
MAX_CLUSTER_ID = 64  # characters; ids are c00001 and the like


@dataclass(frozen=True)
class Assignment:
    """A reviewer's naming of a cluster or a track (None: unnaming), anchored to its faces so that it outlives re-clustering."""

    cast_name: str | None
    cluster_id: str | None = None
    track_id: int | None = None
    face_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Links:
    """What reviewers said of clusters beyond names (vision.review.Decisions gives them)."""

    same: Sequence[tuple[str, str]] = ()  # clusters of one person
    apart: Sequence[tuple[str, str]] = ()  # clusters never of one person
    not_named: Sequence[tuple[str, str]] = ()  # (cluster, a cast name it must not take from the facebank)
    not_face: frozenset[str] | set[str] = frozenset()  # clusters that are no face


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
        if a.cast_name is None:
            for face in faces:
                name_of_face.pop(face, None)
        else:
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
    refused: set[tuple[int, str]] | frozenset = frozenset(),
) -> dict[int, str]:
    """Facebank names for the clusters not in named, best matches first, never one name for two clusters seen together.

    refused: (cluster, name) pairs a reviewer said are not that person; (cluster, "") refuses every name.
    """
    found: dict[int, str] = dict(named or {})
    if not len(bank_names) or not len(centroids):
        return {}
    scores = centroids @ np.asarray(bank_embeddings, np.float32).T
    for flat in np.argsort(-scores, axis=None):
        c, k = divmod(int(flat), scores.shape[1])
        if scores[c, k] < threshold:
            break
        name = bank_names[k]
        if c in found or (c, name) in refused or (c, "") in refused or any(found.get(int(o)) == name for o in np.flatnonzero(conflicts[c])):
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
    links: Links | None = None,
    shots: np.ndarray | None = None,
    one_shot_margin: float = ONE_SHOT_MARGIN,
) -> list[Grouped]:
    """Each cluster's person: named clusters of one name are one person, as are clusters said to be the same; the rest
    merge by similarity (average linkage, then any two clusters alike enough join their persons), never across a
    cannot-link, clusters seen in one shot (shots: (N,S) bool) one_shot_margin above merge_threshold. Clusters that
    are no face get no person."""
    links = links or Links()
    n = len(cluster_ids)
    index = {c: i for i, c in enumerate(cluster_ids)}
    ignored = {index[c] for c in links.not_face if c in index}
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    names: dict[int, str] = {i: manual[c] for i, c in enumerate(cluster_ids) if c in manual and i not in ignored}
    source = {i: "manual" for i in names}
    bank = bank_embeddings if bank_embeddings is not None else np.zeros((0, sums.shape[1] if n else 0))
    refused = {(index[c], name) for c, name in links.not_named if c in index}
    apart = np.zeros((n, n), bool)
    for a, b in ((index[a], index[b]) for a, b in links.apart if a in index and b in index):
        apart[a, b] = apart[b, a] = True
    kept_apart = conflicts | apart  # never one facebank name for two clusters seen together or said to differ
    for i, name in match_facebank(centroids, kept_apart, list(bank_names), bank, facebank_threshold, names, refused | {(i, "") for i in ignored}).items():
        names[i] = name
        source[i] = "facebank"

    # Units: clusters of one name, joined with the clusters said to be the same as them; two names never join.
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    slugs = {i: person_slug(name) for i, name in names.items()}
    first_of: dict[str, int] = {}
    for i, slug in slugs.items():
        root[find(i)] = find(first_of.setdefault(slug, i))
    unit_slug = {find(i): slug for i, slug in slugs.items()}
    for a, b in ((index[a], index[b]) for a, b in links.same if a in index and b in index):
        ra, rb = find(a), find(b)
        if ra != rb and a not in ignored and b not in ignored and not (ra in unit_slug and rb in unit_slug):
            root[rb] = ra
            if rb in unit_slug:
                unit_slug[ra] = unit_slug.pop(rb)
    unit_of_root: dict[int, list[int]] = {}
    for i in range(n):
        if i not in ignored:
            unit_of_root.setdefault(find(i), []).append(i)
    roots, units = list(unit_of_root), list(unit_of_root.values())
    membership = np.zeros((len(units), n))
    for u, members in enumerate(units):
        membership[u, members] = 1.0
    unit_of = {i: u for u, members in enumerate(units) for i in members}
    unit_conflicts = (membership @ kept_apart @ membership.T) > 0
    named_units = [u for u, r in enumerate(roots) if r in unit_slug]
    unit_conflicts[np.ix_(named_units, named_units)] = True
    unit_of_slug = {unit_slug[roots[u]]: u for u in named_units}
    for i, name in refused:  # a cluster said not to be a name never joins that name's person
        if i in unit_of and person_slug(name) in unit_of_slug:
            u, v = unit_of[i], unit_of_slug[person_slug(name)]
            unit_conflicts[u, v] = unit_conflicts[v, u] = True
    np.fill_diagonal(unit_conflicts, False)
    unit_shots = None if shots is None else (membership @ shots) > 0
    labels = agglomerate(membership @ sums, np.maximum(membership @ counts, 1), unit_conflicts, merge_threshold, unit_shots, one_shot_margin)
    # Then cluster by cluster: one alike enough to a single cluster of a person joins that person.
    kept = np.array(sorted(unit_of), np.int64)
    kept_units = [unit_of[i] for i in kept]
    cluster_conflicts = (membership[:, kept].T @ unit_conflicts @ membership[:, kept]) > 0
    joined = join_closest_members(labels[kept_units], sums[kept], counts[kept], cluster_conflicts, merge_threshold,
                                  None if shots is None else shots[kept], one_shot_margin)
    labels = labels.copy()
    labels[kept_units] = joined

    people: dict[int, tuple[str, str | None]] = {}
    for u, r in enumerate(roots):
        if r in unit_slug:
            name = next(names[i] for i in units[u] if i in names)
            people[int(labels[u])] = (unit_slug[r], name)
    for u, members in enumerate(units):
        people.setdefault(int(labels[u]), (f"unknown-{cluster_ids[members[0]]}", None))
    return [
        Grouped(cluster_ids[i], NOT_A_FACE, None, "not_face") if i in ignored else Grouped(cluster_ids[i], *people[int(labels[unit_of[i]])], source.get(i, "auto"))
        for i in range(n)
    ]


def unclear_persons(grouped: list[Grouped], clear: np.ndarray) -> list[str]:
    """Unnamed persons none of whose clusters has a clear face (clear: per cluster)."""
    seen_clearly: dict[str, bool] = {}
    for g, is_clear in zip(grouped, clear.tolist()):
        if g.source != "not_face" and g.person_name is None:
            seen_clearly[g.person_id] = seen_clearly.get(g.person_id, False) or is_clear
    return sorted(p for p, ok in seen_clearly.items() if not ok)


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
