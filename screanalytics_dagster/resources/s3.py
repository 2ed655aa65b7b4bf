"""Artifacts in an S3 bucket (AWS, MinIO, R2, moto) under `s3://{bucket}/{prefix}`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from .scratch import scratch_file, scratch_files, sweep
from .storage import ArtifactNotFound, BaseArtifactStore, missing, replacing

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
S3_ERRORS = (BotoCoreError, ClientError, Boto3Error)  # no credentials, unreachable endpoint, missing bucket, refused upload


class S3ArtifactStore(BaseArtifactStore):
    """Artifacts as objects `{prefix}/{key}` in bucket; tables pass through local temporary files."""

    errors: ClassVar[tuple[type[Exception], ...]] = (OSError, *S3_ERRORS)

    bucket: str
    prefix: str = ""
    s3: S3Resource
    cache_dir: str | None = None  # local copies of videos; default: screanalytics-cache in the system's temporary folder
    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.s3.get_client()
        return self._client

    def object_key(self, key: str) -> str:
        base = self.prefix.strip("/")
        return f"{base}/{key}" if base else key

    def key_of(self, object_key: str) -> str:
        base = self.prefix.strip("/")
        return object_key.removeprefix(f"{base}/") if base else object_key

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except ArtifactNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.object_key(key)}"

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            raise_if_not_found(exc, key)
            raise

    def _download(self, key: str, path: Path) -> None:
        try:
            self.client.download_file(self.bucket, self.object_key(key), str(path))
        except ClientError as exc:
            raise_if_not_found(exc, key)
            raise

    @contextmanager
    def _writing(self, key: str) -> Iterator[Path]:
        sweep(scratch_files())  # at each write, not each read (far more frequent); killed reads' files go too
        with scratch_file(Path(key).suffix) as tmp:
            yield tmp
            self.put_file(key, tmp)

    @contextmanager
    def _reading(self, key: str) -> Iterator[Path]:
        with scratch_file(Path(key).suffix) as tmp:
            self._download(key, tmp)
            yield tmp

    def _local_file(self, key: str) -> Path:
        """A cached download, fetched again when the object's size or modification time changed."""
        head = self._head(key)
        mtime = head["LastModified"].timestamp()
        cached = self.cache() / self.bucket / self.object_key(key)
        if cached.is_file() and (cached.stat().st_size, cached.stat().st_mtime) == (head["ContentLength"], mtime):
            return cached
        with replacing(cached) as tmp:
            self._download(key, tmp)
            os.utime(tmp, (mtime, mtime))
        return cached

    def cache(self) -> Path:
        return Path(self.cache_dir or Path(tempfile.gettempdir()) / "screanalytics-cache")

    def sweep_temporaries(self) -> int:
        return sweep(scratch_files()) + sweep(self.cache().rglob(".*.tmp"))

    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self.object_key(key))

    def _listing(self, prefix: str) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.object_key(prefix), Delimiter="/")
        for page in pages:
            for item in page.get("Contents", []):
                yield self.key_of(item["Key"]), item["LastModified"].timestamp()


def raise_if_not_found(exc: ClientError, key: str) -> None:
    """ArtifactNotFound for S3's 404 answers."""
    if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
        raise missing(key) from exc
