"""The Definitions: assets, operation jobs, sensor, schedule, executor and resources, for the settings of this process."""

from __future__ import annotations

from functools import cache

from dagster import Definitions

from ..assets import episode_assets
from ..resources import BaseArtifactStore, FaceModels, artifact_store
from ..settings import settings
from ..vision.faces import DETECT_WORKERS
from .executor import step_executor
from .operations import operation_jobs
from .schedules import nightly_reprocess
from .sensors import new_episode_videos


def resources(storage_root: str | None = None, models_dir: str | None = None, store: BaseArtifactStore | None = None,
              detect_workers: int = DETECT_WORKERS) -> dict:
    """The resources: store (default: the one the settings choose, local under storage_root) and face models."""
    models = FaceModels(model_dir=models_dir or settings().models_dir, detect_workers=detect_workers)
    return {"store": store or artifact_store(storage_root), "models": models}


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


@cache
def definitions() -> Definitions:
    """This process's Definitions, built on first use (importing this module builds nothing)."""
    return build_definitions()
