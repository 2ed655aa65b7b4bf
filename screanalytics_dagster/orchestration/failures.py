"""Why a run failed, in one sentence, from its events: the failing step's error, a lost worker, an unreachable broker, a time limit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dagster import DagsterEvent, DagsterEventType, EventLogEntry
from dagster._utils.error import SerializableErrorInfo

FAILURE_EVENTS = {DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
# Error classes (anywhere in the chain or the text) and what they mean, first match wins.
CAUSES = (
    ("SoftTimeLimitExceeded", "hit its Celery time limit"),
    ("TimeLimitExceeded", "hit its Celery time limit"),
    ("WorkerLostError", "lost its Celery worker process (killed, or out of memory)"),
    ("redis.exceptions.ConnectionError", "lost the broker: Redis could not be reached"),
    ("kombu.exceptions.OperationalError", "lost the broker: Redis could not be reached"),
)
MONITORED = re.compile(r"Detected run worker status FAILED: '(.*)'")  # run monitoring's words, the launcher's reason inside


def step_error(event: DagsterEvent) -> str:
    """The root cause of a step failure event, in one line."""
    error = event.step_failure_data.error
    if error is None:
        return "no error recorded"
    while error.cause is not None:
        error = error.cause
    return first_line(error)


def failure_reason(records: Sequence[EventLogEntry]) -> str:
    """One sentence on why the run of these events failed (its step and run failure events suffice)."""
    events = [r.dagster_event for r in records if r.dagster_event is not None and r.dagster_event.event_type in FAILURE_EVENTS]
    steps = [e for e in events if e.is_step_failure]
    if steps:
        step = steps[0]
        error = step.step_failure_data.error
        known = error and known_cause(error)
        return f"step {step.step_key} {known}" if known else f"step {step.step_key} failed: {step_error(step)}"
    runs = [e for e in events if e.event_type == DagsterEventType.RUN_FAILURE]
    if not runs:
        return "run failed"
    error = runs[-1].job_failure_data.error if runs[-1].job_failure_data else None
    if error is None:  # failed from outside the run: run monitoring, a cancelled launch
        message = (runs[-1].message or "run failed").strip()
        monitored = MONITORED.search(message)
        return f"the run's process was lost: {monitored.group(1)}" if monitored else message
    known = known_cause(error)
    lost = lost_worker(error)
    return lost or (f"the run {known}" if known else f"the run failed: {first_line(error)}")


def known_cause(error: SerializableErrorInfo) -> str | None:
    text = chain_text(error)
    return next((meaning for name, meaning in CAUSES if name in text), None)


def lost_worker(error: SerializableErrorInfo) -> str | None:
    """The watch's own sentence when it declared a worker lost (orchestration/worker_watch.py)."""
    for line in chain_text(error).splitlines():
        _, found, rest = line.partition("WorkerLost: ")
        if found:
            return rest.strip()
    return None


def chain_text(error: SerializableErrorInfo) -> str:
    parts = []
    current: SerializableErrorInfo | None = error
    while current is not None:
        parts += [current.cls_name or "", current.message]
        current = current.cause
    return "\n".join(parts)


def first_line(error: SerializableErrorInfo) -> str:
    lines = error.message.strip().splitlines()
    return lines[0].split(": ", 1)[-1] if lines else error.cls_name or "unknown error"  # drop the "module.Class: " prefix
