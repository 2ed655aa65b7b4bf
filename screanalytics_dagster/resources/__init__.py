"""Dagster resources: artifact storage (local disk or S3) and face models."""

from __future__ import annotations

from pathlib import Path

from ..settings import SettingsError, settings
from .models import FaceModels
from .storage import ArtifactNotFound, ArtifactStore, BaseArtifactStore, VideoEntry


def artifact_store(storage_root: str | None = None) -> BaseArtifactStore:
    """The store STORAGE_BACKEND chooses: local under storage_root (default STORAGE_ROOT), or the S3_BUCKET."""
    config = settings()
    if config.storage_backend == "local":
        return ArtifactStore(root=str(Path(storage_root or config.storage_root).resolve()))
    if not config.s3_bucket:
        raise SettingsError("STORAGE_BACKEND=s3 needs S3_BUCKET, the bucket for the artifacts")
    from dagster_aws.s3 import S3Resource  # a second to import: only where S3 is the backend

    from .s3 import S3ArtifactStore

    return S3ArtifactStore(bucket=config.s3_bucket, prefix=config.s3_prefix, s3=S3Resource(endpoint_url=config.s3_endpoint_url))


__all__ = [
    "ArtifactNotFound",
    "ArtifactStore",
    "BaseArtifactStore",
    "FaceModels",
    "VideoEntry",
    "artifact_store",
]
