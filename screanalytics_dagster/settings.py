"""Process settings from the environment (DESIGN.md section 7), and the artifact store they choose."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dagster_aws.s3 import S3Resource
from pydantic import field_validator
from pydantic_settings import BaseSettings

from .resources import ArtifactStore, BaseArtifactStore, S3ArtifactStore


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


def artifact_store(storage_root: str | None = None) -> BaseArtifactStore:
    """The store STORAGE_BACKEND chooses: local under storage_root (default STORAGE_ROOT), or the S3_BUCKET."""
    config = settings()
    if config.storage_backend == "local":
        return ArtifactStore(root=str(Path(storage_root or config.storage_root).resolve()))
    if not config.s3_bucket:
        raise SettingsError("STORAGE_BACKEND=s3 needs S3_BUCKET, the bucket for the artifacts")
    return S3ArtifactStore(bucket=config.s3_bucket, prefix=config.s3_prefix, s3=S3Resource(endpoint_url=config.s3_endpoint_url))
