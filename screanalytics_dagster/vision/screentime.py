"""Seconds on screen per person from their track intervals."""

from __future__ import annotations

import numpy as np

GAP_TOLERANCE = 0.5  # seconds: a gap this short or shorter between a person's tracks counts as on screen
SHOT_GAP_TOLERANCE = 3.0  # within one shot a person missed this long (turned away, out of focus) stayed on screen


def merge_intervals(
    starts: np.ndarray,
    ends: np.ndarray,
    shots: np.ndarray | None = None,
    gap: float = GAP_TOLERANCE,
    shot_gap: float = SHOT_GAP_TOLERANCE,
) -> list[tuple[float, float]]:
    """Union of [start, end) intervals, joining those at most gap apart (shot_gap apart within one shot)."""
    shots = np.full(len(starts), -1) if shots is None else np.asarray(shots)
    merged: list[list] = []
    for start, end, shot in sorted(zip(np.asarray(starts, float), np.asarray(ends, float), shots.tolist())):
        if merged:
            last = merged[-1]
            allowed = shot_gap if shot == last[2] and shot >= 0 else gap
            if start - last[1] <= allowed:
                last[1], last[2] = max(last[1], end), shot
                continue
        merged.append([start, end, shot])
    return [(s, e) for s, e, _ in merged]


def screen_seconds(
    starts: np.ndarray,
    ends: np.ndarray,
    shots: np.ndarray | None = None,
    gap: float = GAP_TOLERANCE,
    shot_gap: float = SHOT_GAP_TOLERANCE,
) -> float:
    """Total seconds covered by a person's tracks."""
    return float(sum(e - s for s, e in merge_intervals(starts, ends, shots, gap, shot_gap)))
