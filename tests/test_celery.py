"""The distributed path: steps on a Celery worker over Redis, the instance in Postgres, runs queued by the daemon."""

import time

import pytest
from conftest import TEST_EPISODE, link_video
from dagster import DagsterRunStatus

from screanalytics_dagster.resources import ArtifactStore, episode_key

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture(scope="module")
def celery_processed(stack, sample_episode):
    """The test episode processed through the stack: its run id."""
    link_video(stack.root, TEST_EPISODE, sample_episode.video_path)
    run_id = stack.client.launch(TEST_EPISODE, "process")
    assert stack.wait(run_id) == DagsterRunStatus.SUCCESS, stack.log("worker")[-3000:]
    return run_id


def test_process_runs_every_step_on_the_worker_and_matches_the_in_process_run(stack, celery_processed, processed_episode):
    messages = stack.messages(celery_processed)
    in_worker = {step for step, m in messages if "in celery worker" in m}
    assert in_worker == {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"}
    queued = [m for _, m in messages if "Submitting celery task" in m]
    assert any('"faces" to queue "vision"' in m for m in queued) and any('"clusters" to queue "dagster"' in m for m in queued)
    ours = ArtifactStore(root=str(stack.root)).read_table(episode_key(TEST_EPISODE, "screentime.parquet"))
    theirs = processed_episode.store.read_table(episode_key(TEST_EPISODE, "screentime.parquet"))
    assert ours.column("seconds").to_pylist() == pytest.approx(theirs.column("seconds").to_pylist(), abs=0.5)


def artifacts(stack) -> dict:
    folder = stack.root / "episodes" / TEST_EPISODE
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_cancel_stops_a_running_step_within_10_seconds_and_keeps_the_last_artifacts(stack, celery_processed):
    before = artifacts(stack)
    slow = {"ops": {"faces": {"config": {"sample_fps": 25.0}}}}
    run_id = stack.client.launch(TEST_EPISODE, "process", slow)
    progress = stack.root / "runs" / run_id / "progress.json"
    deadline = time.monotonic() + 120
    while not progress.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert progress.exists(), "the faces step never reported progress"
    cancelled_at = time.monotonic()
    stack.client.cancel(run_id)
    assert stack.wait(run_id, timeout_s=30) == DagsterRunStatus.CANCELED
    assert time.monotonic() - cancelled_at < 10
    assert any(step == "faces" and "stopped at frame" in m for step, m in stack.messages(run_id))
    assert artifacts(stack) == before
    assert not list(stack.root.rglob("*.tmp"))


def test_celery_soft_time_limit_fails_the_step_and_keeps_the_last_artifacts(stack, celery_processed):
    before = artifacts(stack)
    limited = {"ops": {"faces": {"config": {"sample_fps": 25.0}}}, "execution": {"config": {"soft_time_limit_s": 3, "time_limit_s": 60}}}
    run_id = stack.client.launch(TEST_EPISODE, "process", limited)
    assert stack.wait(run_id, timeout_s=120) == DagsterRunStatus.FAILURE
    assert any("SoftTimeLimitExceeded" in m for _, m in stack.messages(run_id)), stack.messages(run_id)
    assert artifacts(stack) == before


def test_one_run_per_episode_and_operation_at_a_time(stack, celery_processed):
    first = stack.client.launch(TEST_EPISODE, "recluster")
    second = stack.client.launch(TEST_EPISODE, "recluster")
    assert stack.wait(first) == DagsterRunStatus.SUCCESS
    assert stack.wait(second) == DagsterRunStatus.SUCCESS
    records = {r.dagster_run.run_id: r for r in stack.instance.get_run_records()}
    assert records[second].start_time >= records[first].end_time
