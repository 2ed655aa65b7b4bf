"""Long-running processes on this machine: started in sessions of their own, awaited, stopped with their children."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

from .commands import CODE_LOCATION, REPO, code_server_command

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
START_TIMEOUT_S = 30.0


def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at url."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping())
    except (redis.RedisError, OSError):
        return False


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready: Callable[[], bool], what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll ready() until it is true; TimeoutError naming what did not come up."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout_s:.0f} s")
        time.sleep(0.1)


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

        def ready_now() -> bool:
            self.check()
            return holds()

        wait_until(ready_now, what, timeout_s)

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


def start_code_server(processes: Processes, port: int) -> subprocess.Popen:
    """Start the code server on 127.0.0.1:port and wait until it serves the definitions (the webserver and daemon load them)."""
    process = processes.start("code_server", code_server_command("127.0.0.1", port))
    processes.wait_for(lambda: processes.logged("code_server", f"Started Dagster code proxy server for module {CODE_LOCATION} on port {port}"), "code server", 180)
    return process


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
