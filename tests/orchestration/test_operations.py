"""The operation jobs: each re-materializes its slice of the graph; manual names outlive re-clustering."""

import pytest
from conftest import Processed

from screanalytics_dagster.definitions import defs
from screanalytics_dagster.orchestration.in_process import PipelineError, run_operation
from screanalytics_dagster.orchestration.operations import OPERATIONS, operation
from screanalytics_dagster.resources.artifacts import CLUSTERS, GROUPS, REVIEW_LOG, SCREENTIME, TRACKS
from screanalytics_dagster.resources.review_log import write_actions
from screanalytics_dagster.vision.review import Action

pytestmark = pytest.mark.pipeline


SLICES = {
    "process": {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"},
    "reembed": {"embeddings", "tracks", "clusters", "groups", "screentime"},
    "split_tracks": {"tracks", "clusters", "groups", "screentime"},
    "recluster": {"clusters", "groups", "screentime"},
    "auto_group": {"groups", "screentime"},
    "manual_assign": {"groups", "screentime"},
    "move_tracks": {"clusters", "groups", "screentime"},
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
    stored = copied_episode.store.read_json(REVIEW_LOG.key(copied_episode.ep_id))
    assert [a["names"][0]["cast_name"] for a in stored] == ["Lisa Vanderpump", "Kyle Richards"] and all(a["names"][0]["face_ids"] for a in stored)

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
    stored = copied_episode.store.read_json(REVIEW_LOG.key(copied_episode.ep_id))
    assert [a["names"][0]["cast_name"] for a in stored] == ["Lisa", "Lisa Vanderpump"]


def test_assigning_an_unknown_cluster_fails_and_keeps_every_artifact(copied_episode):
    before = {p: p.read_bytes() for p in (copied_episode.root / "episodes" / copied_episode.ep_id).iterdir()}
    with pytest.raises(PipelineError, match="unknown in this episode's clustering: c99999"):
        assign(copied_episode, [{"cluster_id": "c99999", "cast_name": "Nobody"}])
    after = {p: p.read_bytes() for p in (copied_episode.root / "episodes" / copied_episode.ep_id).iterdir()}
    assert after == before


def test_moved_tracks_and_not_a_face_survive_split_tracks_and_reembed(copied_episode):
    p = copied_episode
    clusters = p.store.read_table(CLUSTERS.key(p.ep_id)).to_pylist()
    tracks = dict(zip(*(p.store.read_table(TRACKS.key(p.ep_id)).column(c).to_pylist() for c in ("track_id", "face_ids"))))
    source = next(c for c in clusters if len(c["track_ids"]) >= 2)
    moved = tuple(tracks[source["track_ids"][-1]])
    stays = tuple(f for t in source["track_ids"][:-1] for f in tracks[t])
    no_face = next(c for c in reversed(clusters) if c["cluster_id"] != source["cluster_id"])
    write_actions(p.store, p.ep_id, [
        Action("move", "moved", faces=moved, left=stays),
        Action("not_face", "no face", faces=tuple(f for t in no_face["track_ids"] for f in tracks[t])),
    ])
    for op_name in ("move_tracks", "split_tracks", "reembed"):
        run_operation(p.ep_id, op_name, p.root, instance=p.instance)
        now = {c["cluster_id"]: c for c in p.store.read_table(CLUSTERS.key(p.ep_id)).to_pylist()}
        person = {g["cluster_id"]: g for g in p.store.read_table(GROUPS.key(p.ep_id)).to_pylist()}
        faces_of = dict(zip(*(p.store.read_table(TRACKS.key(p.ep_id)).column(c).to_pylist() for c in ("track_id", "face_ids"))))
        cluster_of_face = {f: cid for cid, c in now.items() for t in c["track_ids"] for f in faces_of[t]}
        holder, rest = cluster_of_face[moved[0]], cluster_of_face[stays[0]]
        assert holder != rest and person[holder]["person_id"] != person[rest]["person_id"], op_name
        hidden = cluster_of_face[tracks[no_face["track_ids"][0]][0]]
        assert person[hidden]["source"] == "not_face", op_name
        assert person[hidden]["person_id"] not in {r["person_id"] for r in p.store.read_table(SCREENTIME.key(p.ep_id)).to_pylist()}, op_name
