"""The Celery app the workers serve (`-A` of `dagster-celery worker start`): dagster-celery's, sweeping orphans at start."""

from __future__ import annotations

import logging

from celery.signals import worker_ready
from dagster_celery.app import app

from ..resources import artifact_store

log = logging.getLogger(__name__)


@worker_ready.connect
def sweep_orphaned_temporaries(**_) -> None:
    """Remove the temporary files that writes killed with an earlier worker left behind."""
    removed = artifact_store().sweep_temporaries()
    log.info("removed %d temporary files of writes that no process finishes", removed)


__all__ = ["app"]
