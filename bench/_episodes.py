"""Synthetic benchmark episodes, rendered once and cached in bench/out/episodes/ (keyed by version, duration, seed, preset, realism, photos)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from screanalytics_dagster.samples.episode import DEFAULT_PRESET, SAMPLE_VERSION, SampleEpisode, build_sample_episode
from screanalytics_dagster.samples.photo_sets import CLOSE_UPS, draw_cast, read_people

OUT = Path(__file__).resolve().parent / "out"
LFW = Path(__file__).resolve().parents[2] / "shared" / "data" / "lfw-dev"  # real photos, several per person (shared/data/README)
EPISODE_ID = "bench-s01e01"
HEARTBEAT_S = 30.0


def cached_episode(seconds: float, seed: int, preset: str = DEFAULT_PRESET, realistic: bool = False, photos: Path | None = None) -> SampleEpisode:
    """The sample episode of this duration and seed (of the people in photos, LFW's layout; None: the shipped photos), rendered now only if not cached yet."""
    folder = OUT / "episodes"
    stem = f"sample-v{SAMPLE_VERSION}-{seconds:g}s-seed{seed}" + ("" if preset == DEFAULT_PRESET else f"-{preset}")
    stem += "-realistic" if realistic else ""
    stem += f"-{Path(photos).name}" if photos else ""
    video, truth = folder / f"{stem}.mp4", folder / f"{stem}.json"
    if video.is_file() and truth.is_file():
        print(f"episode: cached {video.relative_to(OUT.parent.parent)}", flush=True)
        return SampleEpisode.load(video, truth)
    print(f"episode: rendering {seconds:g} s (seed {seed}, x264 preset {preset}) to {video} ...", flush=True)
    started = time.perf_counter()
    done = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(folder, video.name, started, done), daemon=True)
    beat.start()
    try:
        people = [p.faces for p in draw_cast(read_people(photos), seed)] if photos else None
        episode = build_sample_episode(video, duration_s=seconds, seed=seed, preset=preset, realistic=realistic, people=people,
                                       close_ups=CLOSE_UPS if photos else 0.0)
    finally:
        done.set()
        beat.join()
    episode.save_truth(truth)
    took = time.perf_counter() - started
    print(f"episode: rendered in {took:.0f} s ({seconds / took:.1f}x realtime), "
          f"{video.stat().st_size / 2**20:.0f} MiB", flush=True)
    return episode


def _heartbeat(folder: Path, name: str, started: float, done: threading.Event) -> None:
    """Print elapsed time and the size of the partial video every HEARTBEAT_S while rendering."""
    while not done.wait(HEARTBEAT_S):
        partial = sum(p.stat().st_size for p in folder.glob(f".{name}.*.tmp"))
        print(f"  ... rendering, {time.perf_counter() - started:.0f} s, {partial / 2**20:.0f} MiB so far", flush=True)
