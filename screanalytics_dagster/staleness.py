"""Whether an episode's artifacts are stale, why, and the cheapest operation that refreshes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .jobs import OPERATIONS, operation_assets
from .resources import BaseArtifactStore, episode_key

# artifact of the contract -> the asset that writes it
ARTIFACTS = {
    "faces.parquet": "faces",
    "crops.parquet": "faces",
    "embeddings.parquet": "embeddings",
    "tracks.parquet": "tracks",
    "clusters.parquet": "clusters",
    "groups.parquet": "groups",
    "screentime.parquet": "screentime",
}


@dataclass(frozen=True)
class Refresh:
    """The operation that brings an episode up to date, and why it is needed."""

    operation: str
    reasons: tuple[str, ...]


def missing_artifacts(store: BaseArtifactStore, ep_id: str) -> list[str]:
    """The contract's artifacts that the episode lacks."""
    return [name for name in ARTIFACTS if not store.exists(episode_key(ep_id, name))]


def parameter_changes(recorded: Mapping[str, Mapping[str, object]], expected: Mapping[str, Mapping[str, object]]) -> dict[str, list[str]]:
    """Per asset, the recorded parameters that differ from the expected ones; parameters not recorded are not compared."""
    changes: dict[str, list[str]] = {}
    for asset, params in expected.items():
        made = recorded.get(asset, {})
        for name, value in params.items():
            if name in made and made[name] != value:
                changes.setdefault(asset, []).append(f"{asset} made with {name}={made[name]!r}, now {value!r}")
    return changes


def cheapest_operation(assets: Iterable[str]) -> str:
    """The operation with the smallest slice that re-materializes all of assets."""
    wanted = set(assets)
    # min keeps the first of equal slices: auto_group, listed before manual_assign
    return min((op for op in OPERATIONS if wanted <= operation_assets(op)), key=lambda op: len(operation_assets(op)))


def refresh_needed(
    missing: Iterable[str], recorded: Mapping[str, Mapping[str, object]], expected: Mapping[str, Mapping[str, object]]
) -> Refresh | None:
    """What brings an episode up to date given its missing artifacts and its assets' latest metadata; None when it is."""
    stale: dict[str, list[str]] = {}
    for name in missing:
        stale.setdefault(ARTIFACTS[name], []).append(f"{name} missing")
    for asset, reasons in parameter_changes(recorded, expected).items():
        stale.setdefault(asset, []).extend(reasons)
    if not stale:
        return None
    return Refresh(cheapest_operation(stale), tuple(reason for reasons in stale.values() for reason in reasons))
