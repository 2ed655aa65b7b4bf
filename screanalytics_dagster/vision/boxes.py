"""Box geometry and near-duplicate faces between consecutive sampled frames."""

from __future__ import annotations

import numpy as np

from .stages import Faces

# A face this close to one of the previous sample reuses its embedding. Raise: more faces embedded (slower on a CPU);
# lower: a face that moved or turned keeps an embedding of how it looked before.
DUPLICATE_IOU = 0.8
# Re-embed at least every this many samples (2 s at 5 fps) even in a still shot. Raise: fewer embeddings; lower: a
# still face that changes (turns, blurs) is seen anew sooner.
DUPLICATE_MAX_CHAIN = 10
# A detection this much inside a surer one is part of the same face (nested_in_surer). Raise: more part-face boxes stay
# as faces of their own (false persons on close-ups); lower: a small face beside a large one may be taken for part of it.
NESTED_SHARE = 0.8


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas (N,M) of x1y1x2y2 boxes a (N,4) and b (M,4)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes a (N,4) and b (M,4), x1y1x2y2."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    inter = _intersections(a, b)
    union = _areas(a)[:, None] + _areas(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def nested_in_surer(boxes: np.ndarray, scores: np.ndarray, width: int, height: int, share: float = NESTED_SHARE) -> np.ndarray:
    """(N,) bool: boxes of one frame lying, for share of their area inside the frame, within a box of a surer face.

    The detector can box part of a large face as a second, weaker face (a cut-off close-up); two real faces never nest
    like that, since the one behind would be hidden.
    """
    clipped = np.clip(np.asarray(boxes, np.float64).reshape(-1, 4), 0, [width, height, width, height])
    inside = _intersections(clipped, clipped) >= share * np.maximum(_areas(clipped), 1e-9)[:, None]  # [i, j]: i lies within j
    surer = np.asarray(scores)[None, :] > np.asarray(scores)[:, None]
    return (inside & surer).any(axis=1)


def frame_groups(frame_idx: np.ndarray) -> list[np.ndarray]:
    """Row indices per frame, frames in order (rows need not be sorted)."""
    order = np.argsort(frame_idx, kind="stable")
    cuts = np.flatnonzero(np.diff(frame_idx[order])) + 1
    return np.split(order, cuts) if len(order) else []


def duplicate_anchors(faces: Faces, iou_min: float = DUPLICATE_IOU, max_chain: int = DUPLICATE_MAX_CHAIN) -> np.ndarray:
    """For each face, the row of the face whose embedding stands for it (itself when it must be embedded).

    A face that repeats a face of the previous sampled frame in the same shot (same place, same
    size: IoU >= iou_min, one-to-one) joins that face's run, for at most max_chain samples; each
    run is embedded once, at its surest face (a run often starts blurred, mid-move or mid-focus).
    """
    frame_idx, shot_id, boxes, scores = faces.frame_idx, faces.shot_id, faces.boxes, faces.score
    runs = np.arange(len(frame_idx))
    chain = np.zeros(len(frame_idx), np.int64)
    previous: np.ndarray | None = None
    for rows in frame_groups(frame_idx):
        if previous is not None and shot_id[previous[0]] == shot_id[rows[0]]:
            iou = iou_matrix(boxes[rows], boxes[previous])
            for i, row in enumerate(rows):
                j = int(np.argmax(iou[i])) if iou.shape[1] else -1
                if j >= 0 and iou[i, j] >= iou_min and int(np.argmax(iou[:, j])) == i:
                    prev = previous[j]
                    if chain[prev] + 1 < max_chain:
                        runs[row] = runs[prev]
                        chain[row] = chain[prev] + 1
        previous = rows
    best: dict[int, int] = {}
    for row, run in enumerate(runs.tolist()):
        if run not in best or scores[row] > scores[best[run]]:
            best[run] = row
    return np.array([best[run] for run in runs.tolist()], np.int64)
