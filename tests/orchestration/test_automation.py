"""The sensor that registers and processes new episode videos, and the nightly schedule that refreshes stale episodes."""

import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Processed
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    build_schedule_context,
    build_sensor_context,
)

from screanalytics_dagster.definitions import defs
from screanalytics_dagster.orchestration.operations import PROCESS, operation
from screanalytics_dagster.orchestration.schedules import expected_parameters, nightly_reprocess, recorded_parameters
from screanalytics_dagster.orchestration.sensors import new_episode_videos
from screanalytics_dagster.orchestration.staleness import WRITER, Refresh, refresh_needed
from screanalytics_dagster.resources import ArtifactStore, BaseArtifactStore, FaceModels
from screanalytics_dagster.resources.artifacts import BY_NAME, FACES
from screanalytics_dagster.vision.faces import DET_THRESH

pytestmark = pytest.mark.pipeline

NIGHT = datetime(2025, 1, 2, 3, 0, tzinfo=UTC)
PACK = "scrfd_500m_bnkps+w600k_mbf"
EXPECTED = {"faces": {"model_pack": PACK, "sample_fps": 5.0, "det_thresh": DET_THRESH, "det_long_side": 640}, "embeddings": {"model_pack": PACK}}


@dataclass
class VideoFolder:
    """Fake episode videos (a few bytes: the sensor never decodes them) put into a store."""

    store: BaseArtifactStore
    scratch: Path
    clock: float | None  # mtime of the next local files; None: the store's own clock (S3: whole seconds)

    def put(self, *names: str) -> None:
        for name in names:
            source = self.scratch / uuid.uuid4().hex
            source.write_bytes(b"not a video")
            self.store.put_file(f"videos/{name}", source)
            if self.clock is not None:
                os.utime(self.store.path(f"videos/{name}"), (self.clock, self.clock))

    def advance(self) -> None:
        """Later puts get a later modification time."""
        if self.clock is None:
            time.sleep(1.1)
        else:
            self.clock += 60


@pytest.fixture(params=["local", "s3"])
def videos(request, tmp_path) -> VideoFolder:
    if request.param == "local":
        return VideoFolder(ArtifactStore(root=str(tmp_path / "root")), tmp_path, 1_700_000_000.0)
    s3_server = request.getfixturevalue("s3_server")
    return VideoFolder(s3_server.store(s3_server.new_bucket()), tmp_path, None)


@pytest.fixture
def instance(tmp_path):
    """A persistent instance: a schedule's context reopens its instance by reference."""
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        yield instance


