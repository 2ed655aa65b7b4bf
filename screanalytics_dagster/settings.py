"""Process settings from the environment (DESIGN.md section 7)."""

from __future__ import annotations

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    """Where artifacts live and which face models to use."""

    storage_root: str = "./data"
    models_dir: str | None = None


def settings() -> Settings:
    """The settings of this process, read from the environment now."""
    return Settings()
