"""The one Definitions object: assets, jobs and resources."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

from .assets import episode_assets, episodes
from .resources import ArtifactStore, FaceModels
from .settings import settings

process_episode = define_asset_job(
    "process_episode",
    selection=AssetSelection.assets(*episode_assets),
    partitions_def=episodes,
    tags={"operation": "process"},
)


def resources(storage_root: str | None = None, models_dir: str | None = None) -> dict:
    """The resources for a storage root and model directory (defaults from the environment)."""
    config = settings()
    root = str(Path(storage_root or config.storage_root).resolve())
    return {"store": ArtifactStore(root=root), "models": FaceModels(model_dir=models_dir or config.models_dir)}


defs = Definitions(assets=episode_assets, jobs=[process_episode], resources=resources())
