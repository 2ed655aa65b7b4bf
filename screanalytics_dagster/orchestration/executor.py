"""How steps run: in this process by default, on dagster-celery workers over Redis when REDIS_URL is set."""

from __future__ import annotations

from dagster import ExecutorDefinition, Field, in_process_executor
from dagster_celery import core_execution_loop

from ..settings import Settings
from .worker_watch import watched_celery_executor

# dagster-celery polls its tasks once a second, so each of our six steps would start up to a second after the
# previous one ended; polling Redis five times a second costs nothing measurable.
CELERY_POLL_S = 0.2
VISIBILITY_TIMEOUT_S = 7200  # same as celery_worker.yaml; must exceed the hard time limit (see there)


def celery_config(redis_url: str, soft_time_limit_s: int, time_limit_s: int) -> dict:
    """The dagster-celery executor config: Redis as broker and backend, Celery's soft and hard time limits."""
    if not 0 < soft_time_limit_s <= time_limit_s < VISIBILITY_TIMEOUT_S:
        raise ValueError(f"time limits must satisfy 0 < soft <= hard < {VISIBILITY_TIMEOUT_S} s, got {soft_time_limit_s} and {time_limit_s}")
    return {
        "broker": redis_url,
        "backend": redis_url,
        "config_source": {
            "task_soft_time_limit": soft_time_limit_s,
            "task_time_limit": time_limit_s,
            "worker_prefetch_multiplier": 1,
            "task_track_started": True,  # a started task names its worker, which worker_watch pings
            "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
            "result_expires": 24 * 3600,
        },
    }


def step_executor(config: Settings) -> ExecutorDefinition:
    """Celery when a broker is configured (time limits overridable per run), else in-process, models loaded once."""
    redis_url = config.redis_url
    if not redis_url:
        return in_process_executor
    core_execution_loop.TICK_SECONDS = CELERY_POLL_S  # type: ignore[assignment]  # typed int by its default; a module global of dagster-celery: set only where Celery runs steps
    return watched_celery_executor.configured(
        lambda limits: celery_config(redis_url, limits["soft_time_limit_s"], limits["time_limit_s"]),
        name="celery",
        config_schema={
            "soft_time_limit_s": Field(int, default_value=config.job_soft_time_limit_s),
            "time_limit_s": Field(int, default_value=config.job_time_limit_s),
        },
    )
