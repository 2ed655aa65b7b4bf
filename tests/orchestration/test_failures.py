"""Why a run failed, in one sentence, from the failure events Dagster records."""

import pytest
from dagster import DagsterEvent, DagsterEventType, EventLogEntry
from dagster._core.events import JobFailureData, StepFailureData
from dagster._utils.error import SerializableErrorInfo

from screanalytics_dagster.orchestration.failures import failure_reason

pytestmark = pytest.mark.unit


def error(message: str, cls_name: str, cause: SerializableErrorInfo | None = None) -> SerializableErrorInfo:
    return SerializableErrorInfo(message=message, stack=[], cls_name=cls_name, cause=cause)


def record(event_type: DagsterEventType, data, message: str = "", step_key: str | None = None) -> EventLogEntry:
    event = DagsterEvent(event_type.value, job_name="process_episode", message=message, event_specific_data=data, step_key=step_key)
    return EventLogEntry(error_info=None, level=40, user_message=message, run_id="r", timestamp=0.0, step_key=step_key, dagster_event=event)


def run_failure(err: SerializableErrorInfo | None, message: str = "") -> EventLogEntry:
    return record(DagsterEventType.RUN_FAILURE, JobFailureData(error=err), message)


def step_failure(step: str, err: SerializableErrorInfo) -> EventLogEntry:
    return record(DagsterEventType.STEP_FAILURE, StepFailureData(error=err, user_failure_data=None), step_key=step)


def celery_errors(line: str) -> SerializableErrorInfo:
    """The error dagster-celery raises when a step's task failed in its worker."""
    return error(f"dagster._core.errors.DagsterSubprocessError: During celery execution errors occurred in workers:\n[faces]: {line}\n", "DagsterSubprocessError")


TIME_LIMIT = error("billiard.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()\n", "SoftTimeLimitExceeded")
IN_OP = error("dagster._core.errors.DagsterExecutionStepExecutionError: Error in op\n", "DagsterExecutionStepExecutionError", cause=TIME_LIMIT)
NO_REDIS = error("redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused.\n", "ConnectionError")
NO_S3 = error("botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL\n", "EndpointConnectionError")


@pytest.mark.parametrize(
    "records, reason",
    [
        ([step_failure("faces", error("ValueError: no frames in video\n", "ValueError"))], "step faces failed: no frames in video"),
        ([step_failure("faces", IN_OP)], "step faces hit its Celery time limit"),
        (
            [run_failure(celery_errors("screanalytics_dagster.orchestration.worker_watch.WorkerLost: the Celery worker w1@host running step faces stopped answering for 15 s"))],
            "the Celery worker w1@host running step faces stopped answering for 15 s",
        ),
        ([run_failure(celery_errors("celery.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL) Job: 0."))], "the run lost its Celery worker process (killed, or out of memory)"),
        ([run_failure(NO_REDIS)], "the run lost the broker: Redis could not be reached"),
        ([run_failure(None, "Detected run worker status FAILED: 'its code server no longer runs it'. Marking run r as failed.")], "the run's process was lost: its code server no longer runs it"),
        ([run_failure(None, "Exceeded maximum runtime of 5 seconds.")], "Exceeded maximum runtime of 5 seconds."),
        ([run_failure(NO_S3)], "the run failed: Could not connect to the endpoint URL"),
        ([], "run failed"),
    ],
)
def test_failure_reason(records, reason):
    assert failure_reason(records) == reason
