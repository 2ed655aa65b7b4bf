"""Artifact storage: every file of an episode under `{root}/episodes/{ep_id}/`, written atomically."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import ConfigurableResource

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts")


class ArtifactNotFound(FileNotFoundError):
    """An artifact that an asset needs has not been materialized."""


def episode_key(ep_id: str, name: str) -> str:
    """Key of one episode artifact."""
    return f"episodes/{ep_id}/{name}"


def facebank_key(show: str) -> str:
    """Key of a show's facebank."""
    return f"shows/{show}/facebank.parquet"


class ArtifactStore(ConfigurableResource):
    """Artifacts on local disk under root."""

    root: str

    def path(self, key: str) -> Path:
        return Path(self.root) / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    @contextmanager
    def _atomic(self, key: str) -> Iterator[Path]:
        """A temporary path that becomes key only when the block succeeds."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            yield tmp
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    @contextmanager
    def table_writer(self, key: str, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
        """Stream record batches into a Parquet file that appears only when complete."""
        with self._atomic(key) as tmp, pq.ParquetWriter(tmp, schema) as writer:
            yield writer

    def write_table(self, key: str, table: pa.Table) -> None:
        with self.table_writer(key, table.schema) as writer:
            writer.write_table(table)

    def read_table(self, key: str, columns: list[str] | None = None) -> pa.Table:
        if not self.exists(key):
            raise ArtifactNotFound(f"artifact missing: {key} (materialize its asset first)")
        return pq.read_table(self.path(key), columns=columns)

    def iter_batches(self, key: str, batch_size: int, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        if not self.exists(key):
            raise ArtifactNotFound(f"artifact missing: {key} (materialize its asset first)")
        yield from pq.ParquetFile(self.path(key), pre_buffer=False).iter_batches(batch_size=batch_size, columns=columns)

    def write_json(self, key: str, value: object) -> None:
        with self._atomic(key) as tmp:
            tmp.write_text(json.dumps(value, indent=1))

    def read_json(self, key: str, default: object = None) -> object:
        if not self.exists(key):
            return default
        return json.loads(self.path(key).read_text())

    def find_video(self, ep_id: str) -> Path:
        """The episode's video under `{root}/videos/`, named after the episode."""
        for suffix in VIDEO_SUFFIXES:
            candidate = self.path(f"videos/{ep_id}{suffix}")
            if candidate.is_file():
                return candidate
        raise ArtifactNotFound(f"no video for episode {ep_id} under {self.path('videos')}")
