"""Jobs are Dagster runs: launching one per (episode, operation) under a Redis lock, and reading them back."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import cast

import redis
from dagster import DagsterEventType, DagsterRun, DagsterRunStatus
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._core.storage.tags import AUTO_RETRY_RUN_ID_TAG, RETRY_NUMBER_TAG, ROOT_RUN_ID_TAG, WILL_RETRY_TAG
from dagster_graphql import DagsterGraphQLClientError

from ..orchestration.failures import FAILURE_EVENTS, failure_reason
from ..orchestration.in_process import PipelineError, run_operation
from ..orchestration.operations import Operation
from ..orchestration.run_client import CANCELLED_BY
from ..resources.artifacts import progress_key
from . import light_jobs
from .context import ApiContext
from .errors import ApiError, unavailable

STATES = {
    DagsterRunStatus.QUEUED: "queued",
    DagsterRunStatus.NOT_STARTED: "queued",
    DagsterRunStatus.STARTING: "queued",
    DagsterRunStatus.STARTED: "in_progress",
    DagsterRunStatus.CANCELING: "in_progress",
    DagsterRunStatus.SUCCESS: "success",
    DagsterRunStatus.FAILURE: "failed",
    DagsterRunStatus.CANCELED: "cancelled",
}
FINISHED = {"success", "failed", "cancelled"}
PENDING_TTL_S = 60  # a lock taken by an API that died before its launch returned
RETRY_DECISION_S = 30  # a failed run without the daemon's retry decision counts as deciding for this long
SYNC_MESSAGE = "Executed synchronously (Celery unavailable)"

FOLLOW_UP_TAG = "screanalytics/follow_up"  # on a run: the run queued after it to apply review actions it had not read
FOLLOWS_TAG = "screanalytics/follows"  # on a follow-up run: the job it belongs to

# Set key to new only while it still holds old (atomic compare-and-set).
SWAP = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0"


def lock_key(ep_id: str, operation: str) -> str:
    return f"screenalytics:job_lock:{ep_id}:{operation}"


def state_of(run: DagsterRun) -> str:
    return STATES.get(run.status, "queued")


def job_state(ctx: ApiContext, latest: DagsterRun) -> str:
    """The state of a job whose latest run is latest: a failed run that the daemon is about to retry is still in progress."""
    return "in_progress" if waiting_to_retry(ctx, latest) else state_of(latest)


def waiting_to_retry(ctx: ApiContext, run: DagsterRun) -> bool:
    """Whether the daemon is about to retry the failed run, or has yet to decide (it tags the run just after the failure)."""
    # Only the daemon retries runs, and it runs beside Celery; a run in a process of its own is never retried.
    if not ctx.settings.redis_url or run.status != DagsterRunStatus.FAILURE:
        return False
    if WILL_RETRY_TAG in run.tags or not ctx.instance.run_retries_enabled:
        return run.is_complete_and_waiting_to_retry
    record = ctx.instance.get_run_record_by_id(run.run_id)
    return record is not None and record.end_time is not None and time.time() - record.end_time < RETRY_DECISION_S


def job_id_of(run: DagsterRun) -> str:
    """The job a run belongs to: an automatic retry or a follow-up is part of its first run's job."""
    if FOLLOWS_TAG in run.tags:
        return run.tags[FOLLOWS_TAG]
    return run.tags.get(ROOT_RUN_ID_TAG, run.run_id) if RETRY_NUMBER_TAG in run.tags else run.run_id


def attempts(ctx: ApiContext, run: DagsterRun) -> list[DagsterRun]:
    """The run and the runs that went on with its job (automatic retries, follow-ups), oldest first: one job."""
    chain = [run]
    while (next_id := chain[-1].tags.get(AUTO_RETRY_RUN_ID_TAG) or chain[-1].tags.get(FOLLOW_UP_TAG)) and (after := ctx.runs.run(next_id)) is not None:
        chain.append(after)
    return chain


