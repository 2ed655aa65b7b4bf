"""Faces across sampled frames -> tracks, by position and appearance, never across a shot cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
from scipy.optimize import linear_sum_assignment

from .boxes import frame_groups, iou_matrix
from .stages import Faces

# Box overlap with a track's last face that lets a face join it. Raise: fast moves start new tracks; lower: two
# people crossing may swap tracks.
TRACK_IOU = 0.3
# Below this cosine to its track the identity changed and the track splits. Raise: one person's turns and blurs
# split their track; lower: a cut-away within a shot keeps the wrong person in the track.
TRACK_SIM = 0.35
# A face this similar joins its track even after a jump in position. Raise: jumps start new tracks; lower: a look-alike
# nearby can take over a track.
TRACK_SIM_STRONG = 0.6
# A track never seen clearly counts only with one face this sure and TRACK_MIN_FACES faces. Raise: fewer false
# persons, but more blurred real faces lose their screen time; lower: flickers and patterns count.
TRACK_MIN_SCORE = 0.5
TRACK_MIN_FACES = 3
# A track ends when its last face is more than this many samples back. Raise: bridges longer misses but may join
# two people who stand in one place in turn; lower: a missed detection splits a track.
TRACK_MAX_GAP = 3


@dataclass
class Track:
    """Rows of one face track, with its running appearance."""

    rows: list[int] = field(default_factory=list)
    appearance: np.ndarray | None = None
    last_box: np.ndarray | None = None
    last_sample: int = 0


@dataclass(frozen=True)
class TrackParams:
    """Association thresholds."""

    iou_min: float = TRACK_IOU
    sim_min: float = TRACK_SIM
    sim_strong: float = TRACK_SIM_STRONG
    max_gap: int = TRACK_MAX_GAP
    min_score: float = TRACK_MIN_SCORE
    min_faces: int = TRACK_MIN_FACES


def build_tracks(faces: Faces, embeddings: np.ndarray, embedding_of: np.ndarray, step: int, params: TrackParams = TrackParams()) -> list[np.ndarray]:
    """Rows of each track, ordered by first frame; face i looks like embeddings[embedding_of[i]] (-1: unknown).

    A track with no known appearance (no face clear enough to embed) counts only when it lasts
    min_faces samples with one detection at min_score: someone out of focus, not a flicker or a
    pattern in the set. That is how a low detection threshold keeps small and blurred faces
    without keeping false positives, whose embeddings are rarely clear.
    """
    frame_idx, shot_id, boxes, scores = faces.frame_idx, faces.shot_id, faces.boxes, faces.score
    finished: list[Track] = []
    active: list[Track] = []
    shot = None
    for rows in frame_groups(frame_idx):
        sample = int(frame_idx[rows[0]]) // step
        if shot_id[rows[0]] != shot:
            finished += active
            active, shot = [], shot_id[rows[0]]
        expired = [t for t in active if sample - t.last_sample > params.max_gap]
        finished += expired
        active = [t for t in active if sample - t.last_sample <= params.max_gap]
        looks = _lookup(embeddings, embedding_of[rows])
        matches = _associate(active, boxes[rows], looks, params)
        for i, row in enumerate(rows):
            track = active[matches[i]] if i in matches else None
            if track is None:
                track = Track()
                active.append(track)
            _extend(track, int(row), boxes[row], looks[i], sample)
    finished += active
    tracks = [np.array(t.rows, np.int64) for t in finished if t.appearance is not None or _sustained(t, scores, params)]
    tracks = absorb_fragments(tracks, faces, params)
    return sorted(tracks, key=lambda r: (frame_idx[r[0]], r[0]))


def absorb_fragments(tracks: list[np.ndarray], faces: Faces, params: TrackParams) -> list[np.ndarray]:
    """The tracks, with each short one that only interrupts a longer track of its shot folded back into it.

    A face that looks different for a sample or two (a turn, a blur) starts a track of its own while the person's
    track goes on right after; when each face of the short track sits on the longer track's path across its gap
    (IoU >= iou_min with the boxes on either side, interpolated), it is that person seen on, not someone else.
    """
    hosts = [t for t in tracks if len(t) >= params.min_faces]
    hosts_in_shot: dict[int, list[int]] = {}
    for i, t in enumerate(hosts):
        hosts_in_shot.setdefault(int(faces.shot_id[t[0]]), []).append(i)
    rest = []
    for short in (t for t in tracks if len(t) < params.min_faces):
        candidates = hosts_in_shot.get(int(faces.shot_id[short[0]]), [])
        host = next((i for i in candidates if _interrupts(short, hosts[i], faces, params.iou_min)), None)
        if host is None:
            rest.append(short)
        else:
            merged = np.concatenate([hosts[host], short])
            hosts[host] = merged[np.argsort(faces.frame_idx[merged], kind="stable")]
    return hosts + rest


def _interrupts(short: np.ndarray, track: np.ndarray, faces: Faces, iou_min: float) -> bool:
    """Whether every face of short falls in a gap of track, on the path of its boxes across the gap."""
    frames = faces.frame_idx[track]
    for row in short:
        frame = faces.frame_idx[row]
        after = int(np.searchsorted(frames, frame))
        if after in (0, len(frames)) or frames[after] == frame:
            return False
        before, next_ = faces.boxes[track[after - 1]], faces.boxes[track[after]]
        path = before + (frame - frames[after - 1]) / (frames[after] - frames[after - 1]) * (next_ - before)
        if iou_matrix(faces.boxes[row][None], path[None])[0, 0] < iou_min:
            return False
    return True


def _sustained(track: Track, scores: np.ndarray, params: TrackParams) -> bool:
    """A track long enough, with a sure enough detection, to count without a clear face."""
    return len(track.rows) >= params.min_faces and scores[track.rows].max() >= params.min_score


def _lookup(embeddings: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows of embeddings, NaN where the index is -1."""
    looks = np.full((len(index), embeddings.shape[1]), np.nan)
    known = index >= 0
    looks[known] = embeddings[index[known]]
    return looks


def _associate(active: list[Track], boxes: np.ndarray, embs: np.ndarray, params: TrackParams) -> dict[int, int]:
    """Face index -> active track index, by Hungarian assignment on IoU plus appearance."""
    if not active or not len(boxes):
        return {}
    last_boxes = cast(list[np.ndarray], [t.last_box for t in active])  # _extend gives every track its box as it starts
    iou = iou_matrix(boxes, np.stack(last_boxes))
    appearance = np.stack([t.appearance if t.appearance is not None else np.full(embs.shape[1], np.nan) for t in active])
    sim = embs @ appearance.T  # NaN where either side is unknown
    known = ~np.isnan(sim)
    same = np.where(known, sim >= params.sim_min, True)
    allowed = ((iou >= params.iou_min) & same) | (known & (sim >= params.sim_strong))
    score = iou + np.where(known, sim, 0.5)
    cost = np.where(allowed, -score, 1e6)
    faces, tracks = linear_sum_assignment(cost)
    return {int(f): int(t) for f, t in zip(faces, tracks) if allowed[f, t]}


def _extend(track: Track, row: int, box: np.ndarray, emb: np.ndarray, sample: int) -> None:
    track.rows.append(row)
    track.last_box = box
    track.last_sample = sample
    if not np.isnan(emb).any():
        total = emb if track.appearance is None else track.appearance + emb
        track.appearance = total / max(float(np.linalg.norm(total)), 1e-12)
