"""The one Definitions object: assets, operation jobs, executor and resources."""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions

from .assets import episode_assets
from .executors import step_executor
from .jobs import operation_jobs
from .resources import ArtifactStore, FaceModels
from .settings import settings


def resources(storage_root: str | None = None, models_dir: str | None = None) -> dict:
    """The resources for a storage root and model directory (defaults from the environment)."""
    config = settings()
    root = str(Path(storage_root or config.storage_root).resolve())
    return {"store": ArtifactStore(root=root), "models": FaceModels(model_dir=models_dir or config.models_dir)}


def build_definitions() -> Definitions:
    """Definitions for the settings of this process; the executor is also what UI launches and backfills use."""
    config = settings()
    return Definitions(assets=episode_assets, jobs=operation_jobs(config), executor=step_executor(config), resources=resources())


defs = build_definitions()
