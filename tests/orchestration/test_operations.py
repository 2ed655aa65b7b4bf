"""The operation jobs: each re-materializes its slice of the graph; manual names outlive re-clustering."""

import pytest
from conftest import Processed

from screanalytics_dagster.definitions import defs
from screanalytics_dagster.orchestration.in_process import PipelineError, run_operation
from screanalytics_dagster.orchestration.operations import OPERATIONS, operation
from screanalytics_dagster.resources.artifacts import CLUSTERS, MANUAL_ASSIGNMENTS, SCREENTIME

pytestmark = pytest.mark.pipeline


SLICES = {
    "process": {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"},
    "reembed": {"embeddings", "tracks", "clusters", "groups", "screentime"},
    "split_tracks": {"tracks", "clusters", "groups", "screentime"},
    "recluster": {"clusters", "groups", "screentime"},
    "auto_group": {"groups", "screentime"},
    "manual_assign": {"groups", "screentime"},
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_job_materializes_its_slice(name):
    job = defs.resolve_job_def(operation(name).job)
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == SLICES[name]
    assert job.tags["operation"] == name
    assert int(job.tags["dagster/max_runtime"]) > 0


def test_unknown_operation_is_named():
    with pytest.raises(ValueError, match="unknown operation 'rename'"):
        operation("rename")


def assign(p: Processed, targets: list[dict]) -> None:
    run_operation(p.ep_id, "manual_assign", p.root, {"ops": {"groups": {"config": {"assignments": targets}}}}, instance=p.instance)


def named_seconds(p: Processed) -> dict[str, float]:
    rows = p.store.read_table(SCREENTIME.key(p.ep_id)).to_pylist()
    return {r["person_name"]: r["seconds"] for r in rows if r["person_name"]}


def test_manual_names_survive_recluster_split_tracks_and_reembed(copied_episode):
    clusters = copied_episode.store.read_table(CLUSTERS.key(copied_episode.ep_id))
    largest, second = clusters.column("cluster_id").to_pylist()[:2]
    assign(copied_episode, [{"cluster_id": largest, "cast_name": "Lisa Vanderpump"}])
    assign(copied_episode, [{"cluster_id": second, "cast_name": "Kyle Richards"}])
    named = named_seconds(copied_episode)
    assert set(named) == {"Lisa Vanderpump", "Kyle Richards"}
    stored = copied_episode.store.read_json(MANUAL_ASSIGNMENTS.key(copied_episode.ep_id))
    assert [a["cast_name"] for a in stored] == ["Lisa Vanderpump", "Kyle Richards"] and all(a["face_ids"] for a in stored)

    for op_name, config in [
        ("recluster", {"clusters": {"config": {"threshold": 0.5}}}),
        ("split_tracks", {"tracks": {"config": {"sim_min": 0.45}}}),
        ("reembed", {}),
    ]:
        run_operation(copied_episode.ep_id, op_name, copied_episode.root, {"ops": config}, instance=copied_episode.instance)
        after = named_seconds(copied_episode)
        assert set(after) == set(named), op_name
        for name, seconds in named.items():
            assert after[name] == pytest.approx(seconds, rel=0.1), (op_name, name)


def test_a_later_assignment_renames_a_cluster(copied_episode):
    largest = copied_episode.store.read_table(CLUSTERS.key(copied_episode.ep_id)).column("cluster_id")[0].as_py()
    assign(copied_episode, [{"cluster_id": largest, "cast_name": "Lisa"}])
    assign(copied_episode, [{"cluster_id": largest, "cast_name": "Lisa Vanderpump"}])
    assert set(named_seconds(copied_episode)) == {"Lisa Vanderpump"}
    stored = copied_episode.store.read_json(MANUAL_ASSIGNMENTS.key(copied_episode.ep_id))
    assert [a["cast_name"] for a in stored] == ["Lisa Vanderpump"]


def test_assigning_an_unknown_cluster_fails_and_keeps_every_artifact(copied_episode):
    before = {p: p.read_bytes() for p in (copied_episode.root / "episodes" / copied_episode.ep_id).iterdir()}
    with pytest.raises(PipelineError, match="unknown in this episode's clustering: c99999"):
        assign(copied_episode, [{"cluster_id": "c99999", "cast_name": "Nobody"}])
    after = {p: p.read_bytes() for p in (copied_episode.root / "episodes" / copied_episode.ep_id).iterdir()}
    assert after == before
