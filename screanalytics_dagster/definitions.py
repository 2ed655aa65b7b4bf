"""The one Definitions object: assets, jobs and resources."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from .assets import episode_assets, episodes
from .resources import BaseArtifactStore, FaceModels
from .settings import artifact_store, settings

process_episode = define_asset_job(
    "process_episode",
    selection=AssetSelection.assets(*episode_assets),
    partitions_def=episodes,
    tags={"operation": "process"},
)


def resources(storage_root: str | None = None, models_dir: str | None = None, store: BaseArtifactStore | None = None) -> dict:
    """The resources: store (default: the one the settings choose, local under storage_root) and face models."""
    return {"store": store or artifact_store(storage_root), "models": FaceModels(model_dir=models_dir or settings().models_dir)}


defs = Definitions(assets=episode_assets, jobs=[process_episode], resources=resources())
