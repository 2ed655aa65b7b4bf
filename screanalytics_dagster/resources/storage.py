"""Artifact storage: every file of an episode under `episodes/{ep_id}/`, written atomically, on local disk or S3."""

from __future__ import annotations

import json
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import ConfigurableResource

from .artifacts import EPISODE_RECORD, video_key
from .scratch import sweep, temporaries_of, temporary_name

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts")


class ArtifactNotFound(FileNotFoundError):
    """An artifact that an asset needs has not been materialized."""


def missing(key: str) -> ArtifactNotFound:
    """The error for an artifact that is not there."""
    return ArtifactNotFound(f"artifact missing: {key} (materialize its asset first)")


@contextmanager
def replacing(final: Path) -> Iterator[Path]:
    """A temporary path beside final that replaces it only when the block succeeds; earlier writes' orphans are swept first."""
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep(temporaries_of(final))
    tmp = final.with_name(temporary_name(final.name))
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class VideoEntry:
    """A video under `videos/`: the episode id its name claims (unvalidated), its key and modification time."""

    ep_id: str
    key: str
    mtime: float  # seconds since the epoch


class BaseArtifactStore(ConfigurableResource, ABC):
    """Artifacts by key (`episodes/{ep}/faces.parquet`, `videos/{ep}.mp4`, ...); the backends differ only in the primitives."""

    errors: ClassVar[tuple[type[Exception], ...]] = (OSError,)  # what a failed read or write raises, besides ArtifactNotFound

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove key; nothing happens when it is not there."""

    @abstractmethod
    def location(self, key: str) -> str:
        """Where key lives, for people to read."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Store a local file as key."""

    @abstractmethod
    def _writing(self, key: str) -> AbstractContextManager[Path]:
        """A local temporary path that becomes key only when the block succeeds."""

    @abstractmethod
    def _reading(self, key: str) -> AbstractContextManager[Path]:
        """A local file with key's content for the duration of the block."""

    @abstractmethod
    def _local_file(self, key: str) -> Path:
        """A local file with key's content that outlives the call."""

    @abstractmethod
    def sweep_temporaries(self) -> int:
        """Remove the temporary files that writes of processes now gone left on this host; returns how many."""

    @abstractmethod
    def _listing(self, prefix: str) -> Iterator[tuple[str, float]]:
        """(key, mtime) of what lies directly in prefix's folder with a name starting as prefix's last part."""

    @contextmanager
    def table_writer(self, key: str, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
        """Stream record batches into a Parquet file that appears only when complete."""
        with self._writing(key) as tmp, pq.ParquetWriter(tmp, schema) as writer:
            yield writer

    def write_table(self, key: str, table: pa.Table) -> None:
        with self.table_writer(key, table.schema) as writer:
            writer.write_table(table)

    def read_table(self, key: str, columns: list[str] | None = None) -> pa.Table:
        with self._reading(key) as path:
            return pq.read_table(path, columns=columns)

    def iter_batches(self, key: str, batch_size: int, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        with self._reading(key) as path, pq.ParquetFile(path, pre_buffer=False) as parquet:
            yield from parquet.iter_batches(batch_size=batch_size, columns=columns)

    def write_json(self, key: str, value: object) -> None:
        with self._writing(key) as tmp:
            tmp.write_text(json.dumps(value, indent=1))

    def read_json(self, key: str, default: Any = None) -> Any:
        try:
            with self._reading(key) as path:
                return json.loads(path.read_text())
        except ArtifactNotFound:
            return default

    def list_keys(self, prefix: str) -> list[str]:
        """Keys directly under a folder prefix (ending in `/`), sorted."""
        return sorted(key for key, _ in self._listing(prefix))

    def list_videos(self, ep_id: str = "") -> list[VideoEntry]:
        """Videos under `videos/`, named `{ep_id}{suffix}`; only those of ep_id when given."""
        entries = []
        for key, mtime in self._listing(f"videos/{ep_id}"):
            name = PurePosixPath(key)
            if name.suffix.lower() in VIDEO_SUFFIXES and ep_id in ("", name.stem):
                entries.append(VideoEntry(ep_id=name.stem, key=key, mtime=mtime))
        return sorted(entries, key=lambda e: e.key)

    def find_video(self, ep_id: str) -> Path:
        """A local file of the episode's video: the one it was registered with, else `videos/{ep_id}.*`."""
        registered = self.read_json(EPISODE_RECORD.key(ep_id))
        if registered:
            return self._local_file(registered["video_uri"])
        found = {PurePosixPath(e.key).suffix.lower(): e.key for e in self.list_videos(ep_id)}
        for suffix in VIDEO_SUFFIXES:
            if suffix in found:
                return self._local_file(found[suffix])
        raise ArtifactNotFound(f"no video for episode {ep_id} under {self.location('videos')}")

    def put_video(self, ep_id: str, path: Path) -> str:
        """Store a video as the episode's only one, `videos/{ep_id}{suffix}`; returns its key."""
        key = video_key(ep_id, path.suffix)
        self.put_file(key, path)
        for other in self.list_videos(ep_id):
            if other.key != key:
                self.delete(other.key)
        return key


class ArtifactStore(BaseArtifactStore):
    """Artifacts on local disk under root."""

    root: str

    def path(self, key: str) -> Path:
        return Path(self.root) / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def location(self, key: str) -> str:
        return str(self.path(key))

    def _writing(self, key: str) -> AbstractContextManager[Path]:
        return replacing(self.path(key))

    @contextmanager
    def _reading(self, key: str) -> Iterator[Path]:
        if not self.exists(key):
            raise missing(key)
        yield self.path(key)

    def _local_file(self, key: str) -> Path:
        return self.path(key)

    def put_file(self, key: str, path: Path) -> None:
        """Hard-link when on the same file system (videos are large), else copy."""
        target = self.path(key)
        if target.exists() and target.samefile(path):
            return
        with self._writing(key) as tmp:
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)

    def sweep_temporaries(self) -> int:
        return sweep(Path(self.root).rglob(".*.tmp"))

    def _listing(self, prefix: str) -> Iterator[tuple[str, float]]:
        folder, _, start = prefix.rpartition("/")
        directory = self.path(folder)
        if not directory.is_dir():
            return
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(start) and entry.is_file():
                    yield f"{folder}/{entry.name}", entry.stat().st_mtime
