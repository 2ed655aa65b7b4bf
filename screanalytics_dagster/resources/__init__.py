"""Dagster resources: artifact storage (local disk or S3) and face models."""

from .models import FaceModels
from .s3 import S3_ERRORS, S3ArtifactStore
from .storage import EPISODE_RECORD, ArtifactNotFound, ArtifactStore, BaseArtifactStore, VideoEntry, episode_key, facebank_key, progress_key

__all__ = [
    "EPISODE_RECORD",
    "ArtifactNotFound",
    "ArtifactStore",
    "BaseArtifactStore",
    "FaceModels",
    "S3ArtifactStore",
    "S3_ERRORS",
    "VideoEntry",
    "episode_key",
    "facebank_key",
    "progress_key",
]
