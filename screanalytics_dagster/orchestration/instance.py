"""The Dagster instance every process shares: the repo's dagster.yaml, in Postgres when DATABASE_URL is set."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from dagster import DagsterInstance

INSTANCE_CONFIG = Path(__file__).resolve().parents[2] / "dagster.yaml"


def instance_config(database_url: str | None) -> dict:
    """The repo's instance config, with Postgres storage at database_url when one is given (else SQLite)."""
    config = yaml.safe_load(INSTANCE_CONFIG.read_text())
    if database_url:
        config["storage"] = {"postgres": {"postgres_url": psycopg2_url(database_url)}}
    return config


def psycopg2_url(database_url: str) -> str:
    """The URL with the psycopg2 driver, which dagster-postgres uses (SQLAlchemy 2.1 would pick psycopg 3)."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql", "postgresql+psycopg2"):
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got scheme {scheme!r}")
    return f"postgresql+psycopg2://{rest}"


def prepare_dagster_home(home: Path, database_url: str | None) -> DagsterInstance:
    """Write `{home}/dagster.yaml` (atomically) and open the instance once, which creates its storage.

    Run it before starting the webserver, daemon and workers: each would otherwise race to create the tables.
    """
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".dagster.yaml.{os.getpid()}.tmp"
    tmp.touch(mode=0o600)  # the file holds the database password
    tmp.write_text(yaml.safe_dump(instance_config(database_url), sort_keys=False))
    os.replace(tmp, home / "dagster.yaml")
    return DagsterInstance.from_config(str(home))


def local_instance(root: Path) -> DagsterInstance:
    """The instance of DAGSTER_HOME when set, else a SQLite instance under `{root}/.dagster`."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    home = root / ".dagster"
    home.mkdir(parents=True, exist_ok=True)
    return DagsterInstance.from_config(str(home))
