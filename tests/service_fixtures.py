"""Real services on loopback: Redis, Postgres, an S3 server (moto), and the stack of webserver, daemon and Celery worker."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import redis
from dagster import DagsterInstance, DagsterRunStatus
from dagster_aws.s3 import S3Resource
from sqlalchemy.engine import make_url

from screanalytics_dagster.deploy.commands import code_server_env
from screanalytics_dagster.deploy.processes import Processes, free_port, wait_until
from screanalytics_dagster.orchestration.failures import step_error
from screanalytics_dagster.orchestration.instance import prepare_dagster_home
from screanalytics_dagster.orchestration.run_client import RunClient
from screanalytics_dagster.resources.s3 import S3ArtifactStore
from screanalytics_dagster.testing.services import postgres_server, redis_server, scratch_database
from screanalytics_dagster.testing.stack import running_stack

TEST_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SESSION_CLAIM = "screenalytics:test_session"
FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


@pytest.fixture(scope="session")
def redis_databases(tmp_path_factory) -> Iterator:
    """claim() -> the URL of a Redis database no other test session or stack uses (released at the end)."""
    claimed = []
    with redis_server(tmp_path_factory.mktemp("redis"), TEST_REDIS) as server:

        def claim() -> str:
            for db in range(15, 0, -1):
                url = str(make_url(server).set(database=str(db)))
                client = redis.Redis.from_url(url)
                if client.set(SESSION_CLAIM, os.getpid(), nx=True, ex=3 * 3600):
                    stale = [k for pattern in ("dagster*", "vision*", "screenalytics:job_lock:*") for k in client.keys(pattern)]
                    if stale:
                        client.delete(*stale)
                    claimed.append(client)
                    return url
            pytest.fail(f"every Redis database of {server} is claimed by another test session")

        try:
            yield claim
        finally:
            for client in claimed:
                client.delete(SESSION_CLAIM)


@pytest.fixture(scope="session")
def redis_url(redis_databases) -> str:
    """The Redis database of this session's stack: its Celery queues are this session's alone."""
    return redis_databases()


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory) -> Iterator[str]:
    """A Postgres server for this session: the running one, else our own."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url) -> Iterator[str]:
    """An empty Postgres database of this test session."""
    with scratch_database(postgres_server_url, f"screanalytics_test_{os.getpid()}") as url:
        yield url


S3_CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class S3Server:
    """An S3-compatible server (moto) listening on loopback."""

    endpoint_url: str

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint_url, **S3_CREDENTIALS)

    def env(self, bucket: str) -> dict[str, str]:
        """The environment of a process whose artifacts go to bucket on this server."""
        return {
            "STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": S3_CREDENTIALS["region_name"],
        }

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def store(self, bucket: str, **fields) -> S3ArtifactStore:
        return S3ArtifactStore(bucket=bucket, s3=S3Resource(endpoint_url=self.endpoint_url, **S3_CREDENTIALS), **fields)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    """A moto server in its own process on a free loopback port, for the whole session."""
    port = free_port()
    processes = Processes(tmp_path_factory.mktemp("moto"), {})
    processes.start("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        processes.wait_for(server.endpoint_url, "moto server", 60)
        yield server
    finally:
        processes.stop()


@dataclass
class Stack:
    """The distributed system on loopback: Postgres instance, Redis broker, S3 artifacts; its run client and logs."""

    store: S3ArtifactStore
    instance: DagsterInstance
    client: RunClient
    logs: Path
    env: dict[str, str]  # what the stack's processes see
    webserver_url: str

    def wait(self, run_id: str, timeout_s: float = 300.0, until=FINISHED) -> DagsterRunStatus:
        """The run's status once it is in until (finished by default)."""
        wait_until(lambda: self.client.run(run_id).status in until, f"run {run_id} reaching {[s.value for s in until]}", timeout_s)
        return self.client.run(run_id).status

    def messages(self, run_id: str) -> list[tuple[str | None, str]]:
        """(step, message) of each event of a run; a step failure's message is its root cause."""
        found = []
        for record in self.instance.all_logs(run_id):
            event = record.dagster_event
            if event is not None and event.is_step_failure:
                found.append((record.step_key, step_error(event)))
            else:
                found.append((record.step_key, event.message if event is not None and event.message else record.user_message))
        return found

    def objects(self, prefix: str) -> dict[str, str]:
        """Key -> ETag of the objects under prefix."""
        pages = self.store.client.get_paginator("list_objects_v2").paginate(Bucket=self.store.bucket, Prefix=prefix)
        return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def stack(tmp_path_factory, redis_url, postgres_url, s3_server) -> Iterator[Stack]:
    """Code server, webserver, daemon and one Celery worker (concurrency 1), as on several hosts: Postgres, Redis and S3."""
    base = tmp_path_factory.mktemp("stack")
    home, logs = base / "dagster_home", base / "logs"
    bucket = s3_server.new_bucket()
    env = {
        "DAGSTER_HOME": str(home), "DATABASE_URL": postgres_url, "REDIS_URL": redis_url, **s3_server.env(bucket), **code_server_env(free_port()),
    }
    instance = prepare_dagster_home(home, postgres_url)
    port = free_port()
    with running_stack(env, logs, port):
        url = f"http://127.0.0.1:{port}"
        yield Stack(s3_server.store(bucket), instance, RunClient(instance, url), logs, env, url)
