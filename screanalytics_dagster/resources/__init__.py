"""Dagster resources: artifact storage and face models."""

from .models import FaceModels
from .storage import ArtifactNotFound, ArtifactStore, episode_key, facebank_key

__all__ = ["ArtifactNotFound", "ArtifactStore", "FaceModels", "episode_key", "facebank_key"]
