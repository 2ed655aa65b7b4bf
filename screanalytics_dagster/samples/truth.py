"""Ground truth of a sample episode: who is on screen in which frame, and where."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Appearance:
    """One identity on screen for a whole shot, with its face box in every frame of the shot."""

    identity: str
    boxes: np.ndarray


@dataclass(frozen=True)
class Shot:
    """Frames [start_frame, end_frame) of one camera set-up and the people shown in it."""

    start_frame: int
    end_frame: int
    appearances: tuple[Appearance, ...]


@dataclass
class SampleEpisode:
    """A rendered episode video and its per-frame ground truth."""

    video_path: Path
    fps: float
    width: int
    height: int
    shots: list[Shot]

    @property
    def n_frames(self) -> int:
        """Frames in the episode."""
        return self.shots[-1].end_frame if self.shots else 0

    @property
    def identities(self) -> list[str]:
        """Identities that appear, sorted."""
        return sorted({a.identity for shot in self.shots for a in shot.appearances})

    def truth_at(self, frame_idx: int) -> list[tuple[str, np.ndarray]]:
        """(identity, x1y1x2y2 box) of every face visible in a frame."""
        i = bisect.bisect_right([s.start_frame for s in self.shots], frame_idx) - 1
        if i < 0 or frame_idx >= self.shots[i].end_frame:
            return []
        shot = self.shots[i]
        return [(a.identity, a.boxes[frame_idx - shot.start_frame]) for a in shot.appearances]

    def screen_seconds(self) -> dict[str, float]:
        """Seconds on screen per identity."""
        frames: dict[str, int] = {}
        for shot in self.shots:
            for a in shot.appearances:
                frames[a.identity] = frames.get(a.identity, 0) + shot.end_frame - shot.start_frame
        return {name: n / self.fps for name, n in sorted(frames.items())}

    def save_truth(self, path: Path) -> None:
        """Write the ground truth as JSON."""
        shots = [
            {"start_frame": s.start_frame, "end_frame": s.end_frame,
             "appearances": [{"identity": a.identity, "boxes": a.boxes.tolist()} for a in s.appearances]}
            for s in self.shots
        ]
        doc = {"video": Path(self.video_path).name, "fps": self.fps, "width": self.width,
               "height": self.height, "shots": shots}
        Path(path).write_text(json.dumps(doc))

    @classmethod
    def load(cls, video_path: Path, truth_path: Path) -> SampleEpisode:
        """An episode from its video and the JSON written by save_truth."""
        doc = json.loads(Path(truth_path).read_text())
        shots = [
            Shot(s["start_frame"], s["end_frame"], tuple(
                Appearance(a["identity"], np.asarray(a["boxes"], np.float32).reshape(-1, 4))
                for a in s["appearances"]))
            for s in doc["shots"]
        ]
        return cls(Path(video_path), float(doc["fps"]), int(doc["width"]), int(doc["height"]), shots)
