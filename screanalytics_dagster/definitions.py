"""The one Definitions object: assets, operation jobs, sensor, schedule, executor and resources."""

from __future__ import annotations

from dagster import Definitions

from .assets import episode_assets
from .executors import step_executor
from .jobs import operation_jobs
from .resources import BaseArtifactStore, FaceModels
from .schedules import nightly_reprocess
from .sensors import new_episode_videos
from .settings import artifact_store, settings


def resources(storage_root: str | None = None, models_dir: str | None = None, store: BaseArtifactStore | None = None) -> dict:
    """The resources: store (default: the one the settings choose, local under storage_root) and face models."""
    return {"store": store or artifact_store(storage_root), "models": FaceModels(model_dir=models_dir or settings().models_dir)}


def build_definitions() -> Definitions:
    """Definitions for the settings of this process; the executor is also what UI launches and backfills use."""
    config = settings()
    return Definitions(
        assets=episode_assets,
        jobs=operation_jobs(config),
        sensors=[new_episode_videos],
        schedules=[nightly_reprocess],
        executor=step_executor(config),
        resources=resources(),
    )


defs = build_definitions()
