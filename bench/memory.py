"""Peak RSS of the real `screanalytics process` command on synthetic 720p episodes of several lengths.

Each episode is rendered once and cached in bench/out/episodes/. Each run gets a fresh storage root
(bench/out/memory/<minutes>min, its Dagster instance inside it: DAGSTER_HOME is unset for the child) and
runs the CLI as a child process; its peak RSS is ru_maxrss from os.wait4 (KiB on Linux; printed in MB = 1e6 bytes), not sampling.
Also printed: wall time, x realtime (video-seconds per wall-second), each asset's own seconds (read
back from the run's instance) and the ratio of the longest episode's peak RSS to the shortest's.
Targets: peak RSS under 1.5 GB, and under +20 % for 30 vs 3 minutes.

Run:  .venv/bin/python bench/memory.py [--minutes 3 30] [--seed 0] [--preset veryfast]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from _cli import CLI, process_command, stage_metadata
from _episodes import EPISODE_ID, OUT, cached_episode

from screanalytics_dagster.samples.episode import DEFAULT_PRESET

DEFAULTS = {"minutes": [3.0, 30.0], "seed": 0, "preset": DEFAULT_PRESET}


def run_cli(video: Path, root: Path, log: Path) -> tuple[float, float, int]:
    """Run `screanalytics process` on video into root; (peak RSS MB, wall seconds, exit code)."""
    command, env = process_command(video, root)
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    return usage.ru_maxrss * 1024 / 1e6, wall, child.returncode


def main() -> None:
    """Render (or reuse) each episode, run the CLI on it and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=DEFAULTS["minutes"], help="episode lengths")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="episode seed")
    parser.add_argument("--preset", default=DEFAULTS["preset"], help="x264 preset for rendering")
    args = parser.parse_args()

    rows = []
    for minutes in args.minutes:
        episode = cached_episode(minutes * 60, args.seed, args.preset)
        root = OUT / "memory" / f"{minutes:g}min"
        log = OUT / "memory" / f"{minutes:g}min.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        print(f"running: {CLI.name} process {episode.video_path.name} --episode {EPISODE_ID} --storage {root}", flush=True)
        peak_mb, wall, code = run_cli(episode.video_path, root, log)
        video_s = episode.n_frames / episode.fps
        stages = {name: m["seconds"] for name, m in stage_metadata(root).items()} if code == 0 else {}
        rows.append((minutes, peak_mb, wall, video_s / wall, code))
        print(f"  exit {code}, peak RSS {peak_mb:.0f} MB, wall {wall:.1f} s ({video_s / wall:.2f}x realtime); log {log}")
        print("  stage seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()), flush=True)

    print(f"\n{'minutes':>8}{'peak RSS MB':>13}{'wall s':>9}{'x realtime':>12}{'exit':>6}")
    for minutes, peak_mb, wall, speed, code in rows:
        print(f"{minutes:8g}{peak_mb:13.0f}{wall:9.1f}{speed:11.2f}x{code:6}")
    longest, shortest = max(rows), min(rows)
    print(f"peak RSS {longest[0]:g} min / {shortest[0]:g} min: {longest[1] / shortest[1]:.3f} "
          f"({longest[1] / shortest[1] - 1:+.1%}); max peak {max(r[1] for r in rows):.0f} MB "
          f"(targets: < 1500 MB, < +20 %); episodes rendered with x264 preset {args.preset}")


if __name__ == "__main__":
    main()
