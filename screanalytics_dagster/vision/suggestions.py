"""Merge suggestions: for each unnamed cluster, the other persons it looks most like, with the similarity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .grouping import Grouped, Links, person_slug

SUGGESTIONS = 3  # per cluster
# Centroid cosine under which a person is not suggested. On bench/suggestions.py the true twin scores about 0.89 and the
# best other person at most 0.23. Raise: fewer, surer suggestions; lower: more look-alikes to rule out.
MIN_SUGGEST_SIM = 0.3


@dataclass(frozen=True)
class Suggestion:
    """A person a cluster may be."""

    person_id: str
    person_name: str | None
    cluster_id: str | None  # the person's largest cluster in the episode; None: a facebank person not in it
    similarity: float  # cosine of the two centroids


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def suggest(
    grouped: list[Grouped],
    sums: np.ndarray,
    counts: np.ndarray,
    conflicts: np.ndarray,
    links: Links | None = None,
    bank_names: Sequence[str] = (),
    bank_embeddings: np.ndarray | None = None,
    k: int = SUGGESTIONS,
) -> dict[str, list[Suggestion]]:
    """Cluster id -> its best suggestions, for unnamed clusters: never its own person, one seen with it, or one a reviewer ruled out."""
    links = links or Links()
    apart = {frozenset(pair) for pair in links.apart}
    refused = set(links.not_named)
    members: dict[str, list[int]] = {}
    for i, g in enumerate(grouped):
        if g.source != "not_face":
            members.setdefault(g.person_id, []).append(i)
    person_ids = list(members)
    person_rows = [members[p] for p in person_ids]
    person_centroids = unit_rows(np.array([sums[rows].sum(axis=0) for rows in person_rows])) if person_rows else np.zeros((0, sums.shape[1]))
    cluster_centroids = unit_rows(np.asarray(sums, np.float64))
    here = set(person_ids)
    bank = [(name, j) for j, name in enumerate(bank_names) if person_slug(name) not in here] if bank_embeddings is not None else []
    bank_vectors = np.asarray(bank_embeddings, np.float64) if bank else np.zeros((0, sums.shape[1]))
    found: dict[str, list[Suggestion]] = {}
    for i, g in enumerate(grouped):
        if g.person_name is not None or g.source == "not_face":
            continue
        similarity = person_centroids @ cluster_centroids[i]
        options = []
        for p, rows in enumerate(person_rows):
            if person_ids[p] == g.person_id or conflicts[i, rows].any():
                continue
            name = grouped[rows[0]].person_name
            if (g.cluster_id, name) in refused or any(frozenset((g.cluster_id, grouped[r].cluster_id)) in apart for r in rows):
                continue
            largest = max(rows, key=lambda r: counts[r])
            options.append(Suggestion(person_ids[p], name, grouped[largest].cluster_id, float(similarity[p])))
        best_of_name: dict[str, float] = {}
        for name, j in bank:
            if (g.cluster_id, name) not in refused:
                best_of_name[name] = max(best_of_name.get(name, -1.0), float(bank_vectors[j] @ cluster_centroids[i]))
        options += [Suggestion(person_slug(name), name, None, sim) for name, sim in best_of_name.items()]
        ranked = sorted((o for o in options if o.similarity >= MIN_SUGGEST_SIM), key=lambda o: -o.similarity)
        found[g.cluster_id] = [Suggestion(o.person_id, o.person_name, o.cluster_id, round(o.similarity, 3)) for o in ranked[:k]]
    return found
