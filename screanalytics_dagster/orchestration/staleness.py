"""Whether an episode's artifacts are stale, why, and the cheapest operation that refreshes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..resources import BaseArtifactStore
from ..resources.artifacts import MATERIALIZED
from .operations import OPERATIONS

WRITER = {artifact.name: artifact.asset for artifact in MATERIALIZED if artifact.asset is not None}  # artifact -> the asset that writes it


@dataclass(frozen=True)
class Refresh:
    """The operation that brings an episode up to date, and why it is needed."""

    operation: str
    reasons: tuple[str, ...]


def missing_artifacts(store: BaseArtifactStore, ep_id: str) -> list[str]:
    """The contract's artifacts that the episode lacks."""
    return [artifact.name for artifact in MATERIALIZED if not store.exists(artifact.key(ep_id))]


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
    # min keeps the first of equal slices, in the registry's order
    return min((op for op in OPERATIONS.values() if wanted <= op.assets()), key=lambda op: len(op.assets())).name


def refresh_needed(
    missing: Iterable[str],
    recorded: Mapping[str, Mapping[str, object]], expected: Mapping[str, Mapping[str, object]]
) -> Refresh | None:
    """What brings an episode up to date given its missing artifacts and its assets' latest metadata; None when it is."""
    stale: dict[str, list[str]] = {}
    for name in missing:
        stale.setdefault(WRITER[name], []).append(f"{name} missing")
    for asset, reasons in parameter_changes(recorded, expected).items():
        stale.setdefault(asset, []).extend(reasons)
    if not stale:
        return None
    return Refresh(cheapest_operation(stale), tuple(reason for reasons in stale.values() for reason in reasons))
