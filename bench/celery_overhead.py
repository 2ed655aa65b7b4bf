"""Orchestration overhead of the Celery path: one episode processed in-process and through the stack, side by side.

In-process: `process_episode` on a fresh local storage root and an ephemeral instance (what `screanalytics
process` does). Celery: the same episode through the deployed path on this machine — run queued through the
webserver, started by the daemon, every step a task on one dagster-celery worker (concurrency 1) over Redis,
the instance in Postgres, artifacts on local disk (so only orchestration differs). Timed from launch to SUCCESS.
Printed: wall seconds of each, per-step seconds of the Celery run, and the overhead (target: under 15 s).

Run:  .venv/bin/python bench/celery_overhead.py [--seconds 180] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _episodes import EPISODE_ID, OUT, cached_episode
from dagster import DagsterInstance, DagsterRunStatus

from screanalytics_dagster.deploy.commands import code_server_env
from screanalytics_dagster.deploy.processes import free_port, wait_until
from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.orchestration.instance import prepare_dagster_home
from screanalytics_dagster.orchestration.run_client import RunClient
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.testing.services import postgres_server, redis_server, scratch_database
from screanalytics_dagster.testing.stack import running_stack

FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def in_process(video: Path, base: Path, i: int) -> float:
    """Wall seconds of process_episode on a fresh root."""
    store = ArtifactStore(root=str(base / f"inproc{i}"))
    store.put_video(EPISODE_ID, video)
    started = time.perf_counter()
    process_episode(EPISODE_ID, Path(store.root), instance=DagsterInstance.ephemeral(), store=store)
    return time.perf_counter() - started


def through_celery(client: RunClient, video: Path, root: Path, i: int) -> tuple[float, dict[str, float]]:
    """Wall seconds from launch to SUCCESS of a process run on the stack, and where they went."""
    ep_id = f"bench{i}-s01e01"
    ArtifactStore(root=str(root)).put_video(ep_id, video)
    launched = time.time()
    run_id = client.launch(ep_id, "process")
    wait_until(lambda: client.run(run_id).status in FINISHED, f"run {run_id}", 3600)
    wall = time.time() - launched
    if client.run(run_id).status != DagsterRunStatus.SUCCESS:
        raise SystemExit(f"celery run {run_id} ended {client.run(run_id).status.value}")
    record = client.instance.get_run_record_by_id(run_id)
    steps = {s.step_key: s.end_time - s.start_time for s in client.instance.get_run_step_stats(run_id)}
    parts = {
        "launch to run start": record.start_time - launched,
        "steps themselves": sum(steps.values()),
        "between steps": record.end_time - record.start_time - sum(steps.values()),
        "run end to seen": launched + wall - record.end_time,
    }
    return wall, {**parts, **steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="episode length")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each path; the median is compared")
    args = parser.parse_args()
    video = cached_episode(args.seconds, seed=0).video_path
    base = Path(tempfile.mkdtemp(prefix="celery-overhead-", dir=OUT))
    with redis_server(base / "redis") as redis_url, postgres_server(base / "pg") as pg, scratch_database(pg, "screanalytics_bench") as db:
        env = {"DAGSTER_HOME": str(base / "home"), "DATABASE_URL": db, "REDIS_URL": redis_url, "STORAGE_ROOT": str(base / "stack"), **code_server_env(free_port())}
        instance = prepare_dagster_home(base / "home", db)
        port = free_port()
        with running_stack(env, base / "logs", port):
            client = RunClient(instance, f"http://127.0.0.1:{port}")
            celery = [through_celery(client, video, base / "stack", i) for i in range(args.repeat)]
        local = [in_process(video, base, i) for i in range(args.repeat)]
    celery_wall = statistics.median(w for w, _ in celery)
    local_wall = statistics.median(local)
    print(f"\nepisode: {args.seconds:g} s of 720p, {args.repeat} runs of each path (median)")
    print(f"{'in-process':<12}{local_wall:8.1f} s   runs: {', '.join(f'{w:.1f}' for w in local)}")
    print(f"{'celery':<12}{celery_wall:8.1f} s   runs: {', '.join(f'{w:.1f}' for w, _ in celery)}")
    print("celery run (last): " + ", ".join(f"{k} {v:.1f} s" for k, v in celery[-1][1].items()))
    print(f"overhead: {celery_wall - local_wall:+.1f} s (target: under +15 s)")


if __name__ == "__main__":
    main()
