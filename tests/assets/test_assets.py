"""The six assets: the artifact contract, metadata, checks, manual names and the show facebank."""

import os
import re
import shutil
import threading

import numpy as np
import pyarrow as pa
import pytest
from conftest import SPLIT_PEOPLE, Processed, link_video, make_episode
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance, build_asset_context, materialize

from screanalytics_dagster.assets import episode_assets, groups, screentime
from screanalytics_dagster.assets.screentime import SHORT_PERSON_S, ScreentimeConfig
from screanalytics_dagster.definitions import defs
from screanalytics_dagster.orchestration.failures import step_error
from screanalytics_dagster.orchestration.in_process import process_episode, run_operation
from screanalytics_dagster.orchestration.operations import MANUAL_ASSIGN
from screanalytics_dagster.orchestration.repository import resources
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.resources.artifacts import BY_NAME, GROUPS, MANUAL_ASSIGNMENTS
from screanalytics_dagster.resources.facebank import read_facebank
from screanalytics_dagster.vision import tables

pytestmark = pytest.mark.pipeline

JOB_PROGRESS = re.compile(r"of the step, ([0-9.]+)% of the job")

CONTRACT = {
    "faces.parquet": {
        "face_id": pa.int64(), "frame_idx": pa.int64(), "ts": pa.float64(), "x1": pa.float32(),
        "y1": pa.float32(), "x2": pa.float32(), "y2": pa.float32(), "score": pa.float32(),
    },
    "embeddings.parquet": {"face_id": pa.int64(), "embedding": pa.list_(pa.float32(), 512)},
    "tracks.parquet": {"track_id": pa.int64(), "face_ids": pa.list_(pa.int64()), "start_ts": pa.float64(), "end_ts": pa.float64()},
    "clusters.parquet": {"cluster_id": pa.string(), "track_ids": pa.list_(pa.int64())},
    "groups.parquet": {"cluster_id": pa.string(), "person_id": pa.string(), "person_name": pa.string(), "source": pa.string()},
    "screentime.parquet": {"person_id": pa.string(), "person_name": pa.string(), "seconds": pa.float64(), "n_tracks": pa.int64()},
}


def read(p: Processed, name: str) -> pa.Table:
    return p.store.read_table(BY_NAME[name].key(p.ep_id))


def test_definitions_load():
    job = defs.resolve_job_def("process_episode")
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} >= {
        "faces", "embeddings", "tracks", "clusters", "groups", "screentime"
    }
    assert job.partitions_def.name == "episodes"


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_artifacts_follow_the_contract(processed_episode, name):
    schema = read(processed_episode, name).schema
    for column, dtype in CONTRACT[name].items():
        assert schema.field(column).type == dtype, (name, column)


def test_faces_in_at_most_one_track_and_every_track_in_one_cluster(processed_episode):
    face_ids = read(processed_episode, "faces.parquet").column("face_id").to_pylist()
    tracked = [f for fs in read(processed_episode, "tracks.parquet").column("face_ids").to_pylist() for f in fs]
    assert len(tracked) == len(set(tracked)) and set(tracked) <= set(face_ids)
    assert len(tracked) > 0.95 * len(face_ids)
    track_ids = read(processed_episode, "tracks.parquet").column("track_id").to_pylist()
    clustered = [t for ts in read(processed_episode, "clusters.parquet").column("track_ids").to_pylist() for t in ts]
    assert sorted(clustered) == sorted(track_ids)
    groups_table = read(processed_episode, "groups.parquet")
    assert sorted(groups_table.column("cluster_id").to_pylist()) == sorted(read(processed_episode, "clusters.parquet").column("cluster_id").to_pylist())
    assert set(groups_table.column("source").to_pylist()) <= set(tables.SOURCES)


def test_embeddings_are_unit_norm_and_cover_every_face_once(processed_episode):
    table = read(processed_episode, "embeddings.parquet")
    vectors = tables.embedding_matrix(table.column("embedding"))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    covered = [f for fs in table.column("covers").to_pylist() for f in fs]
    assert sorted(covered) == sorted(read(processed_episode, "faces.parquet").column("face_id").to_pylist())
    assert len(table) < len(covered)  # near-duplicates were skipped


def test_tracks_never_cross_a_shot_cut(processed_episode):
    faces = read(processed_episode, "faces.parquet")
    shot_of = dict(zip(faces.column("face_id").to_pylist(), faces.column("shot_id").to_pylist()))
    for face_ids in read(processed_episode, "tracks.parquet").column("face_ids").to_pylist():
        assert len({shot_of[f] for f in face_ids}) == 1


