"""The commands that start each long-running process: code server, webserver, daemon, Celery worker, API, review UI."""

from __future__ import annotations

from pathlib import Path

from ..orchestration.run_client import CODE_LOCATION

REPO = Path(__file__).resolve().parents[2]  # every process starts here, so commands name files relative to it
WORKSPACE = "workspace.yaml"  # the code server at CODE_SERVER_HOST:CODE_SERVER_PORT
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
        "--client.toolbarMode", "minimal",  # no Deploy button: reviewers have nothing to deploy
    ]


def worker_command(name: str, concurrency: int, queues: tuple[str, ...] = QUEUES) -> list[str]:
    """A dagster-celery worker taking steps from queues, concurrency steps at a time."""
    # One comma-separated -q: Celery keeps only the last of several -Q options.
    return [
        "dagster-celery", "worker", "start", "-A", "screanalytics_dagster.orchestration.worker_app", "-y", WORKER_CONFIG,
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
