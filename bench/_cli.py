"""The `screanalytics process` command as a user runs it, for the benchmarks that run it as a child process."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from _episodes import EPISODE_ID

CLI = Path(sys.executable).with_name("screanalytics")
STAGES = ("faces", "embeddings", "tracks", "clusters", "groups", "screentime")


def process_command(video: Path, root: Path, sample_fps: float | None = None) -> tuple[list[str], dict[str, str]]:
    """The command that processes video into root, emptied first, and its environment: local storage, the instance under root."""
    shutil.rmtree(root, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {"STORAGE_BACKEND": "local"}
    command = [str(CLI), "process", str(video), "--episode", EPISODE_ID, "--storage", str(root)]
    return command + (["--fps", str(sample_fps)] if sample_fps else []), env


def stage_metadata(root: Path) -> dict[str, dict]:
    """Each asset's metadata values from its latest materialization, in the instance the command used under root."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(root / ".dagster")) as instance:
        events = {name: instance.get_latest_materialization_event(AssetKey(name)) for name in STAGES}
    return {name: {k: v.value for k, v in e.asset_materialization.metadata.items()} for name, e in events.items() if e and e.asset_materialization}