def start_job(ctx: ApiContext, ep_id: str, op: Operation, run_config: dict | None = None, follow: bool = False) -> dict:
    """Launch op on the episode as a run (202 body), or run a cheap one here when Redis is down (200 body).

    follow: an active job of op takes this request too (it applies what the review log holds) instead of a 409.
    """
    if not ctx.redis_up():
        if not op.runs_in_api:
            raise unavailable(f"Celery unavailable (Redis at {ctx.settings.redis_url or 'REDIS_URL, unset,'} does not answer): cannot start {op.name} now")
        return run_here(ctx, ep_id, op, run_config)
    client = ctx.redis
    assert client is not None  # redis_up() answered
    key, token = lock_key(ep_id, op.name), f"pending:{uuid.uuid4()}"
    ttl = ctx.settings.job_time_limit_s + 600
    if not take_lock(ctx, client, key, token):
        holder = holder_run(lock_holder(client, key))
        if follow and holder is not None:
            return follow_up(ctx, ep_id, op, holder)
        raise ApiError(409, "Job already in progress", job_id=holder)
    if (active := active_job(ctx, ep_id, op)) is not None:  # launched before Redis lost its keys (a restart without persistence)
        client.eval(SWAP, 1, key, token, active, ttl)
        if follow:
            return follow_up(ctx, ep_id, op, active)
        raise ApiError(409, "Job already in progress", job_id=active)
    if (here := light_jobs.start_here(ctx, ep_id, op, run_config, key)) is not None:
        client.eval(SWAP, 1, key, token, here, ttl)
        return {"job_id": here, "status": "queued", "async": True}
    try:
        run_id = ctx.runs.launch(ep_id, op.name, run_config)
    except (DagsterGraphQLClientError, OSError) as exc:
        ctx.drop_key(key, token)
        raise unavailable(f"the Dagster webserver at {ctx.settings.dagster_webserver_url} did not take the run: {exc}") from exc
    client.eval(SWAP, 1, key, token, run_id, ttl)
    return {"job_id": run_id, "status": "queued", "async": True}


def follow_up(ctx: ApiContext, ep_id: str, op: Operation, job_id: str) -> dict:
    """Let the active job apply the log as it is now: a run of it that has not started reads it then; else a run queued after it."""
    run = ctx.runs.run(job_id)
    latest = attempts(ctx, run)[-1] if run is not None else None
    if latest is not None and latest.status not in (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED):
        try:
            after = ctx.runs.launch(ep_id, op.name, tags={FOLLOWS_TAG: job_id})
        except (DagsterGraphQLClientError, OSError) as exc:
            raise unavailable(f"the review is saved, but the Dagster webserver did not take the run applying it: {exc}") from exc
        ctx.instance.add_run_tags(latest.run_id, {FOLLOW_UP_TAG: after})
        ctx.finished_jobs.pop(job_id, None)
    return {"job_id": job_id, "status": "queued", "async": True}


def active_job(ctx: ApiContext, ep_id: str, op: Operation) -> str | None:
    """The job id of an active run of op on the episode, from the instance (a retry counts as its first run's job)."""
    tags = {"episode_operation": op.tags(ep_id)["episode_operation"]}
    failed = [run for run in ctx.runs.latest(tags, [DagsterRunStatus.FAILURE]) if waiting_to_retry(ctx, run)]
    active = [*ctx.runs.latest(tags, list(NOT_FINISHED_STATUSES)), *failed]
    return job_id_of(active[0]) if active else None


def take_lock(ctx: ApiContext, client: redis.Redis, key: str, token: str) -> bool:
    """Take the lock; a lock whose run has finished is stale and taken over."""
    if client.set(key, token, nx=True, ex=PENDING_TTL_S):
        return True
    holder = lock_holder(client, key)
    if holder is None:  # expired just now
        return bool(client.set(key, token, nx=True, ex=PENDING_TTL_S))
    run_id = holder_run(holder)
    if run_id is None:
        return False  # another launch is on its way
    run = ctx.runs.run(run_id)
    if run is not None and job_state(ctx, attempts(ctx, run)[-1]) not in FINISHED:
        return False  # the job, or the retry it goes on as, is active
    return bool(client.eval(SWAP, 1, key, holder, token, PENDING_TTL_S))


