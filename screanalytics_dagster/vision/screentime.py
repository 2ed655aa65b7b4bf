"""Seconds on screen per person from their track intervals."""

from __future__ import annotations

import numpy as np

GAP_TOLERANCE = 0.5  # seconds: a gap this short or shorter between a person's tracks counts as on screen


def merge_intervals(starts: np.ndarray, ends: np.ndarray, gap: float = GAP_TOLERANCE) -> list[tuple[float, float]]:
    """Union of [start, end) intervals, joining those at most gap apart."""
    merged: list[list[float]] = []
    for start, end in sorted(zip(np.asarray(starts, float), np.asarray(ends, float))):
        if merged and start - merged[-1][1] <= gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def screen_seconds(starts: np.ndarray, ends: np.ndarray, gap: float = GAP_TOLERANCE) -> float:
    """Total seconds covered by a person's tracks."""
    return float(sum(e - s for s, e in merge_intervals(starts, ends, gap)))
