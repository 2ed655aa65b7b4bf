"""Progress reports of a running step, which also stop it when its run is cancelled."""

from __future__ import annotations

import time
from collections.abc import Callable

from dagster import AssetExecutionContext, DagsterRunStatus

from ..resources import BaseArtifactStore
from ..resources.artifacts import progress_key

PROGRESS_EVERY_S = 1.0
STOPPING = (DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)


class RunCancelled(Exception):
    """The step's run was cancelled or failed while the step was running."""


def progress_reporter(context: AssetExecutionContext, store: BaseArtifactStore) -> Callable[[int, int, str], None]:
    """A callback(done, total, message) that stores the step's progress and stops the step when its run is cancelled.

    Runs at most once a second. Dagster revokes a cancelled run's Celery tasks without stopping the ones
    already running, so a long step must notice by itself: the callback raises RunCancelled.
    """
    step = context.op_execution_context.op.name
    run_id = context.run.run_id
    key = progress_key(run_id)
    last = [0.0]

    def report(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and done < total:
            return
        last[0] = now
        run = context.instance.get_run_by_id(run_id)
        if run is not None and run.status in STOPPING:
            raise RunCancelled(f"{step} stopped at {message}: run {run_id} is {run.status.value}")
        fraction = round(done / total, 4) if total else 1.0
        store.write_json(key, {"step": step, "progress": fraction, "message": message, "updated_at": time.time()})
        context.log.info(f"{step}: {fraction:.0%} {message}")

    return report


