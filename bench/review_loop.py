"""The reviewer's loop on the local stack: how long from a click (a POST) to its result being visible.

A real stack on this machine (code server, webserver, daemon, one Celery worker, the API as a uvicorn process,
Postgres, Redis, local storage) with one processed bench episode (bench/_episodes.py, synthetic). Then, one after
another:
- naming: POST batch_assign_async naming one cluster, then GET /episodes/{ep}/clusters every 0.1 s until the cluster
  shows the name (click-to-visible); the next naming waits for the job's end;
- auto-group and re-cluster: POST, then GET /celery_jobs/{id} every 0.1 s until success;
- fixing a cluster: not a face, moving a track to a new person, and undo of each: POST, then the job until success.
Printed: p50 and p95 of each, and the naming runs' own median duration (from their records).
Targets (issue 13): naming p50 <= 2 s and p95 <= 3 s; auto-group and re-cluster p50 <= 4 s.
`--queued` sends the light jobs through the run queue and a run process, as before (LIGHT_JOBS_IN_API=false).

Run:  .venv/bin/python bench/review_loop.py [--seconds 60] [--names 20] [--repeat 5] [--queued]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests
from _episodes import EPISODE_ID, OUT, cached_episode

from screanalytics_dagster.deploy.commands import api_command, code_server_env
from screanalytics_dagster.deploy.processes import free_port
from screanalytics_dagster.orchestration.instance import prepare_dagster_home
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.testing.services import postgres_server, redis_server, scratch_database
from screanalytics_dagster.testing.stack import running_stack

POLL_S = 0.1


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def finished(api: str, job_id: str) -> dict:
    deadline = time.monotonic() + 600
    while (job := requests.get(f"{api}/celery_jobs/{job_id}", timeout=30).json())["state"] not in ("success", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise SystemExit(f"job {job_id} did not finish: {job}")
        time.sleep(POLL_S)
    if job["state"] != "success":
        raise SystemExit(f"job {job_id} ended {job['state']}: {job['result']}")
    return job


def name_one(api: str, cluster_id: str, name: str) -> tuple[float, str]:
    """Seconds from the POST to the name in GET clusters; the job id."""
    clicked = time.perf_counter()
    answer = requests.post(f"{api}/episodes/{EPISODE_ID}/clusters/batch_assign_async", json={"assignments": [{"cluster_id": cluster_id, "cast_name": name}]}, timeout=30)
    if answer.status_code != 202:
        raise SystemExit(f"naming answered {answer.status_code}: {answer.text}")
    while True:
        shown = {c["cluster_id"]: c["person_name"] for c in requests.get(f"{api}/episodes/{EPISODE_ID}/clusters", timeout=30).json()}
        if shown.get(cluster_id) == name:
            visible = time.perf_counter() - clicked
            finished(api, answer.json()["job_id"])  # the next naming would get 409 while this job still runs
            return visible, answer.json()["job_id"]
        time.sleep(POLL_S)


def job_seconds(api: str, path: str, body: dict | None = None) -> float:
    started = time.perf_counter()
    answer = requests.post(f"{api}/episodes/{EPISODE_ID}/{path}", json=body, timeout=30)
    if answer.status_code != 202:
        raise SystemExit(f"{path} answered {answer.status_code}: {answer.text}")
    finished(api, answer.json()["job_id"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="episode length")
    parser.add_argument("--names", type=int, default=20, help="namings timed")
    parser.add_argument("--repeat", type=int, default=5, help="auto-groups and re-clusters timed")
    parser.add_argument("--queued", action="store_true", help="light jobs through the run queue (LIGHT_JOBS_IN_API=false)")
    args = parser.parse_args()
    video = cached_episode(args.seconds, seed=0).video_path
    base = Path(tempfile.mkdtemp(prefix="review-loop-", dir=OUT))
    ArtifactStore(root=str(base / "storage")).put_video(EPISODE_ID, video)
    with redis_server(base / "redis") as redis_url, postgres_server(base / "pg") as pg, scratch_database(pg, "screanalytics_review_bench") as db:
        dagster_port, api_port = free_port(), free_port()
        env = {
            "DAGSTER_HOME": str(base / "home"), "DATABASE_URL": db, "REDIS_URL": redis_url, "STORAGE_ROOT": str(base / "storage"),
            "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{dagster_port}", "LIGHT_JOBS_IN_API": str(not args.queued).lower(),
            **code_server_env(free_port()),
        }
        instance = prepare_dagster_home(base / "home", db)
        with running_stack(env, base / "logs", dagster_port) as processes:
            api = f"http://127.0.0.1:{api_port}"
            processes.start("api", api_command("127.0.0.1", api_port))
            processes.wait_for(f"{api}/healthz", "API", 120)
            requests.post(f"{api}/episodes", json={"ep_id": EPISODE_ID, "video_uri": f"videos/{EPISODE_ID}.mp4"}, timeout=30).raise_for_status()
            finished(api, requests.post(f"{api}/episodes/{EPISODE_ID}/process_async", timeout=30).json()["job_id"])
            clusters = [c["cluster_id"] for c in requests.get(f"{api}/episodes/{EPISODE_ID}/clusters", timeout=30).json()]
            names = [name_one(api, clusters[i % len(clusters)], f"Cast Member {i}") for i in range(args.names)]
            groups = [job_seconds(api, "clusters/group_async") for _ in range(args.repeat)]
            reclusters = [job_seconds(api, "clusters/recluster_async") for _ in range(args.repeat)]
            shown = requests.get(f"{api}/episodes/{EPISODE_ID}/clusters", timeout=30).json()
            source = next(c for c in shown if len(c["track_ids"]) >= 2)
            fixes: dict[str, list[float]] = {"not a face": [], "move a track": [], "undo": []}
            for _ in range(args.repeat):
                fixes["not a face"].append(job_seconds(api, f"clusters/{shown[-1]['cluster_id']}/review_async", {"action": "not_face"}))
                fixes["undo"].append(job_seconds(api, "review/undo_async"))
                move = {"action": "move", "track_ids": source["track_ids"][-1:]}
                fixes["move a track"].append(job_seconds(api, f"clusters/{source['cluster_id']}/review_async", move))
                fixes["undo"].append(job_seconds(api, "review/undo_async"))
            records = [instance.get_run_record_by_id(job_id) for _, job_id in names]
            runs = [r.end_time - r.start_time for r in records if r is not None and r.start_time is not None and r.end_time is not None]
    seconds = [s for s, _ in names]
    mode = "through the run queue" if args.queued else "in the API (idle episode)"
    print(f"light jobs {mode}; episode {args.seconds:.0f} s, {len(clusters)} clusters")
    print(f"naming, click to visible ({args.names}): p50 {percentile(seconds, 50):.2f} s, p95 {percentile(seconds, 95):.2f} s  (target p50 <= 2, p95 <= 3)")
    if runs:
        print(f"  of which the Dagster run itself (start to end): median {statistics.median(runs):.2f} s")
    print(f"auto-group ({args.repeat}): p50 {percentile(groups, 50):.2f} s, p95 {percentile(groups, 95):.2f} s  (target p50 <= 4)")
    print(f"re-cluster ({args.repeat}): p50 {percentile(reclusters, 50):.2f} s, p95 {percentile(reclusters, 95):.2f} s  (target p50 <= 4)")
    for what, times in fixes.items():
        print(f"{what} ({len(times)}): p50 {percentile(times, 50):.2f} s, p95 {percentile(times, 95):.2f} s")


if __name__ == "__main__":
    main()
