"""`make up` on this machine: the demo episode goes through the API and the Celery worker; `make down` stops it all."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from screanalytics_dagster.deploy.commands import REPO
from screanalytics_dagster.deploy.processes import Processes, free_port

pytestmark = pytest.mark.stack


DEMO = "demo-s01e01"


@pytest.fixture
def stack_env(tmp_path, redis_databases):
    return {
        **os.environ,
        "STACK_DIR": str(tmp_path / "stack"),
        "STORAGE_ROOT": str(tmp_path / "storage"),
        "API_PORT": str(free_port()),
        "DAGSTER_PORT": str(free_port()),
        "UI_PORT": str(free_port()),
        "CODE_SERVER_PORT": str(free_port()),
        "REDIS_URL": redis_databases(),  # not the stack fixture's: its worker would take these steps
    }


def make(target: str, env: dict) -> str:
    done = subprocess.run(["make", "--no-print-directory", target], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def running_parts(env: dict) -> dict[str, int]:
    """`make status`: the PID of each part that runs."""
    return {line.split(":")[0]: int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in make("status", env).splitlines() if "pid " in line}


def test_make_up_processes_the_demo_episode_restarts_a_dead_part_and_make_down_stops_everything(stack_env, sample_episode):
    api = f"http://127.0.0.1:{stack_env['API_PORT']}"
    try:
        started = make("up", stack_env)
        assert f"STORAGE_ROOT={stack_env['STORAGE_ROOT']}" in started
        assert f"review UI: http://127.0.0.1:{stack_env['UI_PORT']}" in started
        assert "already running" in make("up", stack_env)
        os.killpg(running_parts(stack_env)["worker"], signal.SIGKILL)  # as an out-of-memory kill would
        assert "worker: not running (it died" in make("status", stack_env)
        assert "restarted: worker" in make("up", stack_env)
        running = running_parts(stack_env)
        assert set(running) == {"code_server", "webserver", "daemon", "worker", "api", "ui"}
        family = [p for pid in running.values() for p in (psutil.Process(pid), *psutil.Process(pid).children(recursive=True))]

        videos = os.path.join(stack_env["STORAGE_ROOT"], "videos")
        os.makedirs(videos, exist_ok=True)
        os.symlink(sample_episode.video_path, os.path.join(videos, f"{DEMO}.mp4"))
        assert requests.post(f"{api}/episodes", json={"ep_id": DEMO, "video_uri": f"videos/{DEMO}.mp4"}, timeout=30).status_code == 201
        job = requests.post(f"{api}/episodes/{DEMO}/process_async", timeout=30).json()
        deadline = time.monotonic() + 300
        while (state := requests.get(f"{api}/celery_jobs/{job['job_id']}", timeout=30).json())["state"] not in ("success", "failed", "cancelled"):
            assert time.monotonic() < deadline, state
            time.sleep(1)
        assert state["state"] == "success", state
        assert requests.get(f"{api}/episodes/{DEMO}/screentime", timeout=30).json()
        assert requests.get(f"http://127.0.0.1:{stack_env['UI_PORT']}/_stcore/health", timeout=30).ok
    finally:
        make("down", stack_env)
    assert "not running" in make("status", stack_env)
    gone, still = psutil.wait_procs(family, timeout=10)
    assert not still, [p.cmdline() for p in still]


def test_readiness_reads_only_the_lines_of_the_process_started_now(tmp_path):
    (tmp_path / "part.log").write_text("ready.\n")  # left by an earlier start
    processes = Processes(tmp_path, {})
    try:
        processes.start("part", [sys.executable, "-c", "import time; time.sleep(0.5); print('ready.', flush=True); time.sleep(30)"])
        assert not processes.logged("part", "ready.")
        processes.wait_for(lambda: processes.logged("part", "ready."), "part", 30)
    finally:
        processes.stop()
