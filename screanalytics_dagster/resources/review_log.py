"""An episode's review log (vision.review): read, with the names of earlier releases, and replaced whole."""

from __future__ import annotations

from ..vision.review import Action, legacy_actions
from .artifacts import MANUAL_ASSIGNMENTS, REVIEW_LOG
from .storage import BaseArtifactStore


def read_actions(store: BaseArtifactStore, ep_id: str) -> list[Action]:
    """The episode's review actions, oldest first; manual_assignments.json of earlier releases while there is no log."""
    stored = store.read_json(REVIEW_LOG.key(ep_id))
    if stored is None:
        return legacy_actions(store.read_json(MANUAL_ASSIGNMENTS.key(ep_id), default=[]))
    if not isinstance(stored, list):
        raise ValueError(f"{REVIEW_LOG.key(ep_id)} must hold a list of actions")
    return [Action.from_json(a) for a in stored]


def write_actions(store: BaseArtifactStore, ep_id: str, actions: list[Action]) -> None:
    """Replace the log (atomically, as every write): callers serialise their read-modify-write."""
    store.write_json(REVIEW_LOG.key(ep_id), [a.to_json() for a in actions])