def test_no_temporary_files_left(processed_episode):
    assert not [p for p in processed_episode.root.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "asset, keys",
    [
        ("faces", {"n_faces", "model_pack", "sample_fps", "seconds", "realtime_factor", "cpu_utilisation", "detect_workers"}),
        ("embeddings", {"n_embedded", "skipped_fraction", "model_pack", "seconds"}),
        ("tracks", {"n_tracks", "faces_per_track_median", "iou_min", "seconds"}),
        ("clusters", {"n_clusters", "singleton_fraction", "largest_cluster_fraction", "threshold"}),
        ("groups", {"n_persons", "n_manual", "n_facebank", "n_auto", "merge_threshold"}),
        ("screentime", {"n_persons", "total_seconds", "gap_tolerance"}),
    ],
)

def test_materializations_record_metadata(processed_episode, asset, keys):
    event = processed_episode.instance.get_latest_materialization_event(AssetKey(asset))
    assert event.dagster_event.partition == processed_episode.ep_id
    assert keys <= set(event.asset_materialization.metadata)


def test_faces_records_its_use_of_the_cores(processed_episode):
    metadata = processed_episode.instance.get_latest_materialization_event(AssetKey("faces")).asset_materialization.metadata
    assert metadata["detect_workers"].value == os.cpu_count()
    assert 0 < metadata["cpu_utilisation"].value <= 1.0  # a share of all the cores


@pytest.mark.parametrize("asset, check", [
    ("faces", "faces_found"), ("tracks", "short_track_fraction"), ("clusters", "singleton_fraction"), ("clusters", "largest_cluster_fraction"),
    ("groups", "no_look_alike_persons"), ("groups", "no_unclear_persons"),
])
def test_asset_checks_pass_on_the_sample(processed_episode, asset, check):
    assert check_evaluation(processed_episode, asset, check).passed


def check_evaluation(p: Processed, asset: str, check: str):
    key = AssetCheckKey(AssetKey(asset), check)
    return p.instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key].event.dagster_event.event_specific_data


def test_quality_checks_warn_of_split_people_and_short_persons(copied_episode):
    p = copied_episode
    run_operation(p.ep_id, "recluster", p.root, SPLIT_PEOPLE, instance=p.instance)
    alike = check_evaluation(p, "groups", "no_look_alike_persons")
    assert not alike.passed and alike.severity == AssetCheckSeverity.WARN
    assert alike.metadata["n_look_alike"].value > 0
    short = check_evaluation(p, "screentime", "no_short_persons")
    seconds = read(p, "screentime.parquet").column("seconds").to_pylist()
    assert short.metadata["n_short"].value == sum(s < SHORT_PERSON_S for s in seconds)
    assert short.passed == (short.metadata["n_short"].value == 0)


def test_quality_checks_warn_of_persons_never_seen_clearly(copied_episode):
    p = copied_episode
    embedded = read(p, "embeddings.parquet")
    p.store.write_table(BY_NAME["embeddings.parquet"].key(p.ep_id), embedded.set_column(
        embedded.schema.get_field_index("clear"), "clear", pa.array([False] * len(embedded))))
    assert rematerialize_groups(p).success
    unclear = check_evaluation(p, "groups", "no_unclear_persons")
    assert not unclear.passed and unclear.severity == AssetCheckSeverity.WARN
    persons = {g["person_id"] for g in read(p, "groups.parquet").to_pylist()}
    assert unclear.metadata["n_unclear"].value == len(persons) > 0


def test_screentime_gap_tolerance_is_configurable(copied_episode):
    default_total = read(copied_episode, "screentime.parquet").column("seconds").to_numpy().sum()
    context = build_asset_context(partition_key=copied_episode.ep_id)
    strict = screentime(context, ScreentimeConfig(gap_tolerance=0.0, shot_gap_tolerance=0.0), copied_episode.store)
    assert 0 < strict.metadata["total_seconds"] <= default_total + 1e-6
    assert read(copied_episode, "screentime.parquet").column("seconds").to_numpy().sum() == pytest.approx(strict.metadata["total_seconds"])


def rematerialize_groups(p: Processed):
    p.instance.add_dynamic_partitions("episodes", [p.ep_id])
    return materialize([groups, screentime], partition_key=p.ep_id, instance=p.instance, resources=resources(p.store.root))


