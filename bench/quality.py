"""Quality of the pipeline on realistic synthetic episodes: BCubed F1, persons vs truth and screen-time error per seed.

Each seed's episode is rendered once and cached (bench/_episodes.py), then processed end to end with
default settings into a fresh storage root under bench/out/quality/{episode}/ (kept for inspection).

--lfw builds the episodes of ../shared/data/lfw-dev's real photos instead (samples/photo_sets.py): 14 recurring people,
each appearance another photo of them, and 24 one-photo guests; the harder material.

Run:  .venv/bin/python bench/quality.py [--seeds 0 1 2] [--seconds 120] [--plain] [--lfw]
"""

from __future__ import annotations

import argparse
import shutil
import time
import warnings
from pathlib import Path

from _episodes import EPISODE_ID, LFW, OUT, cached_episode
from dagster import DagsterInstance

from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.evaluation import Evaluation, evaluate

warnings.filterwarnings("ignore", category=FutureWarning)  # insightface's face_align on new scikit-image
DEFAULTS = {"seeds": [0, 1, 2], "seconds": 120.0}


def run_seed(seed: int, seconds: float, realistic: bool, photos: Path | None) -> tuple[Evaluation, float]:
    """Process one seed's episode into a fresh root; its evaluation and wall seconds."""
    episode = cached_episode(seconds, seed, realistic=realistic, photos=photos)
    root = OUT / "quality" / Path(episode.video_path).stem
    shutil.rmtree(root, ignore_errors=True)
    (root / "videos").mkdir(parents=True)
    (root / "videos" / f"{EPISODE_ID}.mp4").symlink_to(Path(episode.video_path).resolve())
    started = time.perf_counter()
    process_episode(EPISODE_ID, root, instance=DagsterInstance.ephemeral())
    return evaluate(ArtifactStore(root=str(root)), EPISODE_ID, episode), time.perf_counter() - started


def mean_error(ev: Evaluation) -> float:
    return sum(ev.screen_time_error.values()) / max(len(ev.screen_time_error), 1)


def main() -> None:
    """Process each seed and print one line of quality per seed, then the worst of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULTS["seeds"], help="episode seeds")
    parser.add_argument("--seconds", type=float, default=DEFAULTS["seconds"], help="episode length in seconds")
    parser.add_argument("--plain", action="store_true", help="plain footage instead of realistic")
    parser.add_argument("--lfw", action="store_true", help=f"people of real photos from {LFW}")
    args = parser.parse_args()
    if args.lfw and not LFW.is_dir():
        raise SystemExit(f"--lfw needs {LFW} (shared development data)")
    material = f"{'lfw-dev real photos' if args.lfw else 'shipped photos'}, {'plain' if args.plain else 'realistic'} camera, {args.seconds:g} s"
    print(f"material: {material}", flush=True)

    results = {}
    for seed in args.seeds:
        ev, wall = run_seed(seed, args.seconds, not args.plain, LFW if args.lfw else None)
        results[seed] = ev
        worst = max(ev.screen_time_error, key=ev.screen_time_error.get, default="-")
        print(f"seed {seed}: F1 {ev.f1:.4f} (P {ev.precision:.4f} R {ev.recall:.4f}); "
              f"persons {ev.n_persons} vs {ev.n_identities} true; "
              f"screen-time error mean {mean_error(ev):.1%}, max {ev.max_screen_time_error:.1%} ({worst}); {wall:.0f} s", flush=True)

    print(f"\n{material}")
    print(f"{'seed':<6}{'F1':>8}{'persons':>9}{'true':>6}{'mean st err':>13}{'max st err':>12}")
    for seed, ev in results.items():
        print(f"{seed:<6}{ev.f1:8.4f}{ev.n_persons:>9}{ev.n_identities:>6}{mean_error(ev):13.1%}{ev.max_screen_time_error:12.1%}")
    ok = all(e.f1 >= 0.97 and abs(e.n_persons - e.n_identities) <= 1 and e.max_screen_time_error <= 0.05
             for e in results.values())
    print(f"quality bar (F1 >= 0.97, persons within 1, screen-time error <= 5 %): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
