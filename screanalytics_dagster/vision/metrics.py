"""Scores of face clustering and screen time against ground truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from .boxes import iou_matrix

TruthAt = Callable[[int], list[tuple[str, np.ndarray]]]  # frame index -> (identity, x1y1x2y2 box) of each true face

DEFAULT_IOU_MIN = 0.5


def bcubed_f1(pred: Sequence[Hashable], truth: Sequence[Hashable]) -> tuple[float, float, float]:
    """BCubed (precision, recall, F1) of predicted clusters against true classes, one label pair per item."""
    if len(pred) != len(truth):
        raise ValueError(f"pred has {len(pred)} items, truth {len(truth)}")
    if not pred:
        return 0.0, 0.0, 0.0
    pairs = Counter(zip(pred, truth))
    clusters, classes = Counter(pred), Counter(truth)
    # each item of a (cluster, class) cell scores cell/cluster precision and cell/class recall
    precision = sum(n * n / clusters[p] for (p, _), n in pairs.items()) / len(pred)
    recall = sum(n * n / classes[t] for (_, t), n in pairs.items()) / len(pred)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def match_faces_to_truth(
    faces: list[tuple[int, np.ndarray]], truth_at: TruthAt, iou_min: float = DEFAULT_IOU_MIN
) -> list[str | None]:
    """True identity of each (frame_idx, box) face: the best-overlapping truth box at IoU >= iou_min, else None."""
    by_frame: dict[int, list[int]] = defaultdict(list)
    for i, (frame_idx, _) in enumerate(faces):
        by_frame[int(frame_idx)].append(i)
    matched: list[str | None] = [None] * len(faces)
    for frame_idx, items in by_frame.items():
        truth = truth_at(frame_idx)
        if not truth:
            continue
        iou = iou_matrix(np.stack([faces[i][1] for i in items]), np.stack([box for _, box in truth]))
        best = iou.argmax(axis=1)
        for i, j, score in zip(items, best, iou[np.arange(len(items)), best]):
            if score >= iou_min:
                matched[i] = truth[j][0]
    return matched


def screen_time_errors(pred_seconds: dict[str, float], truth_seconds: dict[str, float]) -> dict[str, float]:
    """Relative screen-time error |pred - truth| / truth per true identity (pred keyed by true identity)."""
    errors = {}
    for identity, true_s in truth_seconds.items():
        pred_s = pred_seconds.get(identity, 0.0)
        errors[identity] = abs(pred_s - true_s) / true_s if true_s > 0 else (0.0 if pred_s == 0 else float("inf"))
    return errors