def tick(instance: DagsterInstance, store: BaseArtifactStore, cursor: str | None = None):
    """One sensor tick, with its partition requests applied as the daemon applies them."""
    # an instance reference, as the daemon gives, lets the tick check its partition keys
    with build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources={"store": store}, repository_def=defs.get_repository_def()) as context:
        result = new_episode_videos.evaluate_tick(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def requested(result) -> set[str]:
    return {r.partition_key for r in result.run_requests}


def test_sensor_registers_every_video_and_processes_only_new_or_replaced_ones(videos, instance, capfd):
    videos.put("rhobh-s01e01.mp4")
    videos.advance()
    videos.put("rhobh-s01e02.mp4", "rhobh-s01e03.mkv", "rhobh-s01e04.mp4", "Trailer.mp4", "rhobh-s01e05.txt")

    first = tick(instance, videos.store)
    assert requested(first) == {"rhobh-s01e02", "rhobh-s01e03", "rhobh-s01e04"}  # the newest few, not the older one
    assert set(instance.get_dynamic_partitions("episodes")) == {"rhobh-s01e01", "rhobh-s01e02", "rhobh-s01e03", "rhobh-s01e04"}
    assert all(PROCESS.tags(r.partition_key).items() <= r.tags.items() for r in first.run_requests)
    assert "skipped video 'Trailer'" in capfd.readouterr().err

    second = tick(instance, videos.store, first.cursor)
    assert not second.run_requests and not second.dynamic_partitions_requests

    videos.put("rhobh-s01e06.mp4")
    third = tick(instance, videos.store, second.cursor)
    assert requested(third) == {"rhobh-s01e06"}
    assert "rhobh-s01e06" in instance.get_dynamic_partitions("episodes")

    videos.advance()
    videos.put("rhobh-s01e02.mp4")  # replaced
    fourth = tick(instance, videos.store, third.cursor)
    assert requested(fourth) == {"rhobh-s01e02"} and not fourth.dynamic_partitions_requests
    earlier_keys = {r.run_key for result in (first, third) for r in result.run_requests}
    assert fourth.run_requests[0].run_key not in earlier_keys

    assert not tick(instance, videos.store, fourth.cursor).run_requests
    assert "Trailer" not in instance.get_dynamic_partitions("episodes")


def test_first_tick_passes_over_processed_episodes(tmp_path, instance):
    store = ArtifactStore(root=str(tmp_path / "root"))
    folder = VideoFolder(store, tmp_path, 1_700_000_000.0)
    for n in range(1, 6):
        folder.put(f"rhobh-s01e0{n}.mp4")
        folder.advance()
    for name in WRITER:
        store.write_json(BY_NAME[name].key("rhobh-s01e05"), {})  # any content: only existence counts
    result = tick(instance, store)
    assert requested(result) == {"rhobh-s01e04", "rhobh-s01e03", "rhobh-s01e02"}


@pytest.mark.parametrize(
    "missing, recorded, expected",
    [
        ([], {}, None),
        ([], {"faces": EXPECTED["faces"], "embeddings": EXPECTED["embeddings"]}, None),
        ([], {"faces": {"model_pack": PACK}}, None),  # parameters not recorded are not compared
        (["crops.parquet"], {}, Refresh("process", ("crops.parquet missing",))),
        (["embeddings.parquet"], {}, Refresh("reembed", ("embeddings.parquet missing",))),
        (["tracks.parquet", "screentime.parquet"], {}, Refresh("split_tracks", ("tracks.parquet missing", "screentime.parquet missing"))),
        (["clusters.parquet"], {}, Refresh("recluster", ("clusters.parquet missing",))),
        (["screentime.parquet"], {}, Refresh("auto_group", ("screentime.parquet missing",))),
        ([], {"faces": {"sample_fps": 2.0}}, Refresh("process", ("faces made with sample_fps=2.0, now 5.0",))),
        (
            [],
            {"embeddings": {"model_pack": "det_10g+w600k_r50"}},
            Refresh("reembed", (f"embeddings made with model_pack='det_10g+w600k_r50', now '{PACK}'",)),
        ),
        (
            ["groups.parquet"],
            {"faces": {"det_long_side": 960}},
            Refresh("process", ("groups.parquet missing", "faces made with det_long_side=960, now 640")),
        ),
    ],
)
def test_refresh_needed(missing, recorded, expected):
    assert refresh_needed(missing, recorded, EXPECTED) == expected


def register(instance: DagsterInstance, processed: Processed, **changed: dict) -> None:
    """Register the processed episode in instance with its latest faces and embeddings materializations, changed as given."""
    instance.add_dynamic_partitions("episodes", [processed.ep_id])
    for asset in ("faces", "embeddings"):
        record = processed.instance.fetch_materializations(AssetRecordsFilter(AssetKey(asset), [processed.ep_id]), limit=1).records[0]
        metadata = {**record.asset_materialization.metadata, **changed.get(asset, {})}
        instance.report_runless_asset_event(AssetMaterialization(asset, partition=processed.ep_id, metadata=metadata))


def nightly(instance: DagsterInstance, store: BaseArtifactStore, models: FaceModels | None = None):
    """Evaluate the schedule's tick at NIGHT as the daemon would: (run requests, skip message)."""
    resources = {"store": store, "models": models or FaceModels()}
    with build_schedule_context(instance=instance, scheduled_execution_time=NIGHT, resources=resources, repository_def=defs.get_repository_def()) as context:
        data = nightly_reprocess.evaluate_tick(context)
    return data.run_requests, data.skip_message


def test_the_processed_episode_records_the_current_parameters(processed_episode):
    recorded = recorded_parameters(processed_episode.instance, processed_episode.ep_id, list(EXPECTED))
    assert {asset: {name: recorded[asset][name] for name in params} for asset, params in EXPECTED.items()} == EXPECTED
    assert expected_parameters(FaceModels()) == EXPECTED


def test_nightly_requests_nothing_for_an_up_to_date_episode(processed_episode, instance):
    register(instance, processed_episode)
    requests, skipped = nightly(instance, processed_episode.store)
    assert requests == [] and "up to date" in skipped


@pytest.mark.parametrize(
    "deleted, name",
    [("faces.parquet", "process"), ("crops.parquet", "process"), ("embeddings.parquet", "reembed"), ("clusters.parquet", "recluster"), ("screentime.parquet", "auto_group")],
)

def test_nightly_runs_the_cheapest_operation_that_restores_a_missing_artifact(processed_episode, copied_episode, instance, deleted, name):
    ep_id = copied_episode.ep_id
    register(instance, processed_episode)
    copied_episode.store.delete(BY_NAME[deleted].key(ep_id))
    (request,), _ = nightly(instance, copied_episode.store)
    assert request.partition_key == ep_id
    assert request.run_key == f"{ep_id}-{name}-2025-01-02"
    assert operation(name).tags(ep_id).items() <= request.tags.items()
    assert {key.to_user_string() for key in request.asset_selection} == operation(name).assets()


def test_nightly_processes_again_an_episode_made_with_another_model_pack(processed_episode, instance, capfd):
    register(instance, processed_episode, faces={"model_pack": "det_10g+w600k_r50"}, embeddings={"model_pack": "det_10g+w600k_r50"})
    (request,), _ = nightly(instance, processed_episode.store)
    assert request.run_key == f"{processed_episode.ep_id}-process-2025-01-02"
    assert f"{processed_episode.ep_id}: process because faces made with model_pack='det_10g+w600k_r50'" in capfd.readouterr().err


def test_nightly_processes_again_when_the_detection_defaults_change(processed_episode, instance, capfd):
    register(instance, processed_episode, faces={"sample_fps": 2.0})
    (request,), _ = nightly(instance, processed_episode.store, FaceModels(det_long_side=960))
    assert request.tags["operation"] == "process"
    assert "faces made with sample_fps=2.0, now 5.0; faces made with det_long_side=640, now 960" in capfd.readouterr().err


def test_nightly_leaves_an_episode_with_an_active_run_alone(processed_episode, copied_episode, instance):
    register(instance, processed_episode)
    copied_episode.store.delete(FACES.key(copied_episode.ep_id))
    instance.add_run(DagsterRun(job_name="process_episode", status=DagsterRunStatus.STARTED, tags={"dagster/partition": copied_episode.ep_id}))
    requests, _ = nightly(instance, copied_episode.store)
    assert requests == []


def test_sensor_and_schedule_are_registered_and_off_by_default():
    repository = defs.get_repository_def()
    assert repository.get_sensor_def("new_episode_videos").default_status.value == "STOPPED"
    assert repository.get_schedule_def("nightly_reprocess").default_status.value == "STOPPED"
    assert AssetKey("faces") in defs.resolve_job_def("process_episode").asset_layer.executable_asset_keys
