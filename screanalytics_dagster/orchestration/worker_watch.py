"""The Celery executor, watching each running step's worker and the run itself from the run's process.

- A step whose worker stops answering fails the run in seconds. Without it a run whose worker was killed waits for its
  result until `dagster/max_runtime`: the task was acknowledged when received, so Celery never hands it to another
  worker. Failing the run lets Dagster's run retry re-execute it on a live worker.
- A run marked finished from outside (cancelled while its code server was gone, failed by run monitoring) stops its own
  process: nothing else would, as the code server that could has lost track of it.
"""

from __future__ import annotations

import time
from functools import partial

from celery import Celery
from celery.result import AsyncResult
from celery.states import STARTED
from dagster import DagsterInstance, DagsterRunStatus, executor, multiple_process_executor_requirements
from dagster._core.execution.retries import RetryMode
from dagster_celery.core_execution_loop import core_celery_execution_loop
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor, _submit_task
from dagster_shared.ipc import send_interrupt
from kombu.exceptions import OperationalError
from redis import RedisError

CHECK_EVERY_S = 5.0
PING_TIMEOUT_S = 1.0
# A worker busy with a step still answers: its main process answers pings while a pool child runs the step.
SILENT_LIMIT_S = 15.0


class WorkerLost(RuntimeError):
    """The Celery worker running a step stopped answering."""


class RunWatch:
    """Interrupts this run process, once, when the run is marked finished from outside (the way the code server cancels it)."""

    def __init__(self, instance: DagsterInstance, run_id: str):
        self.instance, self.run_id = instance, run_id
        self.checked_at = time.monotonic()
        self.interrupted = False

    def check(self) -> None:
        now = time.monotonic()
        if self.interrupted or now - self.checked_at < CHECK_EVERY_S:
            return
        self.checked_at = now
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and run.status in (DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE):
            self.interrupted = True
            send_interrupt()  # the executor sees it at its next tick, revokes its tasks and ends the run


class WatchedResult:
    """A step's Celery result that also becomes ready, with WorkerLost, when the worker running it stops answering pings."""

    def __init__(self, result: AsyncResult, app: Celery, step_key: str, run: RunWatch):
        self.result, self.app, self.step_key, self.run = result, app, step_key, run
        self.checked_at = time.monotonic()
        self.silent_since: float | None = None
        self.lost: str | None = None  # the worker's name once it is declared lost

    def ready(self) -> bool:
        if self.lost is not None or self.result.ready():
            return True
        self.run.check()
        now = time.monotonic()
        if now - self.checked_at >= CHECK_EVERY_S:
            self.checked_at = now
            self.check_worker(now)
        return self.lost is not None

    def check_worker(self, now: float) -> None:
        host = running_on(self.result)
        if host is None or answers(self.app, host) is not False:
            self.silent_since = None
            return
        self.silent_since = self.silent_since or now
        if now - self.silent_since >= SILENT_LIMIT_S:
            self.lost = host

    def get(self) -> object:
        if self.lost is not None:
            raise WorkerLost(f"the Celery worker {self.lost} running step {self.step_key} stopped answering for {SILENT_LIMIT_S:.0f} s")
        return self.result.get()

    def revoke(self) -> None:
        self.result.revoke()


def running_on(result: AsyncResult) -> str | None:
    """The worker that has started the task (task_track_started), or None while it waits in the queue."""
    meta = result.backend.get_task_meta(result.id)
    info = meta.get("result")
    return info.get("hostname") if meta.get("status") == STARTED and isinstance(info, dict) else None


def answers(app: Celery, host: str) -> bool | None:
    """Whether the worker answers a ping; None when the broker itself cannot be reached (nothing is known then)."""
    try:
        return bool(app.control.ping(destination=[host], timeout=PING_TIMEOUT_S))
    except (OperationalError, RedisError, OSError):
        return None


def watched_submit(run: RunWatch, app, plan_context, step, queue, priority, known_state) -> WatchedResult:
    return WatchedResult(_submit_task(app, plan_context, step, queue, priority, known_state), app, step.key, run)


class WatchedCeleryExecutor(CeleryExecutor):
    """dagster-celery's executor with each step's result and the run watched."""

    def execute(self, plan_context, execution_plan):
        run = RunWatch(plan_context.instance, plan_context.dagster_run.run_id)
        return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=partial(watched_submit, run))


@executor(name="celery", config_schema=CELERY_CONFIG, requirements=multiple_process_executor_requirements())
def watched_celery_executor(init_context) -> WatchedCeleryExecutor:
    """dagster-celery's `celery_executor`, its config included, with dead workers noticed."""
    config = init_context.executor_config
    return WatchedCeleryExecutor(
        retries=RetryMode.from_config(config["retries"]),
        broker=config.get("broker"),
        backend=config.get("backend"),
        include=config.get("include"),
        config_source=config.get("config_source"),
    )
