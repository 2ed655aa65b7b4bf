"""Jobs (Dagster runs): status, progress, result, listing and cancelling; `/celery_jobs` as the old system named them."""

from __future__ import annotations

import uuid

from dagster import DagsterRun, RunsFilter
from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from .. import job_control as jobs
from ..context import Authorized, Context
from ..errors import not_found, unprocessable
from ..schemas import Job

router = APIRouter(tags=["jobs"])
STATE_NAMES = sorted(set(jobs.STATES.values()))


def find_run(ctx: Context, job_id: str) -> DagsterRun:
    try:
        uuid.UUID(job_id)
    except ValueError as exc:
        raise not_found(f"unknown job {job_id}") from exc
    run = ctx.runs.run(job_id)
    if run is None:
        raise not_found(f"unknown job {job_id}")
    return run


@router.get("/jobs/{job_id}", response_model=Job)
@router.get("/celery_jobs/{job_id}", response_model=Job)
async def get_job(job_id: str, ctx: Context) -> dict | JSONResponse:
    """A job's state and progress; a finished job's view is answered from memory, without leaving the event loop."""
    if job_id in ctx.finished_jobs:
        return JSONResponse(ctx.finished_jobs[job_id])
    return await run_in_threadpool(lambda: jobs.job_view(ctx, find_run(ctx, job_id)))


@router.post("/jobs/{job_id}/cancel", response_model=Job, dependencies=Authorized)
@router.post("/celery_jobs/{job_id}/cancel", response_model=Job, dependencies=Authorized)
def cancel_job(job_id: str, ctx: Context) -> dict:
    """Cancel a job (its latest retry, when Dagster retried it); a finished one answers with its final state."""
    latest = jobs.attempts(ctx, find_run(ctx, job_id))[-1]
    if jobs.state_of(latest) not in jobs.FINISHED:
        ctx.runs.cancel(latest.run_id)
    return jobs.job_view(ctx, find_run(ctx, job_id))


@router.get("/jobs", response_model=list[Job])
def list_jobs(ctx: Context, episode: str | None = None, state: str | None = None, limit: int = Query(50, ge=1, le=500)) -> list[dict]:
    """The latest jobs, newest first, optionally of one episode and in one state; an automatic retry is part of its first run's job."""
    if state is not None and state not in STATE_NAMES:
        raise unprocessable(f"unknown state {state!r}: expected one of {', '.join(STATE_NAMES)}")
    statuses = [s for s, name in jobs.STATES.items() if name == state] if state else []
    runs = ctx.instance.get_runs(RunsFilter(tags={"episode": episode} if episode else {}, statuses=statuses), limit=limit)
    views: dict[str, dict] = {}
    for run in runs:
        job_id = jobs.job_id_of(run)
        first = run if job_id == run.run_id else ctx.runs.run(job_id)
        if first is not None and job_id not in views:
            views[job_id] = jobs.job_view(ctx, first)
    return [view for view in views.values() if state is None or view["state"] == state]
