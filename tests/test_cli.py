"""The `screanalytics` command: one clear line for bad input, the screen-time table otherwise."""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import make_episode

from screanalytics_dagster.cli import main

pytestmark = pytest.mark.pipeline


@pytest.fixture(autouse=True)
def no_dagster_home(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def short_episode(tmp_path_factory):
    return make_episode(tmp_path_factory.mktemp("short"), "cli-s01e01", seconds=12.0, seed=3)


def test_process_prints_screen_time_and_writes_the_artifacts(short_episode, tmp_path):
    result = invoke("process", short_episode.video_path, "--episode", "cli-s01e01", "--storage", tmp_path)
    assert result.exit_code == 0, result.output
    assert "screen time: cli-s01e01" in result.output
    folder = tmp_path / "episodes" / "cli-s01e01"
    for name in ("faces", "embeddings", "tracks", "clusters", "groups", "screentime"):
        assert (folder / f"{name}.parquet").is_file()
    assert (tmp_path / "videos" / "cli-s01e01.mp4").is_file()
    assert (tmp_path / ".dagster").is_dir()


def use_s3(monkeypatch, server, bucket):
    """The environment of a process whose artifacts go to bucket on server."""
    for name, value in server.env(bucket).items():
        monkeypatch.setenv(name, value)


def test_process_with_the_s3_backend_puts_everything_in_the_bucket(short_episode, s3_server, tmp_path, monkeypatch):
    bucket = s3_server.new_bucket()
    use_s3(monkeypatch, s3_server, bucket)
    result = invoke("process", short_episode.video_path, "--episode", "cli-s01e01", "--storage", tmp_path)
    assert result.exit_code == 0, result.output
    assert "screen time: cli-s01e01" in result.output
    assert f"s3://{bucket}/episodes/cli-s01e01" in result.output
    stored = s3_server.keys(bucket)
    for name in ("faces", "embeddings", "tracks", "clusters", "groups", "screentime"):
        assert f"episodes/cli-s01e01/{name}.parquet" in stored
    assert "videos/cli-s01e01.mp4" in stored
    assert not (tmp_path / "episodes").exists() and not (tmp_path / "videos").exists()


def test_s3_backend_without_a_bucket_gets_one_clear_line(short_episode, tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.delenv("S3_BUCKET", raising=False)
    result = invoke("process", short_episode.video_path, "--episode", "cli-s01e01", "--storage", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: STORAGE_BACKEND=s3 needs S3_BUCKET, the bucket for the artifacts"


def test_s3_backend_with_a_missing_bucket_gets_one_clear_line(short_episode, s3_server, tmp_path, monkeypatch):
    use_s3(monkeypatch, s3_server, "no-such-bucket")
    result = invoke("process", short_episode.video_path, "--episode", "cli-s01e01", "--storage", tmp_path)
    assert result.exit_code == 2
    assert "NoSuchBucket" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def write_empty_video(path):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    writer.release()


def write_tiny_video(path):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    for _ in range(10):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()


@pytest.mark.parametrize(
    "make_video, args, message",
    [
        (None, ["--episode", "show-s01e01"], "video not found"),
        (lambda p: p.write_bytes(b"not a video" * 100), ["--episode", "show-s01e01"], "video unreadable"),
        (write_empty_video, ["--episode", "show-s01e01"], "video"),
        (write_tiny_video, ["--episode", "Show_S1"], "invalid episode id 'Show_S1'"),
        (write_tiny_video, ["--episode", "show-s01e01", "--fps", "0"], "--fps must be positive"),
        (write_tiny_video, ["--episode", "show-s01e01", "--models", "/nonexistent/models"], "model directory not found"),
    ],
)

def test_bad_input_gets_one_clear_line(tmp_path, make_video, args, message):
    video = tmp_path / "episode.mp4"
    if make_video:
        make_video(video)
    result = invoke("process", video, *args, "--storage", tmp_path / "data")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "data" / "episodes").exists()


def test_an_empty_model_directory_is_refused(tmp_path):
    video = tmp_path / "episode.mp4"
    write_tiny_video(video)
    (tmp_path / "models").mkdir()
    result = invoke("process", video, "--episode", "show-s01e01", "--models", tmp_path / "models", "--storage", tmp_path / "data")
    assert result.exit_code == 2
    assert "needs a detection and a recognition ONNX model" in result.stderr


def test_dagster_home_writes_the_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = invoke("dagster-home")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "dagster.yaml").is_file()


def test_dagster_home_without_dagster_home_gets_one_clear_line():
    result = invoke("dagster-home")
    assert result.exit_code == 2
    assert "DAGSTER_HOME is not set" in result.stderr
    assert "Traceback" not in result.output + result.stderr
