"""The stack as tests and benchmarks run it: processes started for a block and stopped after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..deploy.commands import daemon_command, webserver_command, worker_command
from ..deploy.processes import Processes, start_code_server


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path, port: int, concurrency: int = 1) -> Iterator[Processes]:
    """Code server, daemon, webserver on 127.0.0.1:port and one Celery worker, started with env and stopped after the block.

    DAGSTER_HOME in env must be prepared first (orchestration.instance.prepare_dagster_home), and env must hold code_server_env.
    """
    processes = Processes(log_dir, env)
    try:
        start_code_server(processes, int(env["CODE_SERVER_PORT"]))
        processes.start("daemon", daemon_command())
        processes.start("webserver", webserver_command("127.0.0.1", port))
        processes.start("worker", worker_command("local", concurrency))
        processes.wait_for(f"http://127.0.0.1:{port}/server_info", "dagster-webserver", 120)
        processes.wait_for(lambda: processes.logged("worker", "ready."), "celery worker", 120)
        yield processes
    finally:
        processes.stop()


@contextmanager
def running_service(name: str, command: list[str], env: dict[str, str], log_dir: Path, ready_url: str, timeout_s: float = 120.0) -> Iterator[Processes]:
    """One service started with env, ready once ready_url answers, stopped after the block."""
    processes = Processes(log_dir, env)
    try:
        processes.start(name, command)
        processes.wait_for(ready_url, name, timeout_s)
        yield processes
    finally:
        processes.stop()


