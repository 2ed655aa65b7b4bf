import pyarrow as pa
import pytest

from screanalytics_dagster.resources.storage import ArtifactNotFound, ArtifactStore, episode_key, facebank_key

KEY = "episodes/rhobh-s01e01/faces.parquet"
SCHEMA = pa.schema([("face_id", pa.int64()), ("ts", pa.float64())])


def table(ids):
    return pa.table({"face_id": pa.array(ids, pa.int64()), "ts": pa.array([i / 5 for i in ids], pa.float64())}, schema=SCHEMA)


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(root=str(tmp_path))


def files_under(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def test_keys():
    assert episode_key("rhobh-s01e01", "faces.parquet") == KEY
    assert facebank_key("rhobh") == "shows/rhobh/facebank.parquet"


def test_table_round_trip(store, tmp_path):
    store.write_table(KEY, table([0, 1, 2]))
    assert store.exists(KEY)
    assert store.read_table(KEY).equals(table([0, 1, 2]))
    assert store.read_table(KEY, columns=["ts"]).column_names == ["ts"]
    assert files_under(tmp_path) == [KEY]


def test_table_writer_streams_batches(store):
    with store.table_writer(KEY, SCHEMA) as writer:
        for start in (0, 3, 6):
            writer.write_batch(table(range(start, start + 3)).to_batches()[0])
    assert store.read_table(KEY).column("face_id").to_pylist() == list(range(9))
    assert [b.num_rows for b in store.iter_batches(KEY, batch_size=4)] == [4, 4, 1]


def test_failed_table_writer_leaves_nothing(store, tmp_path):
    with pytest.raises(RuntimeError):
        with store.table_writer(KEY, SCHEMA) as writer:
            writer.write_table(table([0, 1]))
            raise RuntimeError("detector crashed")
    assert not store.exists(KEY)
    assert files_under(tmp_path) == []


def test_failed_table_writer_keeps_the_older_version(store, tmp_path):
    store.write_table(KEY, table([7]))
    with pytest.raises(RuntimeError):
        with store.table_writer(KEY, SCHEMA) as writer:
            writer.write_table(table([0, 1]))
            raise RuntimeError("detector crashed")
    assert store.read_table(KEY).equals(table([7]))
    assert files_under(tmp_path) == [KEY]


@pytest.mark.parametrize("read", [lambda s, k: s.read_table(k), lambda s, k: next(s.iter_batches(k, 10))])
def test_missing_table_raises_artifact_not_found(store, read):
    with pytest.raises(ArtifactNotFound, match=KEY):
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
    assert files_under(tmp_path) == ["a/b.json"]


@pytest.mark.parametrize("name", ["rhobh-s01e01.mp4", "rhobh-s01e01.mkv"])
def test_find_video(store, tmp_path, name):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / name).write_bytes(b"video")
    assert store.find_video("rhobh-s01e01") == tmp_path / "videos" / name


@pytest.mark.parametrize("present", [[], ["rhobh-s01e02.mp4"], ["rhobh-s01e01.txt"]])
def test_find_video_missing(store, tmp_path, present):
    (tmp_path / "videos").mkdir()
    for name in present:
        (tmp_path / "videos" / name).write_bytes(b"x")
    with pytest.raises(ArtifactNotFound, match="rhobh-s01e01"):
        store.find_video("rhobh-s01e01")
