"""Clusters -> persons: manual names first, then the show's facebank, then automatic merging."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .clustering import agglomerate

GROUP_SIM = 0.2  # clusters of one person merge above this mean pairwise cosine (different people: about 0)
FACEBANK_SIM = 0.45  # a cluster takes a facebank name above this cosine to one of its faces


@dataclass(frozen=True)
class Assignment:
    """A reviewer's naming of a cluster or a track."""

    cast_name: str
    cluster_id: str | None = None
    track_id: int | None = None


@dataclass(frozen=True)
class Grouped:
    """One cluster's person."""

    cluster_id: str
    person_id: str
    person_name: str | None
    source: str


def person_slug(name: str) -> str:
    """A person id from a cast name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def resolve_manual(assignments: list[Assignment], cluster_tracks: dict[str, np.ndarray]) -> tuple[dict[str, str], list[Assignment]]:
    """Cluster id -> cast name, and the assignments naming nothing that exists now.

    A cluster-level name wins; otherwise the most frequent name among its assigned tracks.
    """
    owner = {int(t): cid for cid, tracks in cluster_tracks.items() for t in tracks}
    direct: dict[str, str] = {}
    votes: dict[str, dict[str, int]] = {}
    stale = []
    for a in assignments:
        if a.cluster_id is not None and a.cluster_id in cluster_tracks:
            direct[a.cluster_id] = a.cast_name
        elif a.track_id is not None and a.track_id in owner:
            tally = votes.setdefault(owner[a.track_id], {})
            tally[a.cast_name] = tally.get(a.cast_name, 0) + 1
        else:
            stale.append(a)
    names = {cid: max(tally, key=tally.get) for cid, tally in votes.items()}
    names.update(direct)
    return names, stale


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
        if c in found or any(found.get(o) == name for o in np.flatnonzero(conflicts[c])):
            continue
        found[c] = name
    return {c: name for c, name in found.items() if c not in (named or {})}


def group_clusters(
    cluster_ids: list[str],
    sums: np.ndarray,
    counts: np.ndarray,
    conflicts: np.ndarray,
    manual: dict[str, str],
    bank_names: list[str] = (),
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
    units: list[list[int]] = [[i for i in range(n) if names.get(i) == name] for name in dict.fromkeys(names.values())]
    units += [[i] for i in range(n) if i not in names]
    membership = np.zeros((len(units), n))
    for u, members in enumerate(units):
        membership[u, members] = 1.0
    unit_of = membership.argmax(axis=0) if n else np.zeros(0, np.int64)
    unit_sums = membership @ sums
    unit_counts = membership @ counts
    unit_conflicts = (membership @ conflicts @ membership.T) > 0
    np.fill_diagonal(unit_conflicts, False)
    n_named = len(set(names.values()))
    unit_conflicts[:n_named, :n_named] = ~np.eye(n_named, dtype=bool)
    labels = agglomerate(unit_sums, np.maximum(unit_counts, 1), unit_conflicts, merge_threshold)

    people: dict[int, tuple[str, str | None]] = {}
    for u in range(len(units)):
        label = int(labels[u])
        member_names = [names[i] for i in units[u] if i in names]
        if member_names:
            people[label] = (person_slug(member_names[0]), member_names[0])
    for u, members in enumerate(units):
        people.setdefault(int(labels[u]), (f"unknown-{cluster_ids[members[0]]}", None))
    return [
        Grouped(cluster_ids[i], *people[int(labels[unit_of[i]])], source.get(i, "auto"))
        for i in range(n)
    ]


def parse_assignments(value: object) -> list[Assignment]:
    """Assignments from JSON-like data: a list of {cluster_id | track_id, cast_name}."""
    if not isinstance(value, list):
        raise ValueError("manual assignments must be a list of {cluster_id | track_id, cast_name}")
    parsed = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("cast_name"), str) or not item["cast_name"].strip():
            raise ValueError(f"assignment {i}: needs a non-empty cast_name")
        cluster_id, track_id = item.get("cluster_id"), item.get("track_id")
        if (cluster_id is None) == (track_id is None):
            raise ValueError(f"assignment {i}: give exactly one of cluster_id or track_id")
        if cluster_id is not None and not isinstance(cluster_id, str):
            raise ValueError(f"assignment {i}: cluster_id must be a string")
        if track_id is not None and (not isinstance(track_id, int) or isinstance(track_id, bool)):
            raise ValueError(f"assignment {i}: track_id must be an integer")
        parsed.append(Assignment(item["cast_name"].strip(), cluster_id, track_id))
    return parsed