def test_manual_name_reaches_screentime_and_the_facebank(copied_episode):
    largest = read(copied_episode, "clusters.parquet").column("cluster_id")[0].as_py()
    copied_episode.store.write_json(MANUAL_ASSIGNMENTS.key(copied_episode.ep_id), [{"cluster_id": largest, "cast_name": "Lisa Vanderpump"}])
    assert rematerialize_groups(copied_episode).success
    grouped = read(copied_episode, "groups.parquet").select(["cluster_id", "person_id", "person_name", "source"]).to_pylist()
    assert {"cluster_id": largest, "person_id": "lisa-vanderpump", "person_name": "Lisa Vanderpump", "source": "manual"} in grouped  # a name of manual_assignments.json (earlier releases)
    names = read(copied_episode, "screentime.parquet").column("person_name").to_pylist()
    assert "Lisa Vanderpump" in names
    bank = read_facebank(copied_episode.store, "testshow")
    assert bank.column("person_name").to_pylist() == ["Lisa Vanderpump"]


def test_facebank_names_the_same_person_in_the_next_episode(copied_episode, tmp_path_factory):
    largest = read(copied_episode, "clusters.parquet").column("cluster_id")[0].as_py()
    copied_episode.store.write_json(MANUAL_ASSIGNMENTS.key(copied_episode.ep_id), [{"cluster_id": largest, "cast_name": "Lisa Vanderpump"}])
    assert rematerialize_groups(copied_episode).success
    next_ep = "testshow-s01e02"
    episode = make_episode(tmp_path_factory.mktemp("samples2"), next_ep, seconds=30.0, seed=1)
    link_video(copied_episode.root, next_ep, episode.video_path)
    process_episode(next_ep, copied_episode.root, instance=copied_episode.instance)
    named = [g for g in copied_episode.store.read_table(GROUPS.key(next_ep)).to_pylist() if g["person_name"]]
    assert named and {g["person_name"] for g in named} == {"Lisa Vanderpump"}
    assert {g["source"] for g in named} == {"facebank"}


def test_missing_video_fails_the_faces_step_with_a_clear_message(tmp_path):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("episodes", ["ghost-s01e01"])
    result = materialize(episode_assets[:1], partition_key="ghost-s01e01", instance=instance, resources=resources(str(tmp_path)), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert step_error(failure).startswith("no video for episode ghost-s01e01")
    assert not (tmp_path / "episodes" / "ghost-s01e01" / "faces.parquet").exists()


SHOW_WRITES = threading.Barrier(2, timeout=120)


class MeetingStore(ArtifactStore):
    """Holds each write under `shows/` until both runs reach theirs: both have read the facebank before either writes."""

    def write_table(self, key: str, table: pa.Table) -> None:
        if key.startswith("shows/"):
            SHOW_WRITES.wait()
        super().write_table(key, table)


def test_two_episodes_of_one_show_named_at_once_both_reach_the_facebank(copied_episode):
    """Each episode writes only its own exemplars, so neither run overwrites the other's names."""
    second = "testshow-s01e02"
    shutil.copytree(copied_episode.root / "episodes" / copied_episode.ep_id, copied_episode.root / "episodes" / second)
    largest = read(copied_episode, "clusters.parquet").column("cluster_id")[0].as_py()
    names = {copied_episode.ep_id: "Lisa Vanderpump", second: "Kyle Richards"}
    store, failures = MeetingStore(root=copied_episode.store.root), []
    SHOW_WRITES.reset()

    def name(ep_id: str) -> None:
        try:
            config = {"ops": {"groups": {"config": {"assignments": [{"cluster_id": largest, "cast_name": names[ep_id]}]}}}}
            with DagsterInstance.ephemeral() as instance:  # made and closed in this thread, as SQLite requires
                run_operation(ep_id, MANUAL_ASSIGN.name, copied_episode.root, config, instance=instance, store=store)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=name, args=(ep_id,)) for ep_id in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    bank = read_facebank(copied_episode.store, "testshow")
    assert sorted(zip(bank.column("episode").to_pylist(), bank.column("person_name").to_pylist())) == sorted(names.items())


def test_every_step_reports_the_jobs_progress_and_it_never_goes_back(processed_episode):
    run_id = processed_episode.instance.get_latest_materialization_event(AssetKey("faces")).run_id
    reports = [(r.step_key, float(m.group(1))) for r in processed_episode.instance.all_logs(run_id) if (m := JOB_PROGRESS.search(r.user_message or ""))]
    assert list(dict.fromkeys(step for step, _ in reports)) == [a.key.to_user_string() for a in episode_assets]  # each step, in order
    fractions = [fraction for _, fraction in reports]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 100
