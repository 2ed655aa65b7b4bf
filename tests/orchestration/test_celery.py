"""The distributed path: steps on a Celery worker over Redis, the instance in Postgres, artifacts in S3."""

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import TEST_EPISODE
from dagster import DagsterRunStatus

from screanalytics_dagster.deploy.commands import REPO, WORKSPACE
from screanalytics_dagster.deploy.processes import wait_until
from screanalytics_dagster.resources.artifacts import SCREENTIME, progress_key

pytestmark = pytest.mark.stack


EPISODE_PREFIX = f"episodes/{TEST_EPISODE}/"
SLOW_FACES = {"ops": {"faces": {"config": {"sample_fps": 25.0}}}}  # every frame: a faces step of many batches


@pytest.fixture(scope="module")
def celery_processed(stack, sample_episode):
    """The test episode processed through the stack: its run id."""
    stack.store.put_video(TEST_EPISODE, sample_episode.video_path)
    run_id = stack.client.launch(TEST_EPISODE, "process")
    assert stack.wait(run_id) == DagsterRunStatus.SUCCESS, stack.log("worker")[-3000:]
    return run_id


def test_process_runs_every_step_on_the_worker_and_matches_the_in_process_run(stack, celery_processed, processed_episode):
    messages = stack.messages(celery_processed)
    in_worker = {step for step, m in messages if "in celery worker" in m}
    assert in_worker == {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"}
    queued = [m for _, m in messages if "Submitting celery task" in m]
    assert any('"faces" to queue "vision"' in m for m in queued) and any('"clusters" to queue "dagster"' in m for m in queued)
    ours = stack.store.read_table(SCREENTIME.key(TEST_EPISODE))
    theirs = processed_episode.store.read_table(SCREENTIME.key(TEST_EPISODE))
    assert ours.column("seconds").to_pylist() == pytest.approx(theirs.column("seconds").to_pylist(), abs=0.5)


def launch_and_wait_for_faces(stack, config: dict) -> str:
    """Launch a slow process run and return its id once its faces step has reported progress."""
    run_id = stack.client.launch(TEST_EPISODE, "process", config)
    deadline = time.monotonic() + 120
    while not stack.store.exists(progress_key(run_id)):
        assert time.monotonic() < deadline, "the faces step never reported progress"
        time.sleep(0.2)
    return run_id


def test_cancel_stops_a_running_step_within_10_seconds_and_keeps_the_last_artifacts(stack, celery_processed):
    before = stack.objects(EPISODE_PREFIX)
    run_id = launch_and_wait_for_faces(stack, SLOW_FACES)
    cancelled_at = time.monotonic()
    stack.client.cancel(run_id)
    assert stack.wait(run_id, timeout_s=30) == DagsterRunStatus.CANCELED
    assert time.monotonic() - cancelled_at < 10
    assert any(step == "faces" and "stopped at frame" in m for step, m in stack.messages(run_id))
    assert stack.objects(EPISODE_PREFIX) == before
    # The run's process lives on the code server, which any host reaches at its address (not a local socket).
    grpc_info = json.loads(stack.client.run(run_id).tags[".dagster/grpc_info"])
    assert (grpc_info.get("host"), grpc_info.get("port"), grpc_info.get("socket")) == ("127.0.0.1", int(stack.env["CODE_SERVER_PORT"]), None)


def test_max_runtime_fails_the_run_and_stops_its_step(stack, celery_processed):
    before = stack.objects(EPISODE_PREFIX)
    run_id = stack.client.launch(TEST_EPISODE, "process", SLOW_FACES, {"dagster/max_runtime": "5"})
    assert stack.wait(run_id, timeout_s=90) == DagsterRunStatus.FAILURE
    assert any("maximum runtime" in m for _, m in stack.messages(run_id))
    wait_until(lambda: any(step == "faces" and "stopped at frame" in m for step, m in stack.messages(run_id)), "the faces step stopping", 20)
    assert stack.objects(EPISODE_PREFIX) == before


def test_celery_soft_time_limit_fails_the_step_and_keeps_the_last_artifacts(stack, celery_processed):
    before = stack.objects(EPISODE_PREFIX)
    limited = {**SLOW_FACES, "execution": {"config": {"soft_time_limit_s": 3, "time_limit_s": 60}}}
    run_id = stack.client.launch(TEST_EPISODE, "process", limited)
    assert stack.wait(run_id, timeout_s=120) == DagsterRunStatus.FAILURE
    assert any("SoftTimeLimitExceeded" in m for _, m in stack.messages(run_id)), stack.messages(run_id)
    assert stack.objects(EPISODE_PREFIX) == before


def test_one_run_per_episode_and_operation_at_a_time(stack, celery_processed):
    first = stack.client.launch(TEST_EPISODE, "recluster")
    second = stack.client.launch(TEST_EPISODE, "recluster")
    assert stack.wait(first) == DagsterRunStatus.SUCCESS
    assert stack.wait(second) == DagsterRunStatus.SUCCESS
    records = {r.dagster_run.run_id: r for r in stack.instance.get_run_records()}
    assert records[second].start_time >= records[first].end_time


def test_cli_backfill_queues_a_run_per_partition(stack, celery_processed):
    command = [sys.executable, "-m", "dagster", "job", "backfill", "-w", WORKSPACE, "-j", "auto_group",
               "--partitions", TEST_EPISODE, "--noprompt"]
    done = subprocess.run(command, cwd=REPO, env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    backfilled = [r for r in stack.instance.get_run_records() if r.dagster_run.job_name == "auto_group" and "dagster/backfill" in r.dagster_run.tags]
    assert len(backfilled) == 1 and backfilled[0].dagster_run.tags["dagster/partition"] == TEST_EPISODE
    assert stack.wait(backfilled[0].dagster_run.run_id) == DagsterRunStatus.SUCCESS
