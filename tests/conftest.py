"""Shared fixtures: the synthetic test episode, built once per session from shipped photos; an S3 server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from dagster import DagsterInstance
from dagster_aws.s3 import S3Resource

from screanalytics_dagster.pipeline import process_episode
from screanalytics_dagster.resources import ArtifactStore, S3ArtifactStore
from screanalytics_dagster.sample_episode import SampleEpisode, load_or_build_sample

TEST_EPISODE = "testshow-s01e01"
TEST_SECONDS = 60.0


def make_episode(folder: Path, ep_id: str, seconds: float = TEST_SECONDS, seed: int = 0) -> SampleEpisode:
    """A synthetic episode video with its truth, reused when already built in folder."""
    return load_or_build_sample(folder / f"{ep_id}.mp4", duration_s=seconds, seed=seed)


@pytest.fixture(scope="session")
def sample_episode(tmp_path_factory) -> SampleEpisode:
    """The synthetic test episode: real photos, several shots of one to three people, small faces."""
    return make_episode(tmp_path_factory.mktemp("samples"), TEST_EPISODE)


@dataclass
class Processed:
    """An episode processed end to end: its store, id and Dagster instance."""

    store: ArtifactStore
    ep_id: str
    instance: DagsterInstance

    @property
    def root(self) -> Path:
        return Path(self.store.root)


def link_video(root: Path, ep_id: str, video: Path) -> None:
    """Put a video where the faces asset looks for it."""
    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "videos" / f"{ep_id}.mp4").symlink_to(video)


@pytest.fixture(scope="session")
def processed_episode(tmp_path_factory, sample_episode) -> Processed:
    """The test episode processed end to end into a fresh storage root."""
    root = tmp_path_factory.mktemp("storage")
    link_video(root, TEST_EPISODE, sample_episode.video_path)
    instance = DagsterInstance.ephemeral()
    process_episode(TEST_EPISODE, root, instance=instance)
    return Processed(ArtifactStore(root=str(root)), TEST_EPISODE, instance)


S3_CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class S3Server:
    """An S3-compatible server (moto) listening on loopback."""

    endpoint_url: str

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint_url, **S3_CREDENTIALS)

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def store(self, bucket: str, **fields) -> S3ArtifactStore:
        return S3ArtifactStore(bucket=bucket, s3=S3Resource(endpoint_url=self.endpoint_url, **S3_CREDENTIALS), **fields)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> S3Server:
    """A moto server in its own process on a free loopback port, for the whole session."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(server.endpoint_url, timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
