"""Tracks -> identities: average-linkage clustering with cannot-link constraints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stages import Embeddings, Faces, Tracks

# Mean pairwise face cosine above which two clusters merge. Raise: purer clusters, but one person in more of them
# (more cards to name); lower: fewer cards, but look-alikes share one.
CLUSTER_SIM = 0.35


def agglomerate(
    sums: np.ndarray, counts: np.ndarray, conflicts: np.ndarray, threshold: float, shots: np.ndarray | None = None, one_shot_margin: float = 0.0
) -> np.ndarray:
    """Label per item after average-linkage merging of items with embedding sums (N,D) over counts (N,).

    The similarity of two groups is the mean cosine over all pairs of their members
    (sum_a . sum_b / (n_a n_b)); groups with a conflict (seen together) never merge.
    shots: (N,S) bool, the shots each item is seen in; two groups one of which is seen in a single shot merge only
    one_shot_margin above threshold (one look at someone can resemble a stranger; several looks average that out).
    """
    n = len(sums)
    labels = np.arange(n)
    if n < 2:
        return labels
    sums = np.asarray(sums, np.float64).copy()
    counts = np.asarray(counts, np.float64).copy()
    conflicts = np.asarray(conflicts, bool).copy()
    seen = np.ones((n, 2), bool) if shots is None else np.asarray(shots, bool).copy()  # no shots given: no item is one-shot
    one_shot = seen.sum(axis=1) <= 1
    alive = np.ones(n, bool)
    sim = _linkage(sums, counts, one_shot, one_shot_margin, np.arange(n)).astype(np.float32)  # N x N: keep it small
    sim[conflicts | np.eye(n, dtype=bool)] = -np.inf
    while True:
        best = int(np.argmax(sim))
        a, b = divmod(best, n)
        if sim[a, b] < threshold:
            break
        sums[a] += sums[b]
        counts[a] += counts[b]
        seen[a] |= seen[b]
        one_shot[a] = seen[a].sum() <= 1
        conflicts[a] |= conflicts[b]
        conflicts[:, a] = conflicts[a]
        alive[b] = False
        labels[labels == b] = a
        row = _linkage(sums, counts, one_shot, one_shot_margin, np.array([a]))[0]
        row[conflicts[a] | ~alive] = -np.inf
        row[a] = -np.inf
        sim[a], sim[:, a] = row, row
        sim[b], sim[:, b] = -np.inf, -np.inf
    return labels


def _linkage(sums: np.ndarray, counts: np.ndarray, one_shot: np.ndarray, one_shot_margin: float, rows: np.ndarray) -> np.ndarray:
    """(len(rows),N) mean pairwise cosine of groups rows to every group, one_shot_margin less where either is one-shot."""
    mean = (sums[rows] @ sums.T) / np.outer(counts[rows], counts)
    return mean - one_shot_margin * (one_shot[rows, None] | one_shot[None, :])


def join_closest_members(
    labels: np.ndarray, sums: np.ndarray, counts: np.ndarray, conflicts: np.ndarray, threshold: float,
    shots: np.ndarray | None = None, one_shot_margin: float = 0.0,
) -> np.ndarray:
    """Labels after also joining groups (of agglomerate) that hold two items alike enough to have merged on their own.

    Average linkage weighs a newcomer against a group's average, so a person's many different looks pull it down and
    yet another look of them stays apart although it matches one of their looks well; here two groups join when one
    item of each passes the pair threshold (one_shot_margin more if either is seen in one shot), never across a conflict.
    """
    n = len(sums)
    labels = np.asarray(labels).copy()
    if n < 2:
        return labels
    one_shot = np.zeros(n, bool) if shots is None else np.asarray(shots, bool).sum(axis=1) <= 1
    sim = _linkage(np.asarray(sums, np.float64), np.maximum(np.asarray(counts, np.float64), 1), one_shot, one_shot_margin, np.arange(n))
    np.fill_diagonal(sim, -np.inf)
    member = labels[:, None] == np.arange(n)[None, :]  # (items, groups by label)
    apart = (member.T.astype(np.float64) @ np.asarray(conflicts, np.float64) @ member) > 0  # groups with a conflict
    while True:
        allowed = (labels[:, None] != labels[None, :]) & ~apart[np.ix_(labels, labels)]
        best = int(np.argmax(np.where(allowed, sim, -np.inf)))
        i, j = divmod(best, n)
        if not allowed[i, j] or sim[i, j] < threshold:
            return labels
        a, b = labels[i], labels[j]
        labels[labels == b] = a
        apart[a] |= apart[b]
        apart[:, a] = apart[a]


def co_occurrence(track_frames: list[np.ndarray], n_tracks: int) -> np.ndarray:
    """(T,T) bool: tracks that have a face in the same frame."""
    owners: dict[int, list[int]] = {}
    for track, frames in enumerate(track_frames):
        for frame in np.unique(frames):
            owners.setdefault(int(frame), []).append(track)
    conflicts = np.zeros((n_tracks, n_tracks), bool)
    for tracks in owners.values():
        if len(tracks) > 1:
            idx = np.array(tracks)
            conflicts[np.ix_(idx, idx)] = True
    np.fill_diagonal(conflicts, False)
    return conflicts


@dataclass(frozen=True)
class TrackAppearance:
    """What clustering knows of each track: the distinct embeddings it is known by (summed, counted), and who it co-occurs with."""

    sums: np.ndarray  # (T,512) sum of the distinct embeddings each track is known by (its clear ones when it has any)
    counts: np.ndarray  # (T,) embeddings in each sum
    conflicts: np.ndarray  # (T,T) tracks known by faces in the same frame
    shots: np.ndarray  # (T,S) bool, one-hot: the shot of each track among the episode's shots with tracks
    clear: np.ndarray  # (T,) bool: the track has a face clear enough to say who it is

    @classmethod
    def of(cls, tracks: Tracks, faces: Faces, embeddings: Embeddings) -> TrackAppearance:
        frame_of = dict(zip(faces.face_id.tolist(), faces.frame_idx.tolist()))
        row_of = embeddings.row_of()
        sums = np.zeros((len(tracks), embeddings.vectors.shape[1]), np.float64)
        counts = np.zeros(len(tracks))
        clear = np.zeros(len(tracks), bool)
        frames = []
        for t, ids in enumerate(tracks.face_ids):
            rows = np.array([row_of[f] for f in ids.tolist()])
            # A track is known by its clear faces; one never seen clearly, by all of its faces.
            clear[t] = embeddings.clear[rows].any()
            seen = embeddings.clear[rows] | ~clear[t]
            distinct = np.unique(rows[seen])
            sums[t] = embeddings.vectors[distinct].sum(axis=0)
            counts[t] = len(distinct)
            # Only faces a track is known by say two tracks are two people: a blurred move can yield two boxes on one face.
            frames.append(np.array([frame_of[f] for f in ids[seen].tolist()]))
        shot_ids = np.unique(tracks.shot_id)
        shots = tracks.shot_id[:, None] == shot_ids[None, :]
        return cls(sums, counts, co_occurrence(frames, len(tracks)), shots, clear)


def cluster_tracks(
    sums: np.ndarray, counts: np.ndarray, conflicts: np.ndarray, threshold: float = CLUSTER_SIM
) -> list[np.ndarray]:
    """Track indices per cluster, largest first; tracks without embeddings stay alone."""
    labels = agglomerate(sums, np.maximum(counts, 1), conflicts, threshold)
    groups: dict[int, list[int]] = {}
    for track, label in enumerate(labels):
        groups.setdefault(int(label), []).append(track)
    clusters = [np.array(g, np.int64) for g in groups.values()]
    return sorted(clusters, key=lambda c: (-len(c), c[0]))


def cluster_name(track_ids: np.ndarray) -> str:
    """A cluster id that stays the same when the same tracks cluster together again."""
    return f"c{int(np.min(track_ids)):05d}"


THUMBNAILS = 12  # faces kept per cluster: one per track, for the longest tracks (a card shows the first; a split shows all)


def thumbnail_faces(
    groups: list[np.ndarray], track_faces: list[np.ndarray], score_of: dict[int, float], per_cluster: int = THUMBNAILS
) -> list[list[tuple[int, int]]]:
    """For each cluster (a list of track rows), (track row, its best-scoring face) of each of its longest tracks."""
    picks = []
    for group in groups:
        longest = sorted(group.tolist(), key=lambda t: -len(track_faces[t]))[:per_cluster]
        picks.append([(t, max(track_faces[t].tolist(), key=lambda f: score_of.get(f, 0.0))) for t in longest])
    return picks
