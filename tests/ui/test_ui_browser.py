"""The review UI in headless Chromium (Debian's package, driven by Playwright) on the real stack: register, process, name, read screen time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import SPLIT_PEOPLE
from ui_fixtures import api_process, ui_process

from screanalytics_dagster.deploy.commands import REPO

CHROMIUM = Path("/usr/bin/chromium")
EPISODE = "uishow-s01e01"  # its own partition on the shared stack
NAME = "Lisa Vanderpump"
ARTIFACTS = REPO / "tests" / "artifacts"  # screenshots of each page, for people to look at
LONG_MS = 600_000  # processing the test episode on one Celery worker
REVIEW_MS = 60_000  # a review job of an idle episode runs in the API in well under a second

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: install Debian's chromium (scripts/install_browser.sh)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def urls(stack, sample_episode, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The UI and the API beside the stack (its environment) that `streamlit run` talks to; the episode's video in storage."""
    stack.store.put_video(EPISODE, sample_episode.video_path)
    base = tmp_path_factory.mktemp("ui_browser")
    env = {**stack.env, "DAGSTER_WEBSERVER_URL": stack.webserver_url}
    with api_process(base / "storage", base / "logs", env) as api_url, ui_process(api_url, base / "logs") as url:
        yield url, api_url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.wait_for_timeout(1500)  # tables and charts draw after the page's text
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_reviewer_goes_from_a_registered_episode_to_named_screen_time(urls, browser, stack):
    from playwright.sync_api import expect

    ui_url, api_url = urls
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(ui_url)
    expect(page.get_by_role("heading", name="Episodes")).to_be_visible(timeout=60_000)

    page.get_by_label("Episode id").fill(EPISODE)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(f"Registered {EPISODE} with videos/{EPISODE}.mp4")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=f"Process {EPISODE}").click()
    expect(page.get_by_text(f"Processing {EPISODE}:").first).to_be_visible(timeout=60_000)
    shot(page, "1-episodes-processing")
    expect(page.get_by_text(f"Processing {EPISODE}: done.")).to_be_visible(timeout=LONG_MS)
    shot(page, "2-episodes")

    page.get_by_role("link", name="Clusters").click()
    expect(page.get_by_role("heading", name=f"Clusters · {EPISODE}")).to_be_visible(timeout=60_000)
    page.get_by_text("select", exact=True).first.click()
    expect(page.get_by_text("unassigned,", exact=False).first).to_be_visible(timeout=30_000)  # the pick shows in Selected clusters
    page.get_by_label("Cast name").fill(NAME)
    page.get_by_label("Cast name").press("Enter")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text(f"Applying your review {EPISODE}: done").first).to_be_visible(timeout=LONG_MS)
    expect(page.get_by_text(NAME).first).to_be_visible()
    shot(page, "3-clusters")

    page.get_by_role("button", name="Re-embed", exact=True).click()  # a heavy job: through the queue, long enough to click twice
    expect(page.get_by_text(f"Re-embedding {EPISODE}:").first).to_be_visible(timeout=60_000)  # its progress bar
    page.get_by_role("button", name="Re-embed", exact=True).click()
    expect(page.get_by_text(f"Re-embedding is already running for {EPISODE}")).to_be_visible(timeout=60_000)
    shot(page, "4-clusters-already-running")
    expect(page.get_by_text(f"Re-embedding {EPISODE}: done.")).to_be_visible(timeout=LONG_MS)
    split_people_in_several_clusters(stack, api_url)
    page.reload()
    review_a_cluster_of_each_kind(page, api_url)

    page.get_by_role("link", name="Screen time").click()
    expect(page.get_by_role("heading", name=f"Screen time · {EPISODE}")).to_be_visible(timeout=60_000)
    expect(page.locator(".vega-embed svg text", has_text=NAME).first).to_be_visible(timeout=30_000)  # the bar chart
    expect(page.locator("[role=gridcell]", has_text=NAME).first).to_be_attached(timeout=30_000)  # the table (drawn on a canvas, its cells kept for screen readers)
    shot(page, "8-screentime")

    page.get_by_role("link", name="People").click()
    expect(page.get_by_text(NAME).first).to_be_visible(timeout=60_000)
    shot(page, "9-people")


def card(page, cluster_id: str):
    """A cluster's card on the Clusters page."""
    return page.locator(f".st-key-card_{cluster_id}")


def done(page, said: str, doing: str = "Applying your review") -> None:
    """Wait for the review job's message, which says what it applied (said: its start)."""
    from playwright.sync_api import expect

    expect(page.get_by_text(f"{doing} {EPISODE}: done ({said}").first).to_be_visible(timeout=REVIEW_MS)


def split_people_in_several_clusters(stack, api_url: str) -> None:
    """Re-cluster strictly, without automatic merging (as an operator may from the Dagster UI): each person in several cards, each twin suggested."""
    run_id = stack.client.launch(EPISODE, "recluster", SPLIT_PEOPLE)
    deadline = time.monotonic() + LONG_MS / 1000
    while httpx.get(f"{api_url}/celery_jobs/{run_id}", timeout=30).json()["state"] not in ("success", "failed", "cancelled"):
        assert time.monotonic() < deadline
        time.sleep(1)
    assert httpx.get(f"{api_url}/celery_jobs/{run_id}", timeout=30).json()["state"] == "success"


def review_a_cluster_of_each_kind(page, api_url: str) -> None:
    """Same person from a suggestion, tracks moved to a new person, not a face, undo: each through the page's buttons."""
    from playwright.sync_api import expect

    clusters = httpx.get(f"{api_url}/episodes/{EPISODE}/clusters", timeout=30).json()
    suggested = next(c for c in sorted(clusters, key=lambda c: (-c["size"], c["cluster_id"])) if c["person_name"] is None and c["suggestions"])
    card(page, suggested["cluster_id"]).get_by_role("button", name="Same", exact=True).click()
    done(page, suggested["cluster_id"])
    shot(page, "5-clusters-same-person")

    clusters = httpx.get(f"{api_url}/episodes/{EPISODE}/clusters", timeout=30).json()
    source = next(c for c in clusters if len(c["track_ids"]) >= 2 and c["thumbnail_tracks"])
    track = source["thumbnail_tracks"][-1]
    card(page, source["cluster_id"]).get_by_role("button", name="Fix…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Move tracks")).to_be_visible(timeout=30_000)
    dialog.get_by_text(f"track {track}", exact=True).click()
    shot(page, "6-fix-dialog")
    dialog.get_by_role("button", name="Move tracks").click()
    done(page, f"tracks {track} of {source['cluster_id']} moved to a new person)", "Moving tracks")
    moved = next(c for c in httpx.get(f"{api_url}/episodes/{EPISODE}/clusters", timeout=30).json() if track in c["track_ids"])
    assert moved["track_ids"] == [track]

    card(page, moved["cluster_id"]).get_by_role("button", name="Fix…").click()
    page.get_by_role("dialog").get_by_role("button", name="Not a face").click()
    done(page, f"{moved['cluster_id']} is not a face)")
    expect(page.get_by_text("not a face").first).to_be_visible()
    shot(page, "7-clusters-not-a-face")
    page.get_by_role("button", name="Undo", exact=True).click()
    done(page, f"undone: {moved['cluster_id']} is not a face)")
    after = {c["cluster_id"]: c for c in httpx.get(f"{api_url}/episodes/{EPISODE}/clusters", timeout=30).json()}
    assert after[moved["cluster_id"]]["source"] != "not_face"
