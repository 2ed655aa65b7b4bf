"""The review UI's pages (Streamlit's AppTest) against a real API process over the processed test episode, Redis down."""

from __future__ import annotations

import json

import httpx
import pytest
import requests
from conftest import TEST_EPISODE
from streamlit.testing.v1 import AppTest
from ui_fixtures import register

from screanalytics_dagster.deploy.commands import REPO, UI_APP
from screanalytics_dagster.deploy.processes import free_port
from screanalytics_dagster.testing.ui_pages import page_script
from screanalytics_dagster.ui.client import ApiClient, RequestFailed, error_of
from screanalytics_dagster.ui.views.screentime import LABEL_PX, ROW_PX

pytestmark = pytest.mark.stack


SYNC_DONE = "done (ran synchronously: Celery unavailable)"


def app(api_url: str, monkeypatch, page: str = "episodes", **state) -> AppTest:
    """A page of the app, run once against api_url with session state set first."""
    monkeypatch.setenv("API_BASE", api_url)
    at = AppTest.from_function(page_script, args=(page,), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page says in words."""
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "error", "warning", "info", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def assign_via_api(api_url: str, name: str) -> str:
    """Name the largest unnamed cluster through the API; its id."""
    clusters = requests.get(f"{api_url}/episodes/{TEST_EPISODE}/clusters", timeout=30).json()
    target = max((c for c in clusters if c["person_name"] is None), key=lambda c: c["size"])["cluster_id"]
    body = {"assignments": [{"cluster_id": target, "cast_name": name}]}
    assert requests.post(f"{api_url}/episodes/{TEST_EPISODE}/clusters/batch_assign_async", json=body, timeout=120).status_code == 200
    return target


def test_episodes_page_lists_the_episode_and_says_why_processing_cannot_start(ui_api, monkeypatch):
    at = app(ui_api.url, monkeypatch)
    assert at.title[0].value == "Episodes"
    table = at.dataframe[0].value
    assert TEST_EPISODE in table["episode"].tolist()
    assert set(table.columns) >= {"faces", "embeddings", "tracks", "clusters", "groups", "screentime"}
    at.button(key="process").click().run()  # heavy, and Celery is down
    assert [e.value for e in at.error] == [
        f"Processing {TEST_EPISODE}: Unavailable now: Celery unavailable (Redis at redis://127.0.0.1:1/0 does not answer): cannot start process now."
    ]
    assert not at.exception


def test_registering_an_episode_says_what_is_wrong(ui_api, monkeypatch):
    at = app(ui_api.url, monkeypatch)
    at.text_input(key="new_episode").input("Bad Id")
    at.button(key="FormSubmitter:register-Register").click().run()
    assert "Could not register Bad Id: Not accepted: invalid episode id 'Bad Id'" in at.error[0].value
    at.text_input(key="new_episode").input("testshow-s01e09")
    at.button(key="FormSubmitter:register-Register").click().run()
    assert "video_uri 'videos/testshow-s01e09.mp4' is not in storage" in at.error[0].value


def test_clusters_page_names_two_clusters_as_one_person(ui_api, monkeypatch):
    clusters = requests.get(f"{ui_api.url}/episodes/{TEST_EPISODE}/clusters", timeout=30).json()
    at = app(ui_api.url, monkeypatch, "clusters")
    assert at.title[0].value == f"Clusters · {TEST_EPISODE}"
    assert at.metric[0].value == str(len(clusters))
    assert len(at.checkbox) == len(clusters) and len(at.image) >= len(clusters)
    order = [box.key.removeprefix("pick_") for box in at.checkbox]
    assert order == [c["cluster_id"] for c in sorted(clusters, key=lambda c: (-c["size"], c["cluster_id"]))]  # largest first
    unnamed = [c["cluster_id"] for c in clusters if c["person_name"] is None][:2]
    for cluster_id in unnamed:
        at.checkbox(key=f"pick_{cluster_id}").check().run()
    assert at.multiselect(key="picked").value == unnamed
    at.text_input(key="cast_name").input("Dorit Kemsley")
    at.button(key="assign").click().run()
    assert not at.exception
    assert f"Applying your review {TEST_EPISODE}: {SYNC_DONE} ({', '.join(unnamed)} named Dorit Kemsley)." in [s.value for s in at.success]
    assert at.multiselect(key="picked").value == []
    named = {c["cluster_id"]: c for c in requests.get(f"{ui_api.url}/episodes/{TEST_EPISODE}/clusters", timeout=30).json()}
    assert {named[c]["person_name"] for c in unnamed} == {"Dorit Kemsley"}
    assert texts(at).count("**Dorit Kemsley** :gray[(manual)]") == 2
    assert [box.key.removeprefix("pick_") for box in at.checkbox] == order  # named cards keep their place
    assert f"same person as {unnamed[1]}" in texts(at) and f"same person as {unnamed[0]}" in texts(at)


def test_clusters_page_asks_for_a_selection_and_reports_heavy_operations_it_cannot_start(ui_api, monkeypatch):
    at = app(ui_api.url, monkeypatch, "clusters")
    at.button(key="assign").click().run()
    assert "Select one or more clusters" in at.warning[0].value
    at.button(key="op_split_tracks").click().run()
    assert "Splitting tracks testshow-s01e01: Unavailable now: Celery unavailable" in at.error[0].value
    at.button(key="op_auto_group").click().run()  # cheap: runs inside the API
    assert f"Auto-grouping {TEST_EPISODE}: {SYNC_DONE}." in [s.value for s in at.success]


def test_screen_time_page_charts_and_tables_the_named_people(ui_api, monkeypatch):
    assign_via_api(ui_api.url, "Kyle Richards")
    at = app(ui_api.url, monkeypatch, "screentime")
    assert at.title[0].value == f"Screen time · {TEST_EPISODE}"
    assert "Kyle Richards" in at.dataframe[0].value["person"].tolist()
    bars, timeline = at.get("vega_lite_chart")  # seconds per person, and who is on screen when
    assert b"Kyle Richards" in bars.proto.SerializeToString() and b"Kyle Richards" in timeline.proto.SerializeToString()
    assert at.get("download_button")[0].proto.label == "Download CSV"
    at.toggle(key="named_only").set_value(False).run()
    table = at.dataframe[0].value
    assert any(p.startswith("unnamed (") for p in table["person"])
    bars, timeline = at.get("vega_lite_chart")
    for chart in (bars, timeline):  # a row of its own per person, each label whole
        spec = json.loads(chart.proto.spec)
        assert spec["height"] == {"step": ROW_PX} and spec["encoding"]["y"]["axis"]["labelLimit"] == LABEL_PX
    assert json.loads(timeline.proto.spec)["encoding"]["color"]["field"] == "person"  # one colour per person
    duration = max(s["end"] for s in requests.get(f"{ui_api.url}/episodes/{TEST_EPISODE}/timeline", timeout=30).json())  # no faces run in this instance
    assert (table["share of episode %"] == (100 * table["seconds"] / duration).round(1)).all()
    assert "The CSV holds this table" in " ".join(c.value for c in at.caption)


def test_people_page_shows_the_facebank_with_faces(ui_api, monkeypatch):
    assign_via_api(ui_api.url, "Erika Jayne")
    at = app(ui_api.url, monkeypatch, "people")
    assert "**Erika Jayne**" in texts(at)
    assert TEST_EPISODE in [c.value for c in at.caption]
    assert len(at.image) == len([m for m in at.markdown if m.value.startswith("**")])


def test_an_unprocessed_episode_says_so_on_each_page(ui_api, monkeypatch):
    ep_id = "testshow-s01e02"
    (ui_api.root / "videos" / f"{ep_id}.mp4").symlink_to((ui_api.root / "videos" / f"{TEST_EPISODE}.mp4").resolve())
    register(ui_api.url, ep_id)
    at = app(ui_api.url, monkeypatch, "clusters", episode=ep_id)
    assert [e.value for e in at.error] == [f"Not found: {ep_id} has no clusters yet: process the episode first."]
    at = app(ui_api.url, monkeypatch, "screentime", episode=ep_id)
    assert [i.value for i in at.info] == [f"{ep_id} has no screen time yet: process it on the Episodes page."]
    at = app(ui_api.url, monkeypatch, "episodes", episode=ep_id)
    assert at.dataframe[0].value.set_index("episode").loc[ep_id, "faces"] == "not yet"


def test_unreachable_api_is_said_and_what_was_shown_stays(ui_api, monkeypatch):
    at = app(ui_api.url, monkeypatch)
    monkeypatch.setenv("API_BASE", f"http://127.0.0.1:{free_port()}")
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("API unreachable at http://127.0.0.1:")
    assert "Showing what was last shown" in at.error[0].value
    assert TEST_EPISODE in at.dataframe[0].value["episode"].tolist()


@pytest.mark.parametrize("page", ["episodes", "clusters", "screentime", "people"])
def test_a_dead_api_from_the_start_is_said_on_every_page(page, monkeypatch):
    at = app(f"http://127.0.0.1:{free_port()}", monkeypatch, page)
    assert at.error[0].value.startswith("API unreachable at http://127.0.0.1:")


def test_the_app_navigates_between_the_pages(ui_api, monkeypatch):
    monkeypatch.setenv("API_BASE", ui_api.url)
    at = AppTest.from_file(str(REPO / UI_APP), default_timeout=60).run()
    assert not at.exception and at.title[0].value == "Episodes"
    assert at.selectbox(key="episode").value == TEST_EPISODE


def test_client_turns_api_errors_into_sentences(ui_api):
    api = ApiClient(ui_api.url)
    with pytest.raises(RequestFailed) as missing:
        api.clusters("rhobh-s09e09")
    assert (missing.value.status, missing.value.message) == (404, "Not found: unknown episode rhobh-s09e09: register it with POST /episodes first.")
    with pytest.raises(RequestFailed) as invalid:
        naming = next(op for op in api.get("/operations") if op["takes"] == "assignments")
        api.assign(TEST_EPISODE, naming, ["c99999"], "Nobody")
    assert invalid.value.message == "Not accepted: unknown in testshow-s01e01's clustering: c99999."
    with pytest.raises(RequestFailed) as down:
        ApiClient(f"http://127.0.0.1:{free_port()}").episodes()
    assert down.value.unreachable and "API unreachable" in down.value.message
    busy = error_of(httpx.Response(409, json={"detail": "Job already in progress", "job_id": "abc"}), "/x")
    assert (busy.status, busy.job_id, busy.message) == (409, "abc", "Already running: job abc is doing this for the episode now.")