def lock_holder(client: redis.Redis, key: str) -> bytes | None:
    """The lock's value, as bytes: the client does not decode responses."""
    return cast("bytes | None", client.get(key))


def holder_run(holder: bytes | None) -> str | None:
    """The run id a lock holds (None while its launch is pending)."""
    if holder is None:
        return None
    value = holder.decode()
    return None if value.startswith("pending:") else value


def release_lock(ctx: ApiContext, run: DagsterRun) -> None:
    """Drop the run's lock once the run has finished (only if it still holds it)."""
    ep_id, operation = run.tags.get("episode"), run.tags.get("operation")
    if ep_id and operation:
        ctx.drop_key(lock_key(ep_id, operation), run.run_id)


def run_here(ctx: ApiContext, ep_id: str, op: Operation, run_config: dict | None) -> dict:
    """Run a cheap operation in this process and answer with its outcome."""
    run_id = str(uuid.uuid4())
    try:
        run_operation(ep_id, op.name, Path(ctx.settings.storage_root), run_config, run_id=run_id, instance=ctx.instance, store=ctx.store)
    except PipelineError as exc:
        return {"job_id": run_id, "async": False, "status": "failed", "result": {"error": str(exc)}, "message": SYNC_MESSAGE}
    run = ctx.runs.run(run_id)
    assert run is not None  # run_operation recorded it in this instance
    return {"job_id": run_id, "async": False, "status": "success", "result": run_result(ctx, run), "message": SYNC_MESSAGE}


def job_view(ctx: ApiContext, run: DagsterRun) -> dict:
    """The job as clients see it, through its retries: state, the engine's status, progress and, once finished, the result."""
    if run.run_id in ctx.finished_jobs:
        return ctx.finished_jobs[run.run_id]
    chain = attempts(ctx, run)
    latest = chain[-1]
    retrying = waiting_to_retry(ctx, latest)
    state = "in_progress" if retrying else state_of(latest)
    if state in FINISHED:
        release_lock(ctx, run)
    reported = ctx.store.read_json(progress_key(latest.run_id)) or {}
    progress = {
        "step": reported.get("step"),
        "progress": 1.0 if state == "success" else reported.get("progress", 0.0),
        "message": f"retrying: {run_result(ctx, latest)['error']}" if retrying else reported.get("message", state),
    }
    view = {
        "job_id": run.run_id,
        "episode": run.tags.get("episode"),
        "operation": run.tags.get("operation"),
        "state": state,
        "raw_state": latest.status.value,
        "progress": progress,
        "result": run_result(ctx, latest, retries=sum(RETRY_NUMBER_TAG in r.tags for r in chain)) if state in FINISHED else None,
        "runs": [attempt.run_id for attempt in chain],
    }
    if state in FINISHED:
        ctx.remember_finished(view)
    return view


def run_result(ctx: ApiContext, run: DagsterRun, retries: int = 0) -> dict:
    """Counts from the run's materializations, or why it did not succeed (after how many automatic retries)."""
    after = f" (after {retries} automatic {'retry' if retries == 1 else 'retries'})" if retries else ""
    if run.status == DagsterRunStatus.CANCELED:
        return {"error": f"cancelled {run.tags.get(CANCELLED_BY, 'in Dagster (its UI or the daemon)')}{after}"}
    if run.status == DagsterRunStatus.FAILURE:
        return {"error": failure_reason(ctx.runs.events(run.run_id, FAILURE_EVENTS)) + after}
    counts = {}
    for record in ctx.runs.events(run.run_id, {DagsterEventType.ASSET_MATERIALIZATION}):
        materialization = record.asset_materialization
        if materialization is not None:
            counts[materialization.asset_key.to_user_string()] = {
                name: value.value for name, value in materialization.metadata.items() if name.startswith("n_")
            }
    return counts
