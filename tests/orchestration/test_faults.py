"""Faults production brings, on a stack of their own: killed and stopped workers, a Redis outage, a killed code server.

Each test starts a process job through the API, hurts the stack mid-step, and asserts that the job ends within its bound
(through Dagster's retry where one is due), that no answer is a 500, that relaunches get 409 until the job ends, that the
artifacts are byte-identical to a clean run's and that no temporary file is left.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from conftest import TEST_EPISODE
from dagster import DagsterEventType
from fastapi.testclient import TestClient
from service_fixtures import Stack

from screanalytics_dagster.api import create_app
from screanalytics_dagster.deploy.commands import code_server_env, worker_command
from screanalytics_dagster.deploy.processes import Processes, free_port, redis_answers, start_code_server, wait_until
from screanalytics_dagster.orchestration.failures import FAILURE_EVENTS, failure_reason
from screanalytics_dagster.orchestration.instance import prepare_dagster_home
from screanalytics_dagster.orchestration.run_client import RunClient
from screanalytics_dagster.resources.scratch import running
from screanalytics_dagster.testing.services import redis_command, scratch_database
from screanalytics_dagster.testing.stack import running_stack

pytestmark = pytest.mark.stack

EPISODE_PREFIX = f"episodes/{TEST_EPISODE}/"
FAULT_BOUND_S = 90  # from the fault (or Redis's return) to the job's final state


@dataclass
class FaultStack:
    stack: Stack
    processes: Processes  # code server, webserver, daemon, worker
    redis: Processes
    redis_command: list[str]
    api: TestClient
    tmp: Path  # the stack processes' TMPDIR

    @property
    def redis_url(self) -> str:
        return self.stack.env["REDIS_URL"]

    def start_redis(self) -> None:
        self.redis.start("redis", self.redis_command)
        wait_until(lambda: redis_answers(self.redis_url), "redis-server")

    def restart_worker(self) -> None:
        self.processes.start("worker", worker_command("faults", 1))
        self.processes.wait_for(lambda: self.processes.logged("worker", "ready."), "celery worker", 120)

    def celery_main(self) -> psutil.Process:
        """The Celery worker's main process (a child of the `dagster-celery worker start` command)."""
        cli = psutil.Process(self.processes.started["worker"].pid)
        return next(p for p in cli.children() if "celery" in " ".join(p.cmdline()))

    def temporaries(self) -> list[str]:
        return sorted(p.name for p in self.tmp.iterdir() if p.is_file())

    def reason(self, run_id: str) -> str:
        return failure_reason(self.stack.instance.all_logs(run_id, of_type=FAILURE_EVENTS))


@pytest.fixture(scope="module")
def faults(tmp_path_factory, postgres_server_url, s3_server, sample_episode) -> Iterator[FaultStack]:
    """Its own Redis (to stop and start), Postgres database, bucket and processes; the API beside it; the episode processed once."""
    base = tmp_path_factory.mktemp("faults")
    home, logs, tmp, redis_dir = base / "dagster_home", base / "logs", base / "tmp", base / "redis"
    tmp.mkdir()
    redis_dir.mkdir()
    redis_port, bucket = free_port(), s3_server.new_bucket()
    with scratch_database(postgres_server_url, f"screanalytics_faults_{os.getpid()}") as database_url:
        env = {
            "DAGSTER_HOME": str(home), "DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "TMPDIR": str(tmp),
            **s3_server.env(bucket), **code_server_env(free_port()),
        }
        instance = prepare_dagster_home(home, database_url)
        redis = Processes(redis_dir, {})
        port = free_port()
        try:
            redis.start("redis", redis_command(redis_dir, redis_port))
            wait_until(lambda: redis_answers(env["REDIS_URL"]), "redis-server")
            with running_stack(env, logs, port) as processes, pytest.MonkeyPatch.context() as patch:
                url = f"http://127.0.0.1:{port}"
                for key, value in {**env, "DAGSTER_WEBSERVER_URL": url}.items():
                    if key != "TMPDIR":  # the API here keeps this process's temporary folder
                        patch.setenv(key, value)
                stack = Stack(s3_server.store(bucket), instance, RunClient(instance, url), logs, env, url)
                video = stack.store.put_video(TEST_EPISODE, sample_episode.video_path)
                faults = FaultStack(stack, processes, redis, redis_command(redis_dir, redis_port), TestClient(create_app()), tmp)
                assert faults.api.post("/episodes", json={"ep_id": TEST_EPISODE, "video_uri": video}).status_code == 201
                assert finish(faults, start(faults))["state"] == "success"
                yield faults
        finally:
            redis.stop()


@pytest.fixture(scope="module")
def clean(faults) -> dict[str, str]:
    """The episode's objects (key -> ETag) after a run that nothing hurt."""
    return faults.stack.objects(EPISODE_PREFIX)


def start(faults: FaultStack, unavailable_for_s: float = 0) -> str:
    """Start a process job; a 503 (a part still coming back) is retried for up to unavailable_for_s."""
    deadline = time.monotonic() + unavailable_for_s
    while (answer := faults.api.post(f"/episodes/{TEST_EPISODE}/process_async")).status_code == 503 and time.monotonic() < deadline:
        time.sleep(1.0)
    assert answer.status_code == 202, answer.text
    return answer.json()["job_id"]


