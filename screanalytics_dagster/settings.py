"""Process settings from the environment (DESIGN.md section 7)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings


class SettingsError(ValueError):
    """Settings that cannot work together."""


class Settings(BaseSettings):
    """Where artifacts live, which face models to use, where the services are; AWS_* credentials as boto reads them."""

    storage_backend: Literal["local", "s3"] = "local"
    storage_root: str = "./data"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None  # MinIO, R2, moto
    models_dir: str | None = None
    redis_url: str | None = None  # set: steps run on dagster-celery workers with this broker and backend
    database_url: str | None = None  # set: the Dagster instance lives in this Postgres database
    job_soft_time_limit_s: int = 20 * 60
    job_time_limit_s: int = 30 * 60
    dagster_webserver_url: str = "http://127.0.0.1:3000"  # where the API launches and cancels runs (GraphQL)
    light_jobs_in_api: bool = True  # naming, auto-group and re-cluster of an idle episode run in the API, not through the queue
    ui_origin: str | None = None  # the review UI, the only origin CORS admits
    api_token: str | None = None  # set: the API's mutating endpoints require `Authorization: Bearer <token>`
    log_format: Literal["text", "json"] = "text"  # json: the API logs one JSON object per line

    @field_validator("dagster_webserver_url")
    @classmethod
    def _with_scheme(cls, url: str) -> str:
        """A bare `host:port` (what render.yaml's fromService hostport gives) is plain HTTP on the private network."""
        return url if "://" in url else f"http://{url}"


def settings() -> Settings:
    """The settings of this process, read from the environment now."""
    return Settings()
