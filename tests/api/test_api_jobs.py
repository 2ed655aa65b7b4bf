"""The REST facade on the distributed stack: jobs are Dagster runs on Celery, locked per episode and operation."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from fastapi.testclient import TestClient

from screanalytics_dagster.api import create_app
from screanalytics_dagster.api.episode_state import ASSETS
from screanalytics_dagster.api.job_control import lock_key
from screanalytics_dagster.api.light_jobs import MAX_RUNTIME_S
from screanalytics_dagster.vision.video import probe

pytestmark = pytest.mark.stack


EPISODE = "apishow-s01e01"  # its own partition: the Celery tests use TEST_EPISODE on the same stack


@pytest.fixture(scope="module")
def api(stack, sample_episode):
    """The API as deployed beside the stack: the same environment, its video uploaded under another name."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in {**stack.env, "DAGSTER_WEBSERVER_URL": stack.webserver_url}.items():
            env.setenv(key, value)
        client = TestClient(create_app())
        stack.store.put_file(f"videos/uploads/{EPISODE}-master.mp4", sample_episode.video_path)
        answer = client.post("/episodes", json={"ep_id": EPISODE, "video_uri": f"videos/uploads/{EPISODE}-master.mp4"})
        assert answer.status_code == 201, answer.text
        yield client


