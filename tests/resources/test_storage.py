"""Both artifact stores, local disk and S3 (a moto server on loopback), pass the same tests."""

import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from screanalytics_dagster.resources import artifact_store
from screanalytics_dagster.resources.artifacts import FACES, exemplars_key
from screanalytics_dagster.resources.s3 import S3ArtifactStore
from screanalytics_dagster.resources.scratch import MAX_AGE_S, sweep
from screanalytics_dagster.resources.storage import ArtifactNotFound, ArtifactStore
from screanalytics_dagster.settings import SettingsError

pytestmark = pytest.mark.unit


KEY = "episodes/rhobh-s01e01/faces.parquet"
SCHEMA = pa.schema([("face_id", pa.int64()), ("ts", pa.float64())])


def table(ids):
    return pa.table({"face_id": pa.array(ids, pa.int64()), "ts": pa.array([i / 5 for i in ids], pa.float64())}, schema=SCHEMA)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    """A fresh store of each backend; the S3 store's temporary files go to tmp_path/scratch, to see that none stay."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    if request.param == "local":
        return ArtifactStore(root=str(tmp_path / "root"))
    server = request.getfixturevalue("s3_server")
    return server.store(server.new_bucket(), cache_dir=str(tmp_path / "cache"))


def files_under(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def stored_keys(store):
    """Every key in the store, temporary ones included."""
    if isinstance(store, S3ArtifactStore):
        pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
        return sorted(store.key_of(item["Key"]) for page in pages for item in page.get("Contents", []))
    return files_under(Path(store.root))


def leftovers(tmp_path):
    """Local temporary files the store did not remove."""
    return files_under(tmp_path / "scratch")


def put_bytes(store, key, data, tmp_path):
    source = tmp_path / f"source-{time.monotonic_ns()}"
    source.write_bytes(data)
    store.put_file(key, source)


def test_keys():
    assert FACES.key("rhobh-s01e01") == KEY
    assert exemplars_key("rhobh", "rhobh-s01e01") == "shows/rhobh/exemplars/rhobh-s01e01.parquet"


def test_table_round_trip(store, tmp_path):
    store.write_table(KEY, table([0, 1, 2]))
    assert store.exists(KEY)
    assert store.read_table(KEY).equals(table([0, 1, 2]))
    assert store.read_table(KEY, columns=["ts"]).column_names == ["ts"]
    assert stored_keys(store) == [KEY]
    assert leftovers(tmp_path) == []


def test_table_writer_streams_batches(store, tmp_path):
    with store.table_writer(KEY, SCHEMA) as writer:
        for start in (0, 3, 6):
            writer.write_batch(table(range(start, start + 3)).to_batches()[0])
    assert store.read_table(KEY).column("face_id").to_pylist() == list(range(9))
    assert [b.num_rows for b in store.iter_batches(KEY, batch_size=4)] == [4, 4, 1]
    assert leftovers(tmp_path) == []


def test_failed_table_writer_leaves_nothing(store, tmp_path):
    with pytest.raises(RuntimeError):
        with store.table_writer(KEY, SCHEMA) as writer:
            writer.write_table(table([0, 1]))
            raise RuntimeError("detector crashed")
    assert not store.exists(KEY)
    assert stored_keys(store) == []
    assert leftovers(tmp_path) == []


def test_failed_table_writer_keeps_the_older_version(store, tmp_path):
    store.write_table(KEY, table([7]))
    with pytest.raises(RuntimeError):
        with store.table_writer(KEY, SCHEMA) as writer:
            writer.write_table(table([0, 1]))
            raise RuntimeError("detector crashed")
    assert store.read_table(KEY).equals(table([7]))
    assert stored_keys(store) == [KEY]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("read", [lambda s, k: s.read_table(k), lambda s, k: next(s.iter_batches(k, 10))])
def test_missing_table_raises_artifact_not_found(store, read):
    with pytest.raises(ArtifactNotFound, match=f"artifact missing: {KEY}"):
        read(store, KEY)


@pytest.mark.parametrize("value", [[], [{"cluster_id": "c00001", "cast_name": "Lisa"}], {"a": 1.5, "b": None}])
def test_json_round_trip(store, value):
    store.write_json("episodes/rhobh-s01e01/manual.json", value)
    assert store.read_json("episodes/rhobh-s01e01/manual.json") == value


@pytest.mark.parametrize("default", [None, [], {"x": 1}])
def test_read_json_default_for_missing(store, default):
    assert store.read_json("episodes/rhobh-s01e01/nothing.json", default=default) == default


def test_failed_json_write_keeps_the_older_version(store, tmp_path):
    store.write_json("a/b.json", [1])
    with pytest.raises(TypeError):
        store.write_json("a/b.json", [object()])
    assert store.read_json("a/b.json") == [1]
    assert stored_keys(store) == ["a/b.json"]
    assert leftovers(tmp_path) == []


def test_delete(store):
    store.write_json("a/b.json", [1])
    store.delete("a/b.json")
    store.delete("a/b.json")
    assert not store.exists("a/b.json")


@pytest.mark.parametrize("name", ["rhobh-s01e01.mp4", "rhobh-s01e01.mkv"])
def test_find_video(store, tmp_path, name):
    put_bytes(store, f"videos/{name}", b"video", tmp_path)
    found = store.find_video("rhobh-s01e01")
    assert found.name == name and found.read_bytes() == b"video"


@pytest.mark.parametrize("present", [[], ["rhobh-s01e02.mp4"], ["rhobh-s01e01.txt"], ["rhobh-s01e01x.mp4"]])
def test_find_video_missing(store, tmp_path, present):
    for name in present:
        put_bytes(store, f"videos/{name}", b"x", tmp_path)
    with pytest.raises(ArtifactNotFound, match="no video for episode rhobh-s01e01 under "):
        store.find_video("rhobh-s01e01")


def test_find_video_follows_a_replaced_video(store, tmp_path):
    first, second = tmp_path / "first.mp4", tmp_path / "second.mp4"
    first.write_bytes(b"first cut")
    second.write_bytes(b"the director's cut")
    store.put_video("rhobh-s01e01", first)
    assert store.find_video("rhobh-s01e01").read_bytes() == b"first cut"
    store.put_video("rhobh-s01e01", second)
    assert store.find_video("rhobh-s01e01").read_bytes() == b"the director's cut"


def test_put_video_keeps_one_video_per_episode(store, tmp_path):
    (tmp_path / "cut.MKV").write_bytes(b"mkv")
    (tmp_path / "cut.mp4").write_bytes(b"mp4")
    assert store.put_video("rhobh-s01e01", tmp_path / "cut.MKV") == "videos/rhobh-s01e01.mkv"
    assert store.put_video("rhobh-s01e01", tmp_path / "cut.mp4") == "videos/rhobh-s01e01.mp4"
    assert [v.key for v in store.list_videos()] == ["videos/rhobh-s01e01.mp4"]
    assert store.find_video("rhobh-s01e01").read_bytes() == b"mp4"


def test_list_videos(store, tmp_path):
    before = time.time()
    for name in ("rhobh-s01e02.mkv", "rhobh-s01e01.mp4", "notes.txt", "Bad Name.mov"):
        put_bytes(store, f"videos/{name}", b"x", tmp_path)
    put_bytes(store, "episodes/rhobh-s01e03/clip.mp4", b"x", tmp_path)
    videos = store.list_videos()
    assert [(v.ep_id, v.key) for v in videos] == [
        ("Bad Name", "videos/Bad Name.mov"),
        ("rhobh-s01e01", "videos/rhobh-s01e01.mp4"),
        ("rhobh-s01e02", "videos/rhobh-s01e02.mkv"),
    ]
    assert all(before - 2 <= v.mtime <= time.time() + 2 for v in videos)


def test_list_videos_when_there_are_none(store):
    assert store.list_videos() == []


def test_local_put_video_links_rather_than_copies(tmp_path):
    store = ArtifactStore(root=str(tmp_path / "root"))
    (tmp_path / "episode.mp4").write_bytes(b"video")
    key = store.put_video("rhobh-s01e01", tmp_path / "episode.mp4")
    assert store.path(key).samefile(tmp_path / "episode.mp4")
    assert store.find_video("rhobh-s01e01") == store.path(key)
    assert store.put_video("rhobh-s01e01", store.path(key)) == key  # already in place
    assert files_under(tmp_path / "root") == ["videos/rhobh-s01e01.mp4"]


def test_s3_prefix_keeps_the_same_keys(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    store = s3_server.store(bucket, prefix="/tenant-a/", cache_dir=str(tmp_path / "cache"))
    store.write_table(KEY, table([1]))
    (tmp_path / "v.mp4").write_bytes(b"v")
    store.put_video("rhobh-s01e01", tmp_path / "v.mp4")
    assert s3_server.keys(bucket) == [f"tenant-a/{KEY}", "tenant-a/videos/rhobh-s01e01.mp4"]
    assert [v.key for v in store.list_videos()] == ["videos/rhobh-s01e01.mp4"]
    assert store.location(KEY) == f"s3://{bucket}/tenant-a/{KEY}"
    assert store.read_table(KEY).equals(table([1]))


def test_settings_choose_local_storage_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("STORAGE_BACKEND", raising=False)
    monkeypatch.setenv("STORAGE_ROOT", str(tmp_path))
    store = artifact_store()
    assert isinstance(store, ArtifactStore) and store.root == str(tmp_path)


def test_settings_choose_s3(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_BUCKET", "artifacts")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    store = artifact_store("/ignored")
    assert isinstance(store, S3ArtifactStore)
    assert (store.bucket, store.prefix, store.s3.endpoint_url) == ("artifacts", "", "http://127.0.0.1:9000")


def test_s3_without_a_bucket_is_refused(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.delenv("S3_BUCKET", raising=False)
    with pytest.raises(SettingsError, match="STORAGE_BACKEND=s3 needs S3_BUCKET"):
        artifact_store()


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def orphan(folder: Path, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a table")
    return path


def test_a_write_sweeps_the_orphans_of_earlier_writes_of_the_same_artifact(store, tmp_path):
    folder = tmp_path / "root" / "episodes/rhobh-s01e01" if isinstance(store, ArtifactStore) else tmp_path / "scratch"
    dead = orphan(folder, f".faces.parquet.{dead_pid()}-{uuid.uuid4().hex}.tmp" if isinstance(store, ArtifactStore) else f"screanalytics-{dead_pid()}-x.parquet")
    live = orphan(folder, f".faces.parquet.{os.getppid()}-{uuid.uuid4().hex}.tmp" if isinstance(store, ArtifactStore) else f"screanalytics-{os.getppid()}-y.parquet")
    store.write_table(KEY, table([1, 2]))
    assert not dead.exists() and live.exists()  # a writer still running keeps its file
    assert store.read_table(KEY).column("face_id").to_pylist() == [1, 2]


def test_sweeping_removes_only_orphaned_temporaries(tmp_path):
    root = tmp_path / "root"
    dead = orphan(root, f"episodes/a/.faces.parquet.{dead_pid()}-{uuid.uuid4().hex}.tmp")
    live = orphan(root, f"episodes/a/.crops.parquet.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    old = orphan(root, f"episodes/b/.groups.parquet.{uuid.uuid4().hex}.tmp")  # an earlier release's name: no pid
    recent = orphan(root, f"episodes/b/.tracks.parquet.{uuid.uuid4().hex}.tmp")
    artifact = orphan(root, "episodes/a/faces.parquet")
    past = time.time() - MAX_AGE_S - 60
    os.utime(old, (past, past))
    assert ArtifactStore(root=str(root)).sweep_temporaries() == 2
    assert [p.exists() for p in (dead, live, old, recent, artifact)] == [False, True, False, True, True]


def test_sweep_leaves_folders_and_other_files_alone(tmp_path):
    cache = tmp_path / "screanalytics-cache"
    cache.mkdir()
    past = time.time() - MAX_AGE_S - 60
    os.utime(cache, (past, past))
    other = orphan(tmp_path, "notes.txt")
    assert sweep(tmp_path.iterdir()) == 0
    assert cache.is_dir() and other.exists()
