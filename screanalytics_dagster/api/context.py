"""What every request needs: settings, the artifact store, the Dagster instance, runs and job locks."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

import redis
from dagster import DagsterInstance
from fastapi import Depends, Header, Request

from ..orchestration.instance import local_instance
from ..orchestration.run_client import RunClient
from ..resources import BaseArtifactStore, artifact_store
from ..settings import Settings
from .errors import ApiError

FINISHED_JOBS_KEPT = 10_000
# Postgres connections held open as the Dagster webserver does (its defaults), not one opened per query.
DB_STATEMENT_TIMEOUT_MS = 15_000
DB_POOL_RECYCLE_S = 3600
DB_POOL_MAX_OVERFLOW = 20
DROP = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass
class ApiContext:
    """The services behind the API, made once per process."""

    settings: Settings
    instance: DagsterInstance
    finished_jobs: dict[str, dict] = field(default_factory=dict)  # a finished job's view never changes

    def remember_finished(self, view: dict) -> None:
        if len(self.finished_jobs) >= FINISHED_JOBS_KEPT:
            del self.finished_jobs[next(iter(self.finished_jobs))]
        self.finished_jobs[view["job_id"]] = view

    @cached_property
    def store(self) -> BaseArtifactStore:
        return artifact_store(self.settings.storage_root)

    @cached_property
    def runs(self) -> RunClient:
        return RunClient(self.instance, self.settings.dagster_webserver_url)

    @cached_property
    def redis(self) -> redis.Redis | None:
        url = self.settings.redis_url
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2) if url else None

    def drop_key(self, key: str, value: str) -> None:
        """Delete key only while it still holds value (atomic compare-and-delete); Redis down: nothing to drop."""
        if self.redis is not None:
            try:
                self.redis.eval(DROP, 1, key, value)
            except (redis.RedisError, OSError):
                pass

    def redis_up(self) -> bool:
        """Whether Redis answers now (asked on every request that depends on it)."""
        try:
            return self.redis is not None and bool(self.redis.ping())
        except (redis.RedisError, OSError):
            return False

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiContext:
        instance = local_instance(Path(settings.storage_root).resolve())
        instance.optimize_for_webserver(DB_STATEMENT_TIMEOUT_MS, DB_POOL_RECYCLE_S, DB_POOL_MAX_OVERFLOW)
        return cls(settings, instance)


async def get_context(request: Request) -> ApiContext:
    # async: a sync dependency would cost every request a trip through the thread pool
    return request.app.state.context


Context = Annotated[ApiContext, Depends(get_context)]


def require_token(ctx: Context, authorization: Annotated[str | None, Header()] = None) -> None:
    """With API_TOKEN set, a mutating request must carry `Authorization: Bearer <API_TOKEN>`."""
    token = ctx.settings.api_token
    if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        raise ApiError(401, "missing or wrong bearer token: this API requires `Authorization: Bearer <API_TOKEN>` to change anything")


Authorized = [Depends(require_token)]
