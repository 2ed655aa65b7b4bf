"""Process settings from the environment (DESIGN.md section 7)."""

from __future__ import annotations

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    """Where artifacts live, which face models to use, and where the services are."""

    storage_root: str = "./data"
    models_dir: str | None = None
    redis_url: str | None = None  # set: steps run on dagster-celery workers with this broker and backend
    database_url: str | None = None  # set: the Dagster instance lives in this Postgres database
    job_soft_time_limit_s: int = 20 * 60
    job_time_limit_s: int = 30 * 60


def settings() -> Settings:
    """The settings of this process, read from the environment now."""
    return Settings()
