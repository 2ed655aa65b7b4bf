"""Throughput and quality of the pipeline vs a plain insightface loop, on the same synthetic 720p episode.

ours:  the `screanalytics process` command, as a user runs it (process start, instance, all six assets, into a fresh
       storage root); per-stage seconds from each asset's `seconds` metadata, the faces stage's use of the cores, the
       command's wall time, and quality from evaluate().
plain: what a user would otherwise write: FaceAnalysis (same two ONNX models) + cv2.VideoCapture.read()
       of every frame keeping every round(fps / sample_fps)-th, app.get() on each kept frame, then
       sklearn average-linkage cosine clustering of all face embeddings for a sweep of distance thresholds.

Speeds are video-seconds per wall-second ("x realtime"). With --repeat N the two sides run alternately
N times each and medians are printed (the machine is small and shared: timings are noisy).

Run:  .venv/bin/python bench/throughput.py [--seconds 180] [--seed 0] [--repeat 1] [--fps 5] [--realistic]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
from _cli import STAGES, process_command, stage_metadata
from _episodes import EPISODE_ID, OUT, cached_episode

from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.samples.evaluation import evaluate
from screanalytics_dagster.vision.faces import DEFAULT_PACK, default_model_dir
from screanalytics_dagster.vision.metrics import bcubed_f1, match_faces_to_truth

DISTANCES = (0.5, 0.6, 0.7)
warnings.filterwarnings("ignore", category=FutureWarning)  # insightface's face_align on new scikit-image
DEFAULTS = {"seconds": 180.0, "seed": 0, "repeat": 1, "fps": 5.0}


def run_ours(episode, sample_fps: float, root: Path) -> dict:
    """`screanalytics process` on the episode into a fresh storage root: wall time, stage seconds, faces' core use, evaluation."""
    command, env = process_command(episode.video_path, root, sample_fps)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    metadata = stage_metadata(root)
    return {
        "wall": wall,
        "stages": {name: float(m["seconds"]) for name, m in metadata.items()},
        "faces_cpu": float(metadata["faces"]["cpu_utilisation"]),
        "eval": evaluate(ArtifactStore(root=str(root)), EPISODE_ID, episode),
    }


def plain_app(model_dir: Path):
    """FaceAnalysis over a folder holding only symlinks to the two default ONNX models."""
    from insightface.app import FaceAnalysis

    model_dir.mkdir(parents=True, exist_ok=True)
    for name in DEFAULT_PACK:
        link = model_dir / name
        if not link.exists():
            link.symlink_to(default_model_dir() / name)
    app = FaceAnalysis(name=str(model_dir.resolve()), providers=["CPUExecutionProvider"],
                       allowed_modules=["detection", "recognition"])
    app.prepare(ctx_id=-1, det_size=(640, 640))
    return app


def run_plain(app, episode, sample_fps: float, distances: tuple[float, ...] = DISTANCES) -> dict:
    """Read every frame, detect + embed every kept one, then cluster the embeddings for each distance."""
    started = time.perf_counter()
    cap = cv2.VideoCapture(str(episode.video_path))
    step = max(1, round(cap.get(cv2.CAP_PROP_FPS) / sample_fps))
    faces, vectors, index = [], [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            for face in app.get(frame):
                faces.append((index, face.bbox.astype(np.float32)))
                vectors.append(face.normed_embedding)
        index += 1
    cap.release()
    detect_embed = time.perf_counter() - started
    truth = match_faces_to_truth(faces, episode.truth_at)
    sweep = {}
    for d in distances:
        labels, took = cluster(np.array(vectors), d)
        pairs = [(p, t) for p, t in zip(labels.tolist(), truth) if t is not None]
        _, _, f1 = bcubed_f1([p for p, _ in pairs], [t for _, t in pairs])
        sweep[d] = {"seconds": took, "f1": f1, "n_clusters": len(set(labels.tolist()))}
    matched = sum(t is not None for t in truth)
    return {"detect_embed": detect_embed, "n_faces": len(faces), "matched": matched, "sweep": sweep}


def cluster(vectors: np.ndarray, distance: float) -> tuple[np.ndarray, float]:
    """Average-linkage cosine clustering of all faces, and its seconds."""
    from sklearn.cluster import AgglomerativeClustering

    started = time.perf_counter()
    if len(vectors) < 2:
        return np.zeros(len(vectors), int), time.perf_counter() - started
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance)
    labels = model.fit_predict(vectors)
    return labels, time.perf_counter() - started


