"""`screanalytics`: process an episode video on this machine, or the bundled demo episode."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console, JustifyMethod
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .ids import EpisodeIdError, validate_episode_id
from .orchestration.instance import prepare_dagster_home
from .resources import BaseArtifactStore, artifact_store
from .resources.artifacts import episode_folder, progress_key
from .settings import SettingsError, settings
from .vision.faces import ModelPackError, find_model_pack
from .vision.video import SAMPLE_FPS, VideoError, probe

DEMO_EPISODE = "demo-s01e01"
DEMO_SECONDS = 60.0

console = Console()


def fail(message: str) -> NoReturn:
    """One clear line on stderr and a non-zero exit."""
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(2)


@click.group()
def main() -> None:
    """Face analytics for TV episodes: faces, who they are, and screen time per person."""


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--episode", "ep_id", required=True, help="Episode id, '{show}-sNNeNN' (e.g. rhobh-s01e01).")
@click.option("--storage", type=click.Path(path_type=Path), default=None, help="Storage root [STORAGE_ROOT or ./data].")
@click.option("--fps", type=float, default=SAMPLE_FPS, show_default=True, help="Frames sampled per second.")
@click.option("--models", type=click.Path(path_type=Path), default=None, help="ONNX model directory (e.g. buffalo_l).")
def process(video: Path, ep_id: str, storage: Path | None, fps: float, models: Path | None) -> None:
    """Materialize all six assets of one episode from VIDEO and print its screen time."""
    run(video, ep_id, storage, fps, models)


@main.command()
@click.option("--storage", type=click.Path(path_type=Path), default=None, help="Storage root [STORAGE_ROOT or ./data].")
@click.option("--seconds", type=float, default=DEMO_SECONDS, show_default=True, help="Length of the sample episode.")
def demo(storage: Path | None, seconds: float) -> None:
    """Build a sample episode from photos shipped with the models, process it, score it against its truth."""
    from .samples.episode import load_or_build_sample
    from .samples.evaluation import evaluate

    root = Path(storage or settings().storage_root).resolve()
    video = root / "samples" / f"{DEMO_EPISODE}.mp4"
    if not video.is_file():
        console.print(f"building a {seconds:.0f} s sample episode at {video} ...")
    episode = load_or_build_sample(video, duration_s=seconds)
    store = run(video, DEMO_EPISODE, root, SAMPLE_FPS, None)
    console.print(f"against the sample's truth: {evaluate(store, DEMO_EPISODE, episode).summary()}")


@main.command("dagster-home")
def dagster_home() -> None:
    """Write $DAGSTER_HOME/dagster.yaml from the repo's dagster.yaml, with Postgres storage when DATABASE_URL is set."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        fail("DAGSTER_HOME is not set: point it at the folder of the Dagster instance")
    try:
        instance = prepare_dagster_home(Path(home), settings().database_url)
    except Exception as exc:  # noqa: BLE001 - a bad URL or an unreachable database: one line, not a traceback
        fail(f"cannot prepare the Dagster instance in {home}: {str(exc).splitlines()[0]}")
    console.print(f"Dagster instance ready in {home} (storage: {type(instance.run_storage).__name__})")


@main.command()
def up() -> None:
    """Start the whole system on this machine in the background (make up); print its URLs."""
    from .deploy import local_stack

    try:
        found = local_stack.up()
    except local_stack.StackError as exc:
        fail(str(exc))
    for name, value in found.items():
        click.echo(f"{name}={value}" if name == "STORAGE_ROOT" else f"{name}: {value}")  # plain: scripts read these lines


@main.command()
def down() -> None:
    """Stop what `up` started, by PID (make down)."""
    from .deploy import local_stack

    stopped = local_stack.down()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@main.command()
def status() -> None:
    """Say which parts of the local stack run (make status)."""
    from .deploy import local_stack

    parts = local_stack.status()
    if not any(parts.values()):
        console.print("not running")
        return
    for name, pid in parts.items():
        console.print(f"{name}: running (pid {pid})" if pid else f"{name}: not running (it died: `make up` starts it again)")


def run(video: Path, ep_id: str, storage: Path | None, fps: float, models: Path | None) -> BaseArtifactStore:
    """Check the inputs, store the video, process the episode with a progress bar, print the screen-time table."""
    root = Path(storage or settings().storage_root).resolve()
    try:
        store = artifact_store(str(root))
        validate_episode_id(ep_id)
        probe(video)
        if fps <= 0:
            raise ValueError(f"--fps must be positive, got {fps}")
        if models is not None:
            find_model_pack(models)
    except (SettingsError, EpisodeIdError, VideoError, ModelPackError, ValueError, OSError) as exc:
        fail(str(exc))
    try:
        video_key = store.put_video(ep_id, video)
    except store.errors as exc:
        fail(str(exc))
    from .orchestration.in_process import PipelineError, process_episode  # imports Dagster's whole graph: only when needed

    run_id = str(uuid.uuid4())
    done = threading.Event()
    watcher = threading.Thread(target=show_progress, args=(store, run_id, done), daemon=True)
    watcher.start()
    try:
        table = process_episode(ep_id, root, run_id=run_id, sample_fps=fps, models_dir=str(models) if models else None, store=store)
    except PipelineError as exc:
        done.set()
        watcher.join()
        fail(str(exc))
    done.set()
    watcher.join()
    print_screentime(table, ep_id)
    console.print(f"video: {store.location(video_key)}\nartifacts: {store.location(episode_folder(ep_id))}")
    return store


def show_progress(store: BaseArtifactStore, run_id: str, done: threading.Event) -> None:
    """A progress bar fed by the run's progress report until done is set."""
    columns = (TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[message]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=1.0, message="")
        while not done.wait(0.25):
            state = store.read_json(progress_key(run_id))
            if state:
                bar.update(task, description=state["step"], completed=state["progress"], message=state["message"])


def print_screentime(table, ep_id: str) -> None:
    """The screen-time table of an episode."""
    view = Table(title=f"screen time: {ep_id}")
    columns: tuple[tuple[str, JustifyMethod], ...] = (("person", "left"), ("name", "left"), ("seconds", "right"), ("tracks", "right"))
    for column, justify in columns:
        view.add_column(column, justify=justify)
    for row in table.to_pylist():
        view.add_row(row["person_id"], row["person_name"] or "-", f"{row['seconds']:.1f}", str(row["n_tracks"]))
    console.print(view)
