"""Progress reports of a running step, as its job's fraction; they also stop the step when its run is cancelled."""

from __future__ import annotations

import time
from collections.abc import Callable

from dagster import AssetExecutionContext, DagsterRunStatus
from dagster._core.errors import DagsterInvalidPropertyError

from ..resources import BaseArtifactStore
from ..resources.artifacts import progress_key

PROGRESS_EVERY_S = 1.0
# Each step's share of a process job: bench/throughput.py's seconds per stage on 2 cores (faces 17.4, embeddings 2.3,
# the other four 0.1 together). A job of fewer steps shares the whole among its own.
STEP_SHARES = {"faces": 0.86, "embeddings": 0.11, "tracks": 0.01, "clusters": 0.01, "groups": 0.005, "screentime": 0.005}
STOPPING = (DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)


class RunCancelled(Exception):
    """The step's run was cancelled or failed while the step was running."""


def job_span(step: str, job_steps: set[str]) -> tuple[float, float]:
    """Where step lies in a job of job_steps: the job's fraction done when it starts, and its share of the job."""
    steps = [name for name in STEP_SHARES if name in job_steps]
    total = sum(STEP_SHARES[name] for name in steps)
    return sum(STEP_SHARES[name] for name in steps[: steps.index(step)]) / total, STEP_SHARES[step] / total


def progress_reporter(context: AssetExecutionContext, store: BaseArtifactStore) -> Callable[[int, int, str], None]:
    """A callback(done, total, message) that stores the job's progress and stops the step when its run is cancelled.

    Runs at most once a second. Dagster revokes a cancelled run's Celery tasks without stopping the ones
    already running, so a long step must notice by itself: the callback raises RunCancelled.
    """
    try:
        job_steps = {node.name for node in context.job_def.nodes}
    except DagsterInvalidPropertyError:  # the asset invoked directly, outside a run (tests): nothing to report to
        return lambda done, total, message: None
    step = context.op_execution_context.op.name
    run_id = context.run.run_id
    key = progress_key(run_id)
    start, share = job_span(step, job_steps)
    last = [0.0]

    def report(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and done < total:
            return
        last[0] = now
        run = context.instance.get_run_by_id(run_id)
        if run is not None and run.status in STOPPING:
            raise RunCancelled(f"{step} stopped at {message}: run {run_id} is {run.status.value}")
        fraction = done / total if total else 1.0
        job = round(start + share * fraction, 4)
        store.write_json(key, {"step": step, "progress": job, "step_progress": round(fraction, 4), "message": message, "updated_at": time.time()})
        context.log.info(f"{step}: {fraction:.0%} of the step, {job:.1%} of the job: {message}")

    return report


