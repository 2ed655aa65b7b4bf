"""A show's facebank: the named faces of its episodes, one exemplars file per episode so that no episode overwrites another's."""

from __future__ import annotations

from pathlib import PurePosixPath

import pyarrow as pa

from ..vision import tables
from .artifacts import exemplars_key, exemplars_prefix, legacy_facebank_key
from .storage import ArtifactNotFound, BaseArtifactStore


def read_facebank(store: BaseArtifactStore, show: str, columns: list[str] | None = None) -> pa.Table:
    """Every episode's exemplars of the show (tables.FACEBANK), episodes in id order; empty when none is named yet."""
    keys = store.list_keys(exemplars_prefix(show))
    parts = []
    for key in keys:
        try:
            parts.append(store.read_table(key, columns=columns))
        except ArtifactNotFound:  # an episode's file replaced between the listing and the read
            continue
    parts += legacy_rows(store, show, {PurePosixPath(key).stem for key in keys}, columns)
    schema = tables.FACEBANK if columns is None else pa.schema([tables.FACEBANK.field(c) for c in columns])
    return pa.concat_tables([p.cast(schema) for p in parts]) if parts else schema.empty_table()


def write_exemplars(store: BaseArtifactStore, show: str, ep_id: str, exemplars: pa.Table) -> None:
    """Replace one episode's exemplars; an episode with none named leaves no file."""
    key = exemplars_key(show, ep_id)
    if len(exemplars):
        store.write_table(key, exemplars)
    else:
        store.delete(key)


def legacy_rows(store: BaseArtifactStore, show: str, episodes: set[str], columns: list[str] | None) -> list[pa.Table]:
    """The rows of a facebank written as one file by earlier releases, for episodes not grouped since (theirs replace them)."""
    key = legacy_facebank_key(show)
    if not store.exists(key):
        return []
    bank = store.read_table(key)
    kept = bank.filter(pa.array([e not in episodes for e in bank.column("episode").to_pylist()], pa.bool_()))
    return [kept.select(columns) if columns else kept] if len(kept) else []
