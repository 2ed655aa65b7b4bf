"""Reviewers' actions through the API (Redis down, so each job runs here): suggestions, same, not the same, not a face,
unname, moved tracks and undo, all surviving a re-clustering."""

import pytest
from conftest import SPLIT_PEOPLE, TEST_EPISODE
from fastapi.testclient import TestClient
from ui_fixtures import DEAD_REDIS, copy_root

from screanalytics_dagster.api import create_app
from screanalytics_dagster.orchestration.in_process import run_operation
from screanalytics_dagster.settings import Settings

pytestmark = pytest.mark.stack


def serve(root) -> TestClient:
    client = TestClient(create_app(Settings(storage_root=str(root), redis_url=DEAD_REDIS)))
    assert client.post("/episodes", json={"ep_id": TEST_EPISODE, "video_uri": f"videos/{TEST_EPISODE}.mp4"}).status_code in (200, 201)
    return client


@pytest.fixture
def api(processed_episode, tmp_path, monkeypatch):
    """The API over a copy of the processed test episode (one cluster per person)."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return serve(copy_root(processed_episode.root, tmp_path / "root"))


@pytest.fixture
def split_api(processed_episode, tmp_path, monkeypatch):
    """The same, each person split in several clusters."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    root = copy_root(processed_episode.root, tmp_path / "root")
    run_operation(TEST_EPISODE, "recluster", root, SPLIT_PEOPLE)
    return serve(root)


def clusters(api) -> dict[str, dict]:
    return {c["cluster_id"]: c for c in api.get(f"/episodes/{TEST_EPISODE}/clusters").json()}


def review(api, cluster_id: str, **body) -> dict:
    answer = api.post(f"/episodes/{TEST_EPISODE}/clusters/{cluster_id}/review_async", json=body)
    assert answer.status_code == 200 and answer.json()["status"] == "success", answer.text
    return answer.json()


def name(api, cluster_id: str, cast_name: str) -> None:
    answer = api.post(f"/episodes/{TEST_EPISODE}/clusters/batch_assign_async", json={"assignments": [{"cluster_id": cluster_id, "cast_name": cast_name}]})
    assert answer.status_code == 200, answer.text


def undo(api) -> dict:
    answer = api.post(f"/episodes/{TEST_EPISODE}/review/undo_async")
    assert answer.status_code == 200, answer.text
    return answer.json()


def persons_on_screen(api) -> set[str]:
    return {row["person_id"] for row in api.get(f"/episodes/{TEST_EPISODE}/screentime").json()}


def recluster(api) -> None:
    answer = api.post(f"/episodes/{TEST_EPISODE}/clusters/recluster_async")
    assert answer.status_code == 200 and answer.json()["status"] == "success", answer.text


def test_unnamed_clusters_come_with_suggestions_best_first(split_api):
    api = split_api
    shown = clusters(api)
    suggested = [c for c in shown.values() if c["suggestions"]]
    assert suggested, "no cluster has a suggestion"
    for c in suggested:
        sims = [s["similarity"] for s in c["suggestions"]]
        assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)
        assert all(s["person_id"] != c["person_id"] and s["cluster_id"] in shown for s in c["suggestions"])


def test_same_person_from_a_suggestion_names_the_cluster_and_undo_takes_it_back(split_api):
    api = split_api
    shown = clusters(api)
    cid, first = next((c["cluster_id"], c["suggestions"][0]) for c in shown.values() if c["suggestions"])
    name(api, first["cluster_id"], "Kyle Richards")
    answer = review(api, cid, action="same", other_cluster_id=first["cluster_id"])
    assert answer["said"] == f"{cid} named Kyle Richards"
    assert clusters(api)[cid]["person_name"] == "Kyle Richards"
    assert [a["kind"] for a in api.get(f"/episodes/{TEST_EPISODE}/review").json()] == ["name", "name"]
    assert undo(api)["said"] == f"undone: {cid} named Kyle Richards"
    assert clusters(api)[cid]["source"] != "manual"  # auto-grouping at its default threshold may still join the twins
    assert clusters(api)[first["cluster_id"]]["person_name"] == "Kyle Richards"


