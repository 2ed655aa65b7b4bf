"""The pipeline on the S3 backend (a moto server on loopback): the same artifacts as on local disk, atomic per object."""

import importlib

import pytest
from conftest import TEST_EPISODE
from dagster import DagsterInstance, materialize
from test_assets import CONTRACT

from screanalytics_dagster.orchestration.failures import step_error
from screanalytics_dagster.orchestration.in_process import process_episode
from screanalytics_dagster.orchestration.repository import resources
from screanalytics_dagster.resources.artifacts import BY_NAME, SCREENTIME
from screanalytics_dagster.vision import tables

pytestmark = pytest.mark.pipeline



@pytest.fixture
def s3_store(s3_server, tmp_path):
    return s3_server.store(s3_server.new_bucket(), cache_dir=str(tmp_path / "cache"))


def test_s3_run_gives_the_local_artifacts_and_screen_time(processed_episode, sample_episode, s3_server, s3_store, tmp_path):
    s3_store.put_video(TEST_EPISODE, sample_episode.video_path)
    screentime = process_episode(TEST_EPISODE, tmp_path / "root", instance=DagsterInstance.ephemeral(), store=s3_store)
    assert screentime.equals(processed_episode.store.read_table(SCREENTIME.key(TEST_EPISODE)))
    stored = s3_server.keys(s3_store.bucket)
    assert {BY_NAME[name].key(TEST_EPISODE) for name in CONTRACT} <= set(stored)
    assert f"videos/{TEST_EPISODE}.mp4" in stored
    for name in CONTRACT:
        key = BY_NAME[name].key(TEST_EPISODE)
        assert s3_store.read_table(key).equals(processed_episode.store.read_table(key)), name
    assert not (tmp_path / "root" / "episodes").exists()


def test_a_failing_faces_step_leaves_the_previous_objects(s3_server, s3_store, sample_episode, monkeypatch):
    s3_store.put_video(TEST_EPISODE, sample_episode.video_path)
    previous = {name: schema.empty_table() for name, schema in (("faces.parquet", tables.FACES), ("crops.parquet", tables.CROPS))}
    for name, table in previous.items():
        s3_store.write_table(BY_NAME[name].key(TEST_EPISODE), table)
    etags = {key: s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)["ETag"] for key in s3_server.keys(s3_store.bucket)}
    faces_module = importlib.import_module("screanalytics_dagster.assets.faces")  # the package exports the asset under the same name
    real_detect_faces = faces_module.detect_faces

    def crash_after_one_batch(*args, **kwargs):
        batches = real_detect_faces(*args, **kwargs)
        yield next(batches)
        raise RuntimeError("decoder died")

    monkeypatch.setattr(faces_module, "detect_faces", crash_after_one_batch)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("episodes", [TEST_EPISODE])
    result = materialize([faces_module.faces], partition_key=TEST_EPISODE, instance=instance, resources=resources(store=s3_store), raise_on_error=False)
    assert not result.success
    assert step_error(next(e for e in result.all_events if e.is_step_failure)) == "decoder died"
    for name, table in previous.items():
        assert s3_store.read_table(BY_NAME[name].key(TEST_EPISODE)).equals(table)
    assert {key: s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)["ETag"] for key in etags} == etags
    assert [key for key in s3_server.keys(s3_store.bucket) if key not in etags and not key.startswith("runs/")] == []
