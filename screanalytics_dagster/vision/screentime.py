"""Seconds on screen per person from their track intervals."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Seconds between two of a person's tracks that still count as on screen. Raise: brief cut-aways count as screen time;
# lower: every missed sample is lost time.
GAP_TOLERANCE = 0.5
# The same within one shot, where a person missed this long (turned away, out of focus) stayed on screen. Raise: a
# person who left the frame is still counted; lower: turned-away moments are lost.
SHOT_GAP_TOLERANCE = 3.0


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


class TrackSpans:
    """Start, end and shot of each track of an episode, by track id."""

    COLUMNS = ["track_id", "start_ts", "end_ts", "shot_id"]

    def __init__(self, tracks: pa.Table):
        columns = (tracks.column(c).to_pylist() for c in self.COLUMNS)
        self.span = {int(t): (s, e, shot) for t, s, e, shot in zip(*columns)}

    def of(self, track_ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts, ends and shots of these tracks."""
        starts, ends, shots = (np.array([self.span[t][i] for t in track_ids]) for i in range(3))
        return starts, ends, shots


def person_tracks(groups: list[dict], tracks_of: dict[str, list[int]]) -> dict[str, tuple[str | None, list[int]]]:
    """Person id -> (name, the tracks of all their clusters), from the rows of groups.parquet; clusters that are no face are left out."""
    people: dict[str, tuple[str | None, list[int]]] = {}
    for row in groups:
        if row.get("source") == "not_face":
            continue
        people.setdefault(row["person_id"], (row["person_name"], []))[1].extend(tracks_of[row["cluster_id"]])
    return people
