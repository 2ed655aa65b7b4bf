"""Light jobs (naming, auto-group, re-cluster) run in a thread of the API while their episode is idle.

They are Dagster runs like the others: in the instance and the Dagster UI, under the same lock. What they skip is the
queue, the daemon's dequeue, a new run process and its import of the definitions, all of which cost seconds, for
steps that take a fraction of one. A busy episode, or the setting `LIGHT_JOBS_IN_API=false`, sends them to the queue.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES

from ..orchestration.in_process import PipelineError, run_operation
from ..orchestration.operations import Operation
from .context import ApiContext

log = logging.getLogger(__name__)
THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="light-job")
# A run of this process that outlives it (the API killed mid-run) is failed by run monitoring after this long.
MAX_RUNTIME_S = 300
RECORDED_WITHIN_S = 10.0  # the run appears in the instance as soon as the thread starts it


def busy_key(ep_id: str) -> str:
    """Held while a light job of the episode runs in an API process (any of them, any operation)."""
    return f"screenalytics:episode_busy:{ep_id}"


def start_here(ctx: ApiContext, ep_id: str, op: Operation, run_config: dict | None, lock: str) -> str | None:
    """Start op in a thread of this process, once the episode is idle; its run id once recorded, or None (queue it instead)."""
    client = ctx.redis
    if client is None or not op.runs_in_api or not ctx.settings.light_jobs_in_api:
        return None
    run_id = str(uuid.uuid4())
    if not client.set(busy_key(ep_id), run_id, nx=True, ex=MAX_RUNTIME_S):
        return None
    if ctx.runs.latest({"dagster/partition": ep_id}, list(NOT_FINISHED_STATUSES)):  # a queued or running job of the episode
        ctx.drop_key(busy_key(ep_id), run_id)
        return None
    running = THREADS.submit(run, ctx, ep_id, op, run_config, run_id, lock)
    deadline = time.monotonic() + RECORDED_WITHIN_S
    while ctx.runs.run(run_id) is None:
        if running.done() or time.monotonic() > deadline:  # it could not start: queue the job instead
            return run_id if ctx.runs.run(run_id) is not None else None
        time.sleep(0.02)
    return run_id


def run(ctx: ApiContext, ep_id: str, op: Operation, run_config: dict | None, run_id: str, lock: str) -> None:
    """Execute the run, then free the episode and the job's lock."""
    try:
        run_operation(
            ep_id, op.name, Path(ctx.settings.storage_root), run_config, run_id=run_id, instance=ctx.instance, store=ctx.store,
            tags={"dagster/max_runtime": str(MAX_RUNTIME_S)},
        )
    except PipelineError:
        pass  # recorded in the run; the job's result tells it
    except Exception:  # noqa: BLE001 - a thread's error would otherwise vanish
        log.exception("light job %s of %s on %s stopped", run_id, op.name, ep_id)
    finally:
        ctx.drop_key(busy_key(ep_id), run_id)
        ctx.drop_key(lock, run_id)
