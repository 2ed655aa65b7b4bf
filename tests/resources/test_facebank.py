"""A show's facebank: one exemplars file per episode, read together; an earlier release's single file fills in."""

import numpy as np
import pyarrow as pa
import pytest

from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.resources.artifacts import exemplars_key, legacy_facebank_key
from screanalytics_dagster.resources.facebank import read_facebank, write_exemplars
from screanalytics_dagster.vision import tables

pytestmark = pytest.mark.unit


def bank(rows: list[tuple[str, str]]) -> pa.Table:
    """Facebank rows of (episode, name)."""
    return pa.table({
        "person_id": [n.lower() for _, n in rows], "person_name": [n for _, n in rows],
        "embedding": tables.embedding_column(np.ones((len(rows), tables.EMBED_DIM))), "episode": [e for e, _ in rows],
    }, schema=tables.FACEBANK)


def names(table: pa.Table) -> list[tuple[str, str]]:
    return sorted(zip(table.column("episode").to_pylist(), table.column("person_name").to_pylist()))


def test_each_episode_replaces_only_its_own_exemplars(tmp_path):
    store = ArtifactStore(root=str(tmp_path))
    write_exemplars(store, "rhobh", "rhobh-s01e01", bank([("rhobh-s01e01", "Lisa")]))
    write_exemplars(store, "rhobh", "rhobh-s01e02", bank([("rhobh-s01e02", "Kyle")]))
    write_exemplars(store, "rhobh", "rhobh-s01e01", bank([("rhobh-s01e01", "Lisa"), ("rhobh-s01e01", "Kim")]))
    assert names(read_facebank(store, "rhobh")) == [("rhobh-s01e01", "Kim"), ("rhobh-s01e01", "Lisa"), ("rhobh-s01e02", "Kyle")]
    write_exemplars(store, "rhobh", "rhobh-s01e02", tables.FACEBANK.empty_table())
    assert not store.exists(exemplars_key("rhobh", "rhobh-s01e02"))
    assert read_facebank(store, "rhobh", columns=["person_name"]).column("person_name").to_pylist() == ["Lisa", "Kim"]
    assert len(read_facebank(store, "rhony")) == 0


def test_an_earlier_single_facebank_counts_until_its_episode_is_grouped_again(tmp_path):
    store = ArtifactStore(root=str(tmp_path))
    store.write_table(legacy_facebank_key("rhobh"), bank([("rhobh-s01e01", "Lisa"), ("rhobh-s01e02", "Kyle")]))
    assert names(read_facebank(store, "rhobh")) == [("rhobh-s01e01", "Lisa"), ("rhobh-s01e02", "Kyle")]
    write_exemplars(store, "rhobh", "rhobh-s01e02", bank([("rhobh-s01e02", "Kyle Richards")]))
    assert names(read_facebank(store, "rhobh")) == [("rhobh-s01e01", "Lisa"), ("rhobh-s01e02", "Kyle Richards")]
