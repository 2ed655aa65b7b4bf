"""The REST facade on one machine: registration, validation, review reads, and the synchronous fallback."""

import json
import uuid

import cv2
import numpy as np
import pytest
from conftest import TEST_EPISODE
from fastapi.testclient import TestClient
from ui_fixtures import DEAD_REDIS, copy_root

from screanalytics_dagster.api import create_app
from screanalytics_dagster.settings import Settings
from screanalytics_dagster.testing.services import redis_server

pytestmark = pytest.mark.stack


@pytest.fixture
def root(processed_episode, tmp_path):
    """A storage root holding the processed test episode (artifacts and video)."""
    return copy_root(processed_episode.root, tmp_path / "root")


@pytest.fixture
def api(root, monkeypatch):
    """The API over root, its Redis down, so cheap jobs run in-process."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return TestClient(create_app(Settings(storage_root=str(root), redis_url=DEAD_REDIS)))


@pytest.fixture
def registered(api):
    answer = api.post("/episodes", json={"ep_id": TEST_EPISODE, "video_uri": f"videos/{TEST_EPISODE}.mp4"})
    assert answer.status_code == 201, answer.text
    return TEST_EPISODE


def test_registration_is_idempotent_and_lists_the_episode_with_its_assets(api, registered):
    again = api.post("/episodes", json={"ep_id": TEST_EPISODE, "video_uri": f"videos/{TEST_EPISODE}.mp4"})
    assert again.status_code == 200
    listed = api.get("/episodes").json()
    assert [e["ep_id"] for e in listed] == [TEST_EPISODE]
    assert listed[0]["video_uri"] == f"videos/{TEST_EPISODE}.mp4"
    assert listed[0]["show"] == "testshow"
    assert set(listed[0]["assets"]) == {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"}
    assert api.get(f"/episodes/{TEST_EPISODE}").json() == listed[0]


def test_operations_are_listed_with_the_paths_that_start_them(api, registered):
    listed = {op["operation"]: op for op in api.get("/operations").json()}
    assert set(listed) == {"process", "reembed", "split_tracks", "recluster", "auto_group", "manual_assign", "move_tracks"}
    assert listed["recluster"]["path"] == "/episodes/{ep_id}/clusters/recluster_async"
    assert {name: op["takes"] for name, op in listed.items() if op["takes"]} == {"manual_assign": "assignments", "move_tracks": "action"}
    assert all(op["title"] and op["doing"] and op["help"] for op in listed.values())
    started = api.post(listed["auto_group"]["path"].format(ep_id=registered))
    assert started.status_code == 200 and started.json()["status"] == "success"  # Redis down: ran here


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"ep_id": "Bad Id", "video_uri": "videos/x.mp4"}, "invalid episode id"),
        ({"ep_id": "rhobh-s01e01", "video_uri": "/etc/passwd.mp4"}, "must be a key inside the storage"),
        ({"ep_id": "rhobh-s01e01", "video_uri": "../outside/v.mp4"}, "must be a key inside the storage"),
        ({"ep_id": "rhobh-s01e01", "video_uri": "https://example.com/v.mp4"}, "must be a key inside the storage"),
        ({"ep_id": "rhobh-s01e01", "video_uri": "videos/notes.txt"}, "is not a video"),
        ({"ep_id": "rhobh-s01e01", "video_uri": "videos/missing.mp4"}, "is not in storage"),
        ({"ep_id": "rhobh-s01e01"}, "video_uri: Field required"),
        ({"ep_id": "rhobh-s01e01", "video_uri": f"videos/{'v' * 5000}.mp4"}, "video_uri: String should have at most 255 characters"),
        ({"ep_id": "r" * 5000, "video_uri": "videos/x.mp4"}, "ep_id: String should have at most 255 characters"),
    ],
)
def test_bad_registrations_are_422_with_the_reason(api, body, reason):
    answer = api.post("/episodes", json=body)
    assert answer.status_code == 422 and reason in answer.json()["detail"], answer.text
    assert api.get("/episodes").json() == []


def test_malformed_json_is_422(api):
    answer = api.post("/episodes", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "JSON decode error" in answer.json()["detail"]


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("get", "/episodes/rhobh-s09e09", 404),
        ("get", "/episodes/NOT-AN-EPISODE", 422),
        ("post", "/episodes/rhobh-s09e09/process_async", 404),
        ("get", "/episodes/rhobh-s09e09/clusters", 404),
        ("get", "/jobs/" + str(uuid.uuid4()), 404),
        ("get", "/celery_jobs/not-a-run-id", 404),
        ("post", "/celery_jobs/" + str(uuid.uuid4()) + "/cancel", 404),
        ("get", "/jobs?state=bogus", 422),
        ("get", "/shows/testshow/people", 404),
        ("get", "/shows/Bad Show/people", 422),
    ],
)
def test_unknown_and_invalid_targets(api, method, path, status):
    answer = getattr(api, method)(path)
    assert answer.status_code == status, answer.text
    assert isinstance(answer.json()["detail"], str)


def test_clusters_come_with_persons_and_decodable_thumbnails(api, registered):
    clusters = api.get(f"/episodes/{registered}/clusters").json()
    assert clusters and all(c["n_thumbnails"] >= 1 and c["size"] > 0 and c["seconds"] > 0 for c in clusters)
    assert all(c["person_id"] and c["source"] in ("manual", "facebank", "auto") for c in clusters)
    first = clusters[0]
    jpeg = api.get(first["thumbnail_url"])
    assert jpeg.status_code == 200 and jpeg.headers["content-type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(jpeg.content, np.uint8), cv2.IMREAD_COLOR).shape == (112, 112, 3)
    assert api.get(f"{first['thumbnail_url']}?index={first['n_thumbnails']}").status_code == 404
    assert api.get(f"/episodes/{registered}/clusters/c99999/thumbnail").status_code == 404


def test_batch_assign_runs_synchronously_when_celery_is_down(api, registered):
    clusters = api.get(f"/episodes/{registered}/clusters").json()
    target = max(clusters, key=lambda c: c["size"])["cluster_id"]
    answer = api.post(f"/episodes/{registered}/clusters/batch_assign_async", json={"assignments": [{"cluster_id": target, "cast_name": "Lisa Vanderpump"}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["async"] is False and body["status"] == "success" and body["message"] == "Executed synchronously (Celery unavailable)"
    assert body["result"]["groups"]["n_manual"] == 1
    named = {c["cluster_id"]: c for c in api.get(f"/episodes/{registered}/clusters").json()}[target]
    assert (named["person_name"], named["source"]) == ("Lisa Vanderpump", "manual")
    assert "Lisa Vanderpump" in [row["person_name"] for row in api.get(f"/episodes/{registered}/screentime").json()]
    people = api.get("/shows/testshow/people").json()
    assert [{k: p[k] for k in ("person_id", "person_name", "episodes")} for p in people] == [
        {"person_id": "lisa-vanderpump", "person_name": "Lisa Vanderpump", "episodes": [registered]}
    ]
    assert api.get(people[0]["thumbnail_url"]).headers["content-type"] == "image/jpeg"
    job = api.get(f"/jobs/{body['job_id']}").json()
    assert job["state"] == "success" and job["operation"] == "manual_assign"
    assert [j["job_id"] for j in api.get(f"/jobs?episode={registered}&state=success").json()] == [body["job_id"]]


def test_timeline_says_who_is_on_screen_when_and_adds_up_to_the_screen_time(api, registered):
    rows = api.get(f"/episodes/{registered}/timeline").json()
    assert rows and [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert all(r["end"] > r["start"] for r in rows)
    for person in api.get(f"/episodes/{registered}/screentime").json():
        spans = [r["end"] - r["start"] for r in rows if r["person_id"] == person["person_id"]]
        assert sum(spans) == pytest.approx(person["seconds"], abs=0.05 * len(spans))
    assert api.get("/episodes/rhobh-s09e09/timeline").status_code == 404


def test_asset_states_follow_the_runs(api, registered, root):
    def states():
        return {name: (a["state"], a["last_run_failed"]) for name, a in api.get(f"/episodes/{registered}").json()["assets"].items()}

    def group():
        return api.post(f"/episodes/{registered}/clusters/group_async").json()["status"]

    assert set(states().values()) == {("missing", False)}
    clusters = root / "episodes" / registered / "clusters.parquet"
    good = clusters.read_bytes()
    clusters.write_bytes(b"not parquet")
    assert group() == "failed"
    assert states()["groups"] == states()["screentime"] == ("failed", True) and states()["clusters"] == ("missing", False)
    clusters.write_bytes(good)
    assert group() == "success"
    assert states() == {
        "faces": ("missing", False), "embeddings": ("missing", False), "tracks": ("missing", False), "clusters": ("missing", False),
        "groups": ("materialized", False), "screentime": ("materialized", False),
    }
    clusters.write_bytes(b"not parquet")
    assert group() == "failed"
    assert states()["groups"] == states()["screentime"] == ("materialized", True)  # the earlier ones are still served


def test_light_jobs_run_synchronously_and_heavy_jobs_are_503_when_celery_is_down(api, registered):
    for path in ("clusters/group_async", "clusters/recluster_async"):
        assert api.post(f"/episodes/{registered}/{path}").json()["status"] == "success", path
    for path in ("process_async", "embeddings/reembed_async", "tracks/split_async"):
        answer = api.post(f"/episodes/{registered}/{path}")
        assert answer.status_code == 503 and "Celery unavailable" in answer.json()["detail"], path


@pytest.mark.parametrize(
    "assignments, reason",
    [
        ([{"cluster_id": "c99999", "cast_name": "Nobody"}], "unknown in testshow-s01e01's clustering: c99999"),
        ([{"track_id": 999999, "cast_name": "Nobody"}], "track 999999"),
        ([{"cluster_id": "c00001", "track_id": 1, "cast_name": "Lisa"}], "exactly one of cluster_id or track_id"),
        ([{"cluster_id": "c00001", "cast_name": "   "}], "cast_name must not be blank"),
        ([], "at least 1 item"),
        ([{"cluster_id": "c00001", "cast_name": "L" * 121}], "cast_name must be at most 120 characters"),
        ([{"cluster_id": "c00001", "cast_name": "Lisa"}, {"cluster_id": "c00001", "cast_name": "Kyle"}], "cluster c00001 named more than once"),
        ([{"track_id": 1, "cast_name": "Lisa"}] * 2, "track 1 named more than once"),
    ],
)

def test_bad_assignments_are_422_and_change_nothing(api, registered, root, assignments, reason):
    before = (root / "episodes" / registered / "groups.parquet").read_bytes()
    answer = api.post(f"/episodes/{registered}/clusters/batch_assign_async", json={"assignments": assignments})
    assert answer.status_code == 422 and reason in answer.json()["detail"], answer.text
    assert (root / "episodes" / registered / "groups.parquet").read_bytes() == before


def test_names_in_any_script_are_distinct_persons_with_their_own_seconds(api, registered):
    clusters = sorted(api.get(f"/episodes/{registered}/clusters").json(), key=lambda c: -c["size"])[:4]
    names = ["李小龍", "ليلى علوي", "🦄🐉", "Lisa Vanderpump"]
    body = {"assignments": [{"cluster_id": c["cluster_id"], "cast_name": n} for c, n in zip(clusters, names)]}
    assert api.post(f"/episodes/{registered}/clusters/batch_assign_async", json=body).json()["status"] == "success"
    named = {c["cluster_id"]: c for c in api.get(f"/episodes/{registered}/clusters").json()}
    seconds = {row["person_name"]: row for row in api.get(f"/episodes/{registered}/screentime").json()}
    assert len({seconds[n]["person_id"] for n in names}) == 4
    for cluster, name in zip(clusters, names):
        assert named[cluster["cluster_id"]]["person_name"] == name
        theirs = [c["seconds"] for c in named.values() if c["person_name"] == name]  # unnamed look-alikes may join them
        assert max(theirs) <= seconds[name]["seconds"] <= sum(theirs) + 1e-6


def test_oversized_bodies_are_413_declared_or_streamed(api, registered):
    big = {"assignments": [{"cluster_id": "c00001", "cast_name": "x" * 100}] * 20_000}
    answer = api.post(f"/episodes/{registered}/clusters/batch_assign_async", json=big)
    assert answer.status_code == 413 and "request body over" in answer.json()["detail"]
    streamed = api.post(f"/episodes/{registered}/clusters/batch_assign_async", content=iter([b"x" * 600_000] * 3), headers={"content-type": "application/json"})
    assert streamed.status_code == 413, streamed.text


def test_health_names_what_is_down(root, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    api = TestClient(create_app(Settings(storage_root=str(root), redis_url=DEAD_REDIS, dagster_webserver_url="http://127.0.0.1:1")))
    answer = api.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "down: redis, webserver" and answer.json()["instance"] == "ok"  # no stack runs here
    assert answer.json()["webserver"].startswith("down (http://127.0.0.1:1")


def test_cors_admits_the_ui_origin_only(root, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    api = TestClient(create_app(Settings(storage_root=str(root), ui_origin="http://ui.example")))
    preflight = {"Access-Control-Request-Method": "POST"}
    ok = api.options("/episodes", headers={"Origin": "http://ui.example", **preflight})
    assert ok.headers.get("access-control-allow-origin") == "http://ui.example"
    other = api.options("/episodes", headers={"Origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    assert api.get("/docs").status_code == 200


def test_metrics_count_requests_by_route_and_jobs_by_state(api, registered):
    api.get(f"/episodes/{registered}")
    api.post(f"/episodes/{registered}/clusters/group_async")
    text = api.get("/metrics").text
    assert 'screanalytics_api_request_seconds_count{method="GET",route="/episodes/{ep_id}",status="200"} 1.0' in text
    assert 'screanalytics_jobs{state="success"} 1.0' in text


def test_json_logs_are_one_object_per_line(root, monkeypatch, capfd):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    api = TestClient(create_app(Settings(storage_root=str(root), log_format="json")))
    api.get("/episodes/rhobh-s09e09")
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    assert {"msg": "GET /episodes/rhobh-s09e09 404", "route": "/episodes/{ep_id}", "status": 404}.items() <= lines[-1].items()


def test_with_api_token_every_mutating_request_needs_it(root, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    api = TestClient(create_app(Settings(storage_root=str(root), redis_url=DEAD_REDIS, api_token="s3cret")))
    body = {"ep_id": TEST_EPISODE, "video_uri": f"videos/{TEST_EPISODE}.mp4"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = api.post("/episodes", json=body, headers=headers)
        assert answer.status_code == 401 and "API_TOKEN" in answer.json()["detail"]
    assert api.get("/episodes").json() == []  # reads stay open
    assert api.post("/episodes", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 201
    assert api.post(f"/episodes/{TEST_EPISODE}/clusters/group_async").status_code == 401
    assert api.post(f"/jobs/{uuid.uuid4()}/cancel").status_code == 401


def test_stopping_redis_turns_health_503_and_cheap_jobs_synchronous(root, monkeypatch, tmp_path):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with redis_server(tmp_path / "redis", DEAD_REDIS) as url:  # a Redis of this test's own, to stop
        api = TestClient(create_app(Settings(storage_root=str(root), redis_url=url)))
        api.post("/episodes", json={"ep_id": TEST_EPISODE, "video_uri": f"videos/{TEST_EPISODE}.mp4"})
        assert api.get("/healthz").json()["redis"] == "ok"
    health = api.get("/healthz")
    assert health.status_code == 503 and health.json()["redis"] == "down"
    answer = api.post(f"/episodes/{TEST_EPISODE}/clusters/group_async")
    assert answer.status_code == 200 and answer.json()["async"] is False
