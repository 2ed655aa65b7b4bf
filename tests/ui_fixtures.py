"""The review UI's counterparts as real processes on loopback: the API over a storage root, and `streamlit run`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from screanalytics_dagster.deploy.commands import api_command, ui_command
from screanalytics_dagster.deploy.processes import free_port
from screanalytics_dagster.testing.stack import running_service

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: cheap jobs run inside the API


@contextmanager
def api_process(root: Path, logs: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`uvicorn` serving the API over the local storage root (Redis down unless env says otherwise); its URL."""
    port = free_port()
    base = {"STORAGE_ROOT": str(root), "STORAGE_BACKEND": "local", "REDIS_URL": DEAD_REDIS, "DAGSTER_HOME": ""}
    with running_service("api", api_command("127.0.0.1", port), {**base, **(env or {})}, logs, f"http://127.0.0.1:{port}/episodes"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def ui_process(api_url: str, logs: Path) -> Iterator[str]:
    """`streamlit run` of the review UI (the stack's start command) talking to api_url; its URL."""
    port = free_port()
    with running_service("ui", ui_command("127.0.0.1", port), {"API_BASE": api_url}, logs, f"http://127.0.0.1:{port}/_stcore/health"):
        yield f"http://127.0.0.1:{port}"


def copy_root(source: Path, target: Path) -> Path:
    """A private copy of a storage root, without its Dagster instance."""
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".dagster"))
    return target


def register(api_url: str, ep_id: str) -> None:
    answer = requests.post(f"{api_url}/episodes", json={"ep_id": ep_id, "video_uri": f"videos/{ep_id}.mp4"}, timeout=60)
    assert answer.status_code in (200, 201), answer.text


@dataclass
class Api:
    """An API process: its URL and its storage root."""

    url: str
    root: Path


@pytest.fixture(scope="module")
def ui_api(processed_episode, tmp_path_factory) -> Iterator[Api]:
    """The API over a copy of the processed test episode, registered, Redis down."""
    base = tmp_path_factory.mktemp("ui_api")
    root = copy_root(processed_episode.root, base / "root")
    with api_process(root, base / "logs") as url:
        register(url, processed_episode.ep_id)
        yield Api(url, root)
