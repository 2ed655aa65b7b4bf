"""Run the process_episode job for one episode on this machine, through a Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
from dagster import DagsterInstance

from .definitions import defs, resources
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


def process_episode(
    ep_id: str,
    root: Path,
    run_id: str | None = None,
    sample_fps: float | None = None,
    models_dir: str | None = None,
    instance: DagsterInstance | None = None,
    store: BaseArtifactStore | None = None,
) -> pa.Table:
    """Materialize the episode's six assets in-process into store (default: the settings' store under root); return its screen time."""
    store = store or artifact_store(str(root))
    instance = instance or local_instance(root)
    instance.add_dynamic_partitions("episodes", [ep_id])
    run_config: dict = {"loggers": {"console": {"config": {"log_level": LOG_LEVEL}}}}
    if sample_fps:
        run_config["ops"] = {"faces": {"config": {"sample_fps": sample_fps}}}
    result = defs.resolve_job_def("process_episode").execute_in_process(
        run_config=run_config,
        instance=instance,
        partition_key=ep_id,
        raise_on_error=False,
        run_id=run_id,
        tags={"episode": ep_id, "operation": "process"},
        resources=resources(models_dir=models_dir, store=store),
    )
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if not failures:
            raise PipelineError(f"{ep_id}: run failed")
        raise PipelineError(f"{ep_id}: step {failures[0].step_key} failed: {step_error(failures[0])}")
    return store.read_table(episode_key(ep_id, "screentime.parquet"))


def step_error(event) -> str:
    """The root cause of a step failure event, in one line."""
    error = event.step_failure_data.error
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0].split(": ", 1)[-1]  # drop the "module.Class: " prefix

