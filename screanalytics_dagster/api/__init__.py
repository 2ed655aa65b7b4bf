"""The REST facade: episodes, async jobs as Dagster runs, and what the review UI reads."""

from .app import create_app

__all__ = ["create_app"]
