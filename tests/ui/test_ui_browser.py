"""The review UI in headless Chromium (Debian's package, driven by Playwright) on the real stack: register, process, name, read screen time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_fixtures import api_process, ui_process

from screanalytics_dagster.deploy.commands import REPO

CHROMIUM = Path("/usr/bin/chromium")
EPISODE = "uishow-s01e01"  # its own partition on the shared stack
NAME = "Lisa Vanderpump"
ARTIFACTS = REPO / "tests" / "artifacts"  # screenshots of each page, for people to look at
LONG_MS = 600_000  # processing the test episode on one Celery worker

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
def ui_url(stack, sample_episode, tmp_path_factory) -> Iterator[str]:
    """The API beside the stack (its environment) and `streamlit run` talking to it; the episode's video in storage."""
    stack.store.put_video(EPISODE, sample_episode.video_path)
    base = tmp_path_factory.mktemp("ui_browser")
    env = {**stack.env, "DAGSTER_WEBSERVER_URL": stack.webserver_url}
    with api_process(base / "storage", base / "logs", env) as api_url, ui_process(api_url, base / "logs") as url:
        yield url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no tooltip over the page
    page.wait_for_timeout(1500)  # tables and charts draw after the page's text
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_reviewer_goes_from_a_registered_episode_to_named_screen_time(ui_url, browser):
    from playwright.sync_api import expect

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
    expect(page.get_by_text(f"Assigning names {EPISODE}: done.")).to_be_visible(timeout=LONG_MS)
    expect(page.get_by_text(NAME).first).to_be_visible()
    shot(page, "3-clusters")

    page.get_by_role("button", name="Re-embed", exact=True).click()  # a heavy job: through the queue, long enough to click twice
    expect(page.get_by_text(f"Re-embedding {EPISODE}:").first).to_be_visible(timeout=60_000)  # its progress bar
    page.get_by_role("button", name="Re-embed", exact=True).click()
    expect(page.get_by_text(f"Re-embedding is already running for {EPISODE}")).to_be_visible(timeout=60_000)
    shot(page, "4-clusters-already-running")
    expect(page.get_by_text(f"Re-embedding {EPISODE}: done.")).to_be_visible(timeout=LONG_MS)

    page.get_by_role("link", name="Screen time").click()
    expect(page.get_by_role("heading", name=f"Screen time · {EPISODE}")).to_be_visible(timeout=60_000)
    expect(page.locator(".vega-embed svg text", has_text=NAME).first).to_be_visible(timeout=30_000)  # the bar chart
    expect(page.locator("[role=gridcell]", has_text=NAME).first).to_be_attached(timeout=30_000)  # the table (drawn on a canvas, its cells kept for screen readers)
    shot(page, "5-screentime")

    page.get_by_role("link", name="People").click()
    expect(page.get_by_text(NAME).first).to_be_visible(timeout=60_000)
    shot(page, "6-people")