def test_not_the_same_keeps_two_clusters_apart_and_out_of_each_others_suggestions(split_api):
    api = split_api
    shown = clusters(api)
    cid, first = next((c["cluster_id"], c["suggestions"][0]) for c in shown.values() if c["suggestions"])
    review(api, cid, action="apart", other_cluster_id=first["cluster_id"])
    after = clusters(api)
    assert after[cid]["person_id"] != after[first["cluster_id"]]["person_id"]
    assert first["cluster_id"] not in [s["cluster_id"] for s in after[cid]["suggestions"]]


def test_not_a_face_leaves_screen_time_and_survives_reclustering(api):
    cid = min(clusters(api).values(), key=lambda c: c["size"])["cluster_id"]
    person = clusters(api)[cid]["person_id"]
    review(api, cid, action="not_face")
    assert (clusters(api)[cid]["source"], clusters(api)[cid]["person_name"]) == ("not_face", None)
    assert clusters(api)[cid]["person_id"] not in persons_on_screen(api)
    recluster(api)
    assert clusters(api)[cid]["source"] == "not_face"
    review(api, cid, action="is_face")
    assert clusters(api)[cid]["source"] != "not_face" and clusters(api)[cid]["person_id"] in persons_on_screen(api) | {person}


def test_moved_tracks_become_a_person_of_their_own_and_survive_reclustering(api):
    source = next(c for c in sorted(clusters(api).values(), key=lambda c: -len(c["track_ids"])) if len(c["track_ids"]) >= 2)
    moved = source["track_ids"][-1:]
    review(api, source["cluster_id"], action="move", track_ids=moved)
    for step in ("moved", "reclustered"):
        after = list(clusters(api).values())
        holder = next(c for c in after if moved[0] in c["track_ids"])
        rest = next(c for c in after if source["track_ids"][0] in c["track_ids"])
        assert holder["track_ids"] == moved, step
        assert holder["person_id"] != rest["person_id"], step
        recluster(api)
    undo(api)
    assert any(set(source["track_ids"]) <= set(c["track_ids"]) for c in clusters(api).values())


def test_moved_tracks_take_a_name_and_unname_drops_it(api):
    source = next(c for c in clusters(api).values() if len(c["track_ids"]) >= 2)
    review(api, source["cluster_id"], action="move", track_ids=source["track_ids"][:1], cast_name="Dorit Kemsley")
    holder = next(c for c in clusters(api).values() if source["track_ids"][0] in c["track_ids"])
    assert (holder["person_name"], holder["track_ids"]) == ("Dorit Kemsley", source["track_ids"][:1])
    assert "dorit-kemsley" in persons_on_screen(api)
    review(api, holder["cluster_id"], action="unname")
    assert clusters(api)[holder["cluster_id"]]["person_name"] is None


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ({"action": "same"}, 422, "same needs exactly one of other_cluster_id or cast_name"),
        ({"action": "same", "other_cluster_id": "c99999"}, 404, "unknown cluster c99999"),
        ({"action": "move", "track_ids": [999999]}, 422, "are not in cluster"),
        ({"action": "move"}, 422, "move needs track_ids"),
        ({"action": "not_face", "cast_name": "Lisa"}, 422, "not_face takes no"),
        ({"action": "shrug"}, 422, "action"),
    ],
)
def test_bad_review_actions_say_what_is_wrong_and_change_nothing(api, body, status, reason):
    cid = next(iter(clusters(api)))
    answer = api.post(f"/episodes/{TEST_EPISODE}/clusters/{cid}/review_async", json=body)
    assert answer.status_code == status and reason in answer.json()["detail"], answer.text
    assert api.get(f"/episodes/{TEST_EPISODE}/review").json() == []


def test_review_of_an_unknown_cluster_is_404_and_undo_of_nothing_is_422(api):
    assert api.post(f"/episodes/{TEST_EPISODE}/clusters/c99999/review_async", json={"action": "not_face"}).status_code == 404
    answer = api.post(f"/episodes/{TEST_EPISODE}/review/undo_async")
    assert answer.status_code == 422 and "nothing to undo" in answer.json()["detail"]
