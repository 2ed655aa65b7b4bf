"""Run an operation's job for one episode in this process, through a Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
from dagster import DagsterInstance

from .definitions import defs, resources
from .jobs import job_name, run_tags
from .resources import BaseArtifactStore, episode_key
from .settings import artifact_store


LOG_LEVEL = "WARNING"  # the progress bar tells what happens; the event log keeps the details


class PipelineError(RuntimeError):
    """A run that did not succeed, with the failing step's message."""


def local_instance(root: Path) -> DagsterInstance:
    """The instance of DAGSTER_HOME when set, else a SQLite instance under `{root}/.dagster`."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    home = root / ".dagster"
    home.mkdir(parents=True, exist_ok=True)
    return DagsterInstance.from_config(str(home))


def run_operation(
    ep_id: str,
    operation: str,
    root: Path,
    run_config: dict | None = None,
    run_id: str | None = None,
    models_dir: str | None = None,
    instance: DagsterInstance | None = None,
    store: BaseArtifactStore | None = None,
) -> None:
    """Run an operation's job on an episode in this process (store: default the settings' one under root); PipelineError when it fails."""
    instance = instance or local_instance(root)
    instance.add_dynamic_partitions("episodes", [ep_id])
    result = defs.resolve_job_def(job_name(operation)).execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": LOG_LEVEL}}}, **(run_config or {})},
        instance=instance,
        partition_key=ep_id,
        raise_on_error=False,
        run_id=run_id,
        tags=run_tags(ep_id, operation),
        resources=resources(str(root), models_dir, store),
    )
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if not failures:
            raise PipelineError(f"{ep_id}: {operation} failed")
        raise PipelineError(f"{ep_id}: step {failures[0].step_key} failed: {step_error(failures[0])}")


def process_episode(
    ep_id: str,
    root: Path,
    run_id: str | None = None,
    sample_fps: float | None = None,
    models_dir: str | None = None,
    instance: DagsterInstance | None = None,
    store: BaseArtifactStore | None = None,
) -> pa.Table:
    """Materialize the six assets of an episode in this process and return its screen time."""
    run_config = {"ops": {"faces": {"config": {"sample_fps": sample_fps}}}} if sample_fps else None
    store = store or artifact_store(str(root))
    run_operation(ep_id, "process", root, run_config, run_id, models_dir, instance, store)
    return store.read_table(episode_key(ep_id, "screentime.parquet"))


def step_error(event) -> str:
    """The root cause of a step failure event, in one line."""
    error = event.step_failure_data.error
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0].split(": ", 1)[-1]  # drop the "module.Class: " prefix

