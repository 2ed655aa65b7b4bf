"""The per-episode assets: faces -> embeddings -> tracks -> clusters -> groups -> screentime."""

from .clusters import clusters
from .embeddings import embeddings
from .faces import faces
from .groups import groups
from .partitions import episodes
from .screentime import screentime
from .tracks import tracks

episode_assets = [faces, embeddings, tracks, clusters, groups, screentime]

__all__ = ["clusters", "embeddings", "episode_assets", "episodes", "faces", "groups", "screentime", "tracks"]
