"""A show's facebank: the named faces of its episodes, one exemplars file per episode so that no episode overwrites another's."""

from __future__ import annotations

import pyarrow as pa

from ..vision import tables
from .artifacts import exemplars_key, exemplars_prefix
from .storage import ArtifactNotFound, BaseArtifactStore


def read_facebank(store: BaseArtifactStore, show: str, columns: list[str] | None = None) -> pa.Table:
    """Every episode's exemplars of the show (tables.FACEBANK), episodes in id order; empty when none is named yet."""
    parts = []
    for key in store.list_keys(exemplars_prefix(show)):
        try:
            parts.append(store.read_table(key, columns=columns))
        except ArtifactNotFound:  # an episode's file replaced between the listing and the read
            continue
    schema = tables.FACEBANK if columns is None else pa.schema([tables.FACEBANK.field(c) for c in columns])
    return pa.concat_tables([p.cast(schema) for p in parts]) if parts else schema.empty_table()


def write_exemplars(store: BaseArtifactStore, show: str, ep_id: str, exemplars: pa.Table) -> None:
    """Replace one episode's exemplars; an episode with none named leaves no file."""
    key = exemplars_key(show, ep_id)
    if len(exemplars):
        store.write_table(key, exemplars)
    else:
        store.delete(key)