def xrt(video_s: float, wall_s: float) -> str:
    """Video-seconds per wall-second, formatted."""
    return f"{video_s / wall_s:8.1f}x" if wall_s > 0 else "  (<0.01 s)"


def main() -> None:
    """Run both sides alternately and print per-stage speeds, quality and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=DEFAULTS["seconds"], help="episode length in seconds")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="episode seed")
    parser.add_argument("--repeat", type=int, default=DEFAULTS["repeat"], help="runs of each side, alternating")
    parser.add_argument("--fps", type=float, default=DEFAULTS["fps"], help="frames sampled per second")
    parser.add_argument("--realistic", action="store_true", help="camera degradations (sample_degrade)")
    args = parser.parse_args()

    episode = cached_episode(args.seconds, args.seed, realistic=args.realistic)
    video_s = episode.n_frames / episode.fps
    print(f"video: {video_s:.0f} s, {episode.width}x{episode.height} @ {episode.fps:g} fps, "
          f"{len(episode.identities)} identities, sampling {args.fps:g} fps, repeat {args.repeat}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the runs\n")

    work = OUT / "throughput"
    work.mkdir(parents=True, exist_ok=True)
    app = plain_app(work / "plain-models")
    ours, plain = [], []
    for i in range(args.repeat):
        ours.append(run_ours(episode, args.fps, work / "ours"))
        print(f"run {i + 1}/{args.repeat} ours:  {ours[-1]['wall']:.1f} s", flush=True)
        plain.append(run_plain(app, episode, args.fps))
        print(f"run {i + 1}/{args.repeat} plain: {plain[-1]['detect_embed']:.1f} s detect+embed", flush=True)

    med = statistics.median
    print(f"\n== ours: screanalytics process (median of {args.repeat}) ==")
    print(f"{'stage':<12}{'seconds':>9}{'x realtime':>12}")
    for name in STAGES:
        s = med(r["stages"][name] for r in ours)
        print(f"{name:<12}{s:9.2f}{xrt(video_s, s):>12}")
    stage_sum = med(sum(r["stages"].values()) for r in ours)
    ours_wall = med(r["wall"] for r in ours)
    print(f"{'sum stages':<12}{stage_sum:9.2f}{xrt(video_s, stage_sum):>12}")
    print(f"{'end-to-end':<12}{ours_wall:9.2f}{xrt(video_s, ours_wall):>12}   (the command: + process start, Dagster, model load)")
    print(f"faces stage used {med(r['faces_cpu'] for r in ours):.0%} of the {os.cpu_count()} cores")
    ev = ours[-1]["eval"]
    print(f"quality: {ev.summary()}")

    print(f"\n== plain insightface loop (median of {args.repeat}) ==")
    last = plain[-1]
    detect_embed = med(r["detect_embed"] for r in plain)
    print(f"decode+detect+embed {detect_embed:9.2f} s {xrt(video_s, detect_embed)}   "
          f"({last['n_faces']} faces, {last['matched']} matched to truth)")
    print(f"{'distance':<10}{'cluster s':>10}{'clusters':>10}{'BCubed F1':>11}")
    for d in DISTANCES:
        s = med(r["sweep"][d]["seconds"] for r in plain)
        print(f"{d:<10g}{s:10.3f}{last['sweep'][d]['n_clusters']:>10}{last['sweep'][d]['f1']:11.4f}")
    best = max(DISTANCES, key=lambda d: last["sweep"][d]["f1"])
    plain_wall = detect_embed + med(r["sweep"][best]["seconds"] for r in plain)
    print(f"best distance: {best:g} (F1 {last['sweep'][best]['f1']:.4f}, "
          f"{last['sweep'][best]['n_clusters']} clusters vs {ev.n_identities} true identities)")

    print("\n== summary ==")
    print(f"video seconds           {video_s:.0f}")
    print(f"ours  x realtime        {video_s / ours_wall:.2f}x end-to-end ({video_s / stage_sum:.2f}x sum of stages)")
    print(f"plain x realtime        {video_s / plain_wall:.2f}x (detect+embed + clustering at d={best:g})")
    print(f"speed ratio ours/plain  {plain_wall / ours_wall:.2f}x end-to-end ({plain_wall / stage_sum:.2f}x sum of stages)")
    print(f"F1 ours vs best plain   {ev.f1:.4f} vs {last['sweep'][best]['f1']:.4f} (d={best:g}); "
          f"persons {ev.n_persons} vs clusters {last['sweep'][best]['n_clusters']} vs {ev.n_identities} true")


if __name__ == "__main__":
    main()
