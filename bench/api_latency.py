"""API latency: launching a job (POST ..._async -> 202) and reading one (GET /celery_jobs/{id}) under load.

A real API process (uvicorn) in front of a Postgres instance (as deployed) holding 1,000 runs, Redis for the job
locks, and a Dagster webserver and code server that queue the launched runs (no daemon: they stay queued, so nothing
else loads the machine). Launch: 30 episodes, one POST each, sequentially. Status: 20 concurrent clients, each
following one of the 1,000 runs (most finished, some running), (a) polling every 0.2 s like the review UI and (b)
back to back (a stress test: on a shared 2-CPU machine the clients themselves saturate it); and one client alone.
Percentiles are over every request, each client's first one (its connection opened, its job read) included. Each
line gives what the clients saw and, from the API's JSON request log, the API's own time (request in to response
out), which excludes the clients' share of the same CPUs.
Targets: launch p50 under 200 ms; status p99 under 30 ms.

Run:  .venv/bin/python bench/api_latency.py [--runs 1000] [--clients 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from _episodes import OUT
from dagster import DagsterRun, DagsterRunStatus

from screanalytics_dagster.deploy.commands import api_command, code_server_env, webserver_command
from screanalytics_dagster.deploy.processes import Processes, free_port, start_code_server
from screanalytics_dagster.orchestration.instance import prepare_dagster_home
from screanalytics_dagster.orchestration.operations import PROCESS
from screanalytics_dagster.testing.services import postgres_server, redis_server, scratch_database

TARGETS = {"status, polling every 0.2 s": "  (target p99 < 30 ms)", "status, back to back": "  (stress: no target)"}
STATUSES = [DagsterRunStatus.SUCCESS] * 8 + [DagsterRunStatus.FAILURE, DagsterRunStatus.STARTED]


def fill(instance, n: int) -> list[str]:
    """n runs of process_episode in the instance, most finished; their ids."""
    ids = []
    for i in range(n):
        ep = f"filler{i % 50}-s01e{i % 90 + 1:02d}"
        run = DagsterRun(job_name=PROCESS.job, run_id=str(uuid.uuid4()), status=random.choice(STATUSES), tags={**PROCESS.tags(ep), "dagster/partition": ep})
        instance.add_run(run)
        ids.append(run.run_id)
    return ids


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def poll(api: str, ids: list[str], until: float, pause: float, out: list[float], first: list[float]) -> None:
    """GET jobs until the deadline; the first answer (a new connection, a finished job's result read once) is also noted apart."""
    with requests.Session() as session:
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = session.get(f"{api}/celery_jobs/{random.choice(ids)}", timeout=10)
            out.append((time.perf_counter() - started) * 1000)
            if not first:
                first.append(out[-1])
            response.raise_for_status()
            if pause:
                time.sleep(pause)


def api_times(log: Path, route: str, skip: int) -> list[float]:
    """The API's own milliseconds for route's requests, from its JSON request log past its first skip lines."""
    lines = log.read_text().splitlines()[skip:]
    return [entry["ms"] for entry in map(json.loads, filter(lambda line: line.startswith("{"), lines)) if entry.get("route") == route]


def status_load(api: str, ids: list[str], clients: int, seconds: float, pause: float) -> tuple[list[float], list[float]]:
    """Latencies of clients polling for seconds (each following one job, as the review UI does), and of their first requests."""
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    firsts: list[list[float]] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=poll, args=(api, [random.choice(ids)], until, pause, latencies, first)) for first in firsts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, [f[0] for f in firsts if f]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="of each phase with 20 clients")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="api-latency-", dir=OUT))
    root = base / "storage"
    (root / "videos").mkdir(parents=True)
    with (
        redis_server(base / "redis", "redis://127.0.0.1:1/0") as redis_url,
        postgres_server(base / "pg") as pg,
        scratch_database(pg, "screanalytics_api_bench") as db,
    ):
        instance = prepare_dagster_home(base / "home", db)
        ids = fill(instance, args.runs)
        code_port, dagster_port, api_port = free_port(), free_port(), free_port()
        env = {"DAGSTER_HOME": str(base / "home"), "REDIS_URL": redis_url, "STORAGE_ROOT": str(root),
               "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{dagster_port}", "LOG_FORMAT": "json", **code_server_env(code_port)}
        processes = Processes(base / "logs", env)
        try:
            start_code_server(processes, code_port)
            processes.start("webserver", webserver_command("127.0.0.1", dagster_port))
            processes.start("api", api_command("127.0.0.1", api_port))
            api = f"http://127.0.0.1:{api_port}"
            processes.wait_for(f"http://127.0.0.1:{dagster_port}/server_info", "webserver", 180)
            processes.wait_for(f"{api}/healthz", "API", 60)
            launches = []
            for i in range(30):
                ep = f"latency{i}-s01e01"
                (root / "videos" / f"{ep}.mp4").write_bytes(b"not decoded here")
                requests.post(f"{api}/episodes", json={"ep_id": ep, "video_uri": f"videos/{ep}.mp4"}, timeout=30).raise_for_status()
                started = time.perf_counter()
                answer = requests.post(f"{api}/episodes/{ep}/process_async", timeout=30)
                launches.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 202, answer.text
            log = base / "logs" / "api.log"
            phases = {}
            for name, clients, seconds, pause in (("status, one client", 1, args.seconds / 3, 0.0), ("status, polling every 0.2 s", args.clients, args.seconds, 0.2),
                                                  ("status, back to back", args.clients, args.seconds, 0.0)):
                skip = len(log.read_text().splitlines())
                latencies, firsts = status_load(api, ids, clients, seconds, pause)
                phases[name] = (clients, seconds, latencies, firsts, api_times(log, "/celery_jobs/{job_id}", skip))
            launched_api = api_times(log, "/episodes/{ep_id}/process_async", 0)
        finally:
            processes.stop()
    print(f"\ninstance: {args.runs} runs (Postgres); API: one uvicorn process; {os.cpu_count()} CPUs shared by the clients, the API, Postgres and the webserver")
    print(f"launch  (POST process_async -> 202, n={len(launches)}): p50 {statistics.median(launches):.0f} ms, p95 {percentile(launches, 95):.0f} ms  (target p50 < 200 ms); "
          f"API's own time p50 {statistics.median(launched_api):.0f} ms")
    for name, (clients, seconds, latencies, firsts, own) in phases.items():
        print(f"{name:<28} ({clients} clients, {len(latencies) / seconds:.0f} req/s): p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms{TARGETS.get(name, '')}; "
              f"first request of each client: median {statistics.median(firsts):.0f} ms, max {max(firsts):.0f} ms; "
              f"API's own time p50 {statistics.median(own):.1f} ms, p99 {percentile(own, 99):.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