def wait_for(api, job_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while (job := api.get(f"/celery_jobs/{job_id}").json())["state"] not in ("success", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    return job


def test_process_async_reaches_success_through_the_worker_and_holds_a_lock_meanwhile(api, stack, redis_url, sample_episode):
    started = api.post(f"/episodes/{EPISODE}/process_async")
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert started.json() == {"job_id": job_id, "status": "queued", "async": True}
    locks = redis.Redis.from_url(redis_url)
    assert locks.get(lock_key(EPISODE, "process")) == job_id.encode()
    second = api.post(f"/episodes/{EPISODE}/process_async")
    assert second.status_code == 409 and second.json() == {"detail": "Job already in progress", "job_id": job_id}
    seen = []
    deadline = time.monotonic() + 300
    while (job := api.get(f"/jobs/{job_id}").json())["state"] != "success":
        assert job["state"] in ("queued", "in_progress") and time.monotonic() < deadline, job
        if job["progress"]["step"]:
            seen.append((ASSETS.index(job["progress"]["step"]), job["progress"]["progress"]))
        time.sleep(0.3)
    assert seen and seen == sorted(seen) and seen[0][0] == 0, seen  # steps in order, from faces on
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions) and fractions[-1] <= 1.0, seen  # the job's fraction, never going back
    reported = [step for step, message in stack.messages(job_id) if message and "of the job" in message]
    assert list(dict.fromkeys(reported)) == list(ASSETS)  # every step reported, in order (the log keeps what polling misses)
    assert job["raw_state"] == "SUCCESS" and job["progress"]["progress"] == 1.0
    assert job["result"]["faces"]["n_faces"] > 0 and job["result"]["screentime"]["n_persons"] >= 1
    assert locks.get(lock_key(EPISODE, "process")) is None
    episode = api.get(f"/episodes/{EPISODE}").json()
    assert all(state["materialized"] and not state["stale"] for state in episode["assets"].values())
    assert episode["duration_s"] == pytest.approx(probe(sample_episode.video_path).duration, abs=0.01)  # what share of it each person is on


def test_a_lock_left_by_a_finished_run_does_not_block(api, stack, redis_url):
    finished = api.get(f"/jobs?episode={EPISODE}&state=success").json()[0]["job_id"]
    redis.Redis.from_url(redis_url).set(lock_key(EPISODE, "auto_group"), finished)  # as if the API died before releasing it
    answer = api.post(f"/episodes/{EPISODE}/clusters/group_async")
    assert answer.status_code == 202, answer.text
    assert wait_for(api, answer.json()["job_id"])["state"] == "success"


def test_batch_assign_async_names_a_cluster(api):
    clusters = api.get(f"/episodes/{EPISODE}/clusters").json()
    target = max(clusters, key=lambda c: c["size"])["cluster_id"]
    answer = api.post(f"/episodes/{EPISODE}/clusters/batch_assign_async", json={"assignments": [{"cluster_id": target, "cast_name": "Kyle Richards"}]})
    assert answer.status_code == 202 and answer.json()["async"] is True
    assert wait_for(api, answer.json()["job_id"])["state"] == "success"
    named = {c["cluster_id"]: c for c in api.get(f"/episodes/{EPISODE}/clusters").json()}[target]
    assert (named["person_name"], named["source"]) == ("Kyle Richards", "manual")
    assert "Kyle Richards" in [row["person_name"] for row in api.get(f"/episodes/{EPISODE}/screentime").json()]


def test_cancel_is_idempotent_and_answers_the_final_state(api):
    job_id = api.post(f"/episodes/{EPISODE}/embeddings/reembed_async").json()["job_id"]
    first = api.post(f"/celery_jobs/{job_id}/cancel")
    assert first.status_code == 200 and first.json()["state"] in ("in_progress", "cancelled")
    assert wait_for(api, job_id, 60)["state"] == "cancelled"
    again = api.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 200 and again.json()["state"] == "cancelled" and again.json()["result"] == {"error": "cancelled through the API"}
    again = api.post(f"/episodes/{EPISODE}/embeddings/reembed_async")  # the lock went with the run
    assert again.status_code == 202
    api.post(f"/jobs/{again.json()['job_id']}/cancel")


def test_health_is_ok_when_everything_answers(api):
    answer = api.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_light_jobs_of_an_idle_episode_run_in_the_api_and_those_of_a_busy_one_queue(api, stack):
    light = api.post(f"/episodes/{EPISODE}/clusters/group_async")
    assert light.status_code == 202, light.text
    run = stack.client.run(light.json()["job_id"])  # recorded before the answer: any API instance can read the job
    assert run is not None and run.tags["dagster/max_runtime"] == str(MAX_RUNTIME_S)
    assert wait_for(api, run.run_id)["state"] == "success"
    assert ".dagster/grpc_info" not in stack.client.run(run.run_id).tags  # no run process was launched for it

    heavy = api.post(f"/episodes/{EPISODE}/tracks/split_async")
    queued = api.post(f"/episodes/{EPISODE}/clusters/group_async")  # the episode is busy: it waits its turn in the queue
    assert heavy.status_code == queued.status_code == 202
    assert wait_for(api, heavy.json()["job_id"])["state"] == wait_for(api, queued.json()["job_id"])["state"] == "success"
    assert ".dagster/grpc_info" in stack.client.run(queued.json()["job_id"]).tags


def test_namings_while_a_naming_job_is_active_join_it_instead_of_409(api):
    clusters = [c["cluster_id"] for c in api.get(f"/episodes/{EPISODE}/clusters").json()][:4]

    def name(cluster_id: str, cast_name: str):
        return api.post(f"/episodes/{EPISODE}/clusters/batch_assign_async", json={"assignments": [{"cluster_id": cluster_id, "cast_name": cast_name}]})

    heavy = api.post(f"/episodes/{EPISODE}/embeddings/reembed_async")  # the episode is busy, so namings queue behind it
    first, second = name(clusters[0], "Erika Jayne"), name(clusters[1], "Garcelle Beauvais")
    assert heavy.status_code == first.status_code == second.status_code == 202, second.text
    assert second.json()["job_id"] == first.json()["job_id"]  # its run has not started: it reads both names when it does
    assert wait_for(api, first.json()["job_id"])["state"] == "success"
    with ThreadPoolExecutor(2) as pool:  # one runs in the API; the other joins it as a follow-up, or starts after it
        answers = list(pool.map(lambda args: name(*args), [(clusters[2], "Sutton Stracke"), (clusters[3], "Crystal Kung Minkoff")]))
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert all(wait_for(api, a.json()["job_id"])["state"] == "success" for a in answers)
    named = {c["cluster_id"]: c["person_name"] for c in api.get(f"/episodes/{EPISODE}/clusters").json()}
    assert [named[c] for c in clusters] == ["Erika Jayne", "Garcelle Beauvais", "Sutton Stracke", "Crystal Kung Minkoff"]
    assert wait_for(api, heavy.json()["job_id"])["state"] == "success"