def finish(faults: FaultStack, job_id: str, timeout_s: float = 300, redis_down: Callable[[], bool] = lambda: False) -> dict:
    """Poll the job to its end, relaunching meanwhile: every relaunch gets 409 (503 while Redis is down), no answer is a 500."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = faults.api.get(f"/celery_jobs/{job_id}")
        assert job.status_code == 200, job.text
        if job.json()["state"] in ("success", "failed", "cancelled"):
            return job.json()
        again = faults.api.post(f"/episodes/{TEST_EPISODE}/process_async")
        assert again.status_code == (503 if redis_down() else 409), (again.status_code, again.text, job.json())
        assert time.monotonic() < deadline, job.json()
        time.sleep(1.0)


def wait_for_step(faults: FaultStack, job_id: str, step: str = "faces") -> None:
    """Return once the job's run has started step on a worker."""

    def started() -> bool:
        return any(r.step_key == step for r in faults.stack.instance.all_logs(job_id, of_type=DagsterEventType.STEP_START))

    wait_until(started, f"step {step} starting", 120)


def assert_unharmed(faults: FaultStack, clean: dict[str, str]) -> None:
    assert faults.stack.objects(EPISODE_PREFIX) == clean
    wait_until(lambda: not faults.temporaries(), f"temporary files gone from {faults.tmp}", 30)


def hurt_mid_step_and_finish(faults: FaultStack, hurt: Callable[[], None], worker_dies: bool = True) -> tuple[dict, float]:
    """Start a job, hurt() the stack once its faces step runs, start a worker if the old one died; the job's end and seconds since."""
    job_id = start(faults)
    wait_for_step(faults, job_id)
    hurt()
    hurt_at = time.monotonic()
    if worker_dies:
        faults.restart_worker()
    job = finish(faults, job_id)
    return job, time.monotonic() - hurt_at


def test_sigkill_of_the_worker_main_process_mid_step_is_retried_on_a_live_worker(faults, clean):
    job, took = hurt_mid_step_and_finish(faults, lambda: faults.celery_main().send_signal(signal.SIGKILL))
    assert job["state"] == "success" and len(job["runs"]) == 2, job
    assert "stopped answering" in faults.reason(job["runs"][0])
    assert took < FAULT_BOUND_S
    assert_unharmed(faults, clean)


def test_sigkill_of_the_pool_child_mid_step_is_retried(faults, clean):
    def kill_children() -> None:
        for child in faults.celery_main().children():
            child.send_signal(signal.SIGKILL)

    job, took = hurt_mid_step_and_finish(faults, kill_children, worker_dies=False)
    assert job["state"] == "success" and len(job["runs"]) == 2, job
    assert "lost its Celery worker process" in faults.reason(job["runs"][0])
    assert took < FAULT_BOUND_S
    assert_unharmed(faults, clean)


def test_sigterm_of_the_worker_mid_step_lets_the_job_finish(faults, clean):
    job, took = hurt_mid_step_and_finish(faults, lambda: faults.celery_main().send_signal(signal.SIGTERM))
    assert job["state"] == "success", job
    assert took < FAULT_BOUND_S
    assert_unharmed(faults, clean)


def test_redis_outage_mid_step_ends_the_job_through_a_retry_or_with_the_reason(faults, clean):
    job_id = start(faults)
    wait_for_step(faults, job_id)
    faults.redis.stop()
    time.sleep(10)
    faults.start_redis()  # empty: the job's lock is gone with the rest
    back_at = time.monotonic()
    job = finish(faults, job_id, redis_down=lambda: not redis_answers(faults.redis_url))
    assert job["state"] == "success" or "Redis" in job["result"]["error"], job
    assert time.monotonic() - back_at < FAULT_BOUND_S
    if job["state"] == "success":
        assert_unharmed(faults, clean)


def test_a_job_whose_code_server_was_killed_can_be_cancelled_and_its_process_stops(faults, clean):
    job_id = start(faults)
    wait_for_step(faults, job_id)
    code_server = psutil.Process(faults.processes.started["code_server"].pid)
    left = code_server.children(recursive=True)  # its gRPC server and the run's process
    code_server.send_signal(signal.SIGKILL)
    health = faults.api.get("/healthz")
    assert health.status_code == 503 and health.json()["code_server"].startswith("down"), health.json()
    answer = faults.api.post(f"/celery_jobs/{job_id}/cancel")
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "cancelled" and answer.json()["result"] == {"error": "cancelled through the API"}, answer.json()
    wait_until(lambda: not [p for p in left if running(p.pid)], f"the killed code server's processes ending: {[p.cmdline() for p in left if running(p.pid)]}", 60)
    start_code_server(faults.processes, int(faults.stack.env["CODE_SERVER_PORT"]))
    assert finish(faults, start(faults, unavailable_for_s=60))["state"] == "success"  # once the webserver has reloaded it
    assert faults.api.get("/healthz").json()["code_server"] == "ok"
    assert_unharmed(faults, clean)


def test_a_run_whose_code_server_died_with_it_is_retried_once_the_server_is_back(faults, clean):
    def kill_code_server() -> None:
        os.killpg(faults.processes.started["code_server"].pid, signal.SIGKILL)  # the server and the run's process
        start_code_server(faults.processes, int(faults.stack.env["CODE_SERVER_PORT"]))

    job, took = hurt_mid_step_and_finish(faults, kill_code_server, worker_dies=False)
    assert job["state"] == "success" and len(job["runs"]) == 2, job
    assert faults.reason(job["runs"][0]).startswith("the run's process was lost: its code server")
    assert took < FAULT_BOUND_S
    assert_unharmed(faults, clean)
