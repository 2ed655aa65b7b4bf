"""Run an operation's job for one episode in this process, through a Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
from dagster import DagsterInstance

from ..assets.partitions import EPISODES
from ..resources import BaseArtifactStore, artifact_store
from ..resources.artifacts import SCREENTIME
from .failures import step_error
from .instance import local_instance
from .operations import PROCESS, operation
from .repository import definitions, resources

LOG_LEVEL = "WARNING"  # the progress bar tells what happens; the event log keeps the details


class PipelineError(RuntimeError):
    """A run that did not succeed, with the failing step's message."""


def run_operation(
    ep_id: str,
    name: str,
    root: Path,
    run_config: dict | None = None,
    run_id: str | None = None,
    models_dir: str | None = None,
    instance: DagsterInstance | None = None,
    store: BaseArtifactStore | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Run an operation's job on an episode in this process (store: default the settings' one under root); PipelineError when it fails."""
    op = operation(name)
    instance = instance or local_instance(root)
    instance.add_dynamic_partitions(EPISODES, [ep_id])
    result = definitions().resolve_job_def(op.job).execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": LOG_LEVEL}}}, **(run_config or {})},
        instance=instance,
        partition_key=ep_id,
        raise_on_error=False,
        run_id=run_id,
        tags={**op.tags(ep_id), **(tags or {})},
        resources=resources(str(root), models_dir, store, detect_workers=os.cpu_count() or 1),  # this process has the machine
    )
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if not failures:
            raise PipelineError(f"{ep_id}: {op.name} failed")
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
    run_operation(ep_id, PROCESS.name, root, run_config, run_id, models_dir, instance, store)
    return store.read_table(SCREENTIME.key(ep_id))
