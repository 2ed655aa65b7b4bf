"""The long-running processes of the system and the commands that start them: code server, webserver, daemon, Celery worker, API, review UI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .services import wait_until

REPO = Path(__file__).resolve().parents[1]  # every process starts here, so commands name files relative to it
WORKSPACE = "workspace.yaml"  # the code server at CODE_SERVER_HOST:CODE_SERVER_PORT
CODE_LOCATION = "screanalytics_dagster.definitions"
WORKER_CONFIG = "celery_worker.yaml"
UI_APP = "screanalytics_dagster/ui/app.py"
QUEUES = ("dagster", "vision")  # vision: the heavy steps (faces, embeddings), see their dagster-celery/queue tag


def code_server_command(host: str, port: int) -> list[str]:
    """The code server: serves the definitions to the webserver and daemon, and starts each run's process.

    Runs start here rather than next to whichever daemon launched them, so any host that reaches this address
    (the API's included) can terminate a run: its grpc_info tag names this host and port.
    """
    return ["dagster", "code-server", "start", "-m", CODE_LOCATION, "-h", host, "-p", str(port), "--location-name", CODE_LOCATION]


def code_server_env(port: int) -> dict[str, str]:
    """The variables workspace.yaml reads to find the code server on 127.0.0.1:port."""
    return {"CODE_SERVER_HOST": "127.0.0.1", "CODE_SERVER_PORT": str(port)}


def start_code_server(processes: Processes, port: int) -> subprocess.Popen:
    """Start the code server on 127.0.0.1:port and wait until it serves the definitions (the webserver and daemon load them)."""
    process = processes.start("code_server", code_server_command("127.0.0.1", port))
    processes.wait_for(lambda: processes.logged("code_server", f"Started Dagster code proxy server for module {CODE_LOCATION} on port {port}"), "code server", 180)
    return process


def webserver_command(host: str, port: int) -> list[str]:
    """The Dagster UI and GraphQL endpoint."""
    return ["dagster-webserver", "-w", WORKSPACE, "-h", host, "-p", str(port)]


def daemon_command() -> list[str]:
    """The Dagster daemon: run queue, run monitoring, schedules, sensors, backfills."""
    return ["dagster-daemon", "run", "-w", WORKSPACE]


def api_command(host: str, port: int) -> list[str]:
    """The REST facade."""
    return ["uvicorn", "--factory", "screanalytics_dagster.api:create_app", "--host", host, "--port", str(port), "--no-access-log"]


def ui_command(host: str, port: int) -> list[str]:
    """The review UI (Streamlit); it finds the API at API_BASE."""
    return [
        "streamlit", "run", UI_APP, "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]


def worker_command(name: str, concurrency: int, queues: tuple[str, ...] = QUEUES) -> list[str]:
    """A dagster-celery worker taking steps from queues, concurrency steps at a time."""
    # One comma-separated -q: Celery keeps only the last of several -Q options.
    return [
        "dagster-celery", "worker", "start", "-A", "dagster_celery.app", "-y", WORKER_CONFIG,
        "-q", ",".join(queues), "-n", name, "--", f"--concurrency={concurrency}",
    ]


def service_commands(host: str, code_server_port: int, dagster_port: int, api_port: int, worker_concurrency: int, ui_port: int) -> dict[str, list[str]]:
    """The command of each long-running service, the code server first: what `make up` starts and render.yaml's start commands."""
    return {
        "code_server": code_server_command(host, code_server_port),
        "webserver": webserver_command(host, dagster_port),
        "daemon": daemon_command(),
        "worker": worker_command("worker1", worker_concurrency),
        "api": api_command(host, api_port),
        "ui": ui_command(host, ui_port),
    }


@dataclass
class Processes:
    """Processes started in their own session (so each can be stopped with all its children), logs in log_dir."""

    log_dir: Path
    env: dict[str, str]
    started: dict[str, subprocess.Popen] = field(default_factory=dict)
    log_starts: dict[str, int] = field(default_factory=dict)  # where each process's lines begin in its (appended) log

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps writing to it
        self.log_starts[name] = (self.log_dir / f"{name}.log").stat().st_size
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, **self.env, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started[name] = process
        return process

    def check(self) -> None:
        """RuntimeError naming a started process that has exited, with the end of its log."""
        for name, process in self.started.items():
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with status {process.returncode}:\n{tail}")

    def wait_for(self, ready, what: str, timeout_s: float) -> None:
        """Wait until ready() holds (a URL: until it answers), failing at once if a started process exits."""
        holds = (lambda: answers(ready)) if isinstance(ready, str) else ready
        wait_until(lambda: self.check() or holds(), what, timeout_s)

    def logged(self, name: str, text: str) -> bool:
        """Whether a started process has written text to its log since it started (not an earlier run's lines)."""
        with open(self.log_dir / f"{name}.log", "rb") as log:
            log.seek(self.log_starts.get(name, 0))
            return text.encode() in log.read()

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM each process group, SIGKILL what is still there after timeout_s."""
        for process in self.started.values():
            signal_group(process.pid, signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
            signal_group(process.pid, signal.SIGKILL)  # children that outlived their parent
        self.started.clear()


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path, port: int, concurrency: int = 1) -> Iterator[Processes]:
    """Code server, daemon, webserver on 127.0.0.1:port and one Celery worker, started with env and stopped after the block.

    DAGSTER_HOME in env must be prepared first (instance.prepare_dagster_home), and env must hold code_server_env.
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


def answers(url: str) -> bool:
    """Whether an HTTP GET of url succeeds."""
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def signal_group(pid: int, sig: int) -> None:
    """Signal the process group pid leads (every service is started in a session of its own); gone is fine."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
