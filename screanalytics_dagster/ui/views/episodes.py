"""Episodes: each one with the state of its assets; register one, process it, and watch or cancel the job."""

import pandas as pd
import streamlit as st

from screanalytics_dagster.ui import session
from screanalytics_dagster.ui.client import RequestFailed

STATE_WORDS = {"materialized": "done", "stale": "stale", "failed": "failed", "running": "running", "missing": "not yet"}
JOBS_REFRESH_S = 2.0
COLORS = {"done": "color: #1a7f37", "stale": "color: #9a6700", "failed": "color: #cf222e; font-weight: bold", "running": "color: #0969da", "not yet": "color: #8c959f"}


def state_words(asset: dict) -> str:
    """An asset's state as the table shows it: what is served, and whether its last run failed."""
    words = STATE_WORDS.get(asset["state"], asset["state"])
    return f"{words} (last run failed)" if asset.get("last_run_failed") and asset["state"] != "failed" else words


def register() -> None:
    """Register the episode the form names (a callback)."""
    ep_id = st.session_state["new_episode"].strip()
    video = st.session_state["new_video"].strip() or f"videos/{ep_id}.mp4"
    try:
        session.client().register(ep_id, video)
    except RequestFailed as exc:
        session.flash("error", f"Could not register {ep_id or 'the episode'}: {exc.message}")
        return
    session.flash("success", f"Registered {ep_id} with {video}. Press Process to find, group and time its faces.")
    st.session_state["episode"] = ep_id


def jobs_table(ep_id: str, live: bool) -> None:
    """The episode's latest jobs (live: refreshed while the page watches a job; its end refreshes the whole page)."""
    jobs = session.load(f"jobs:{ep_id}", lambda api: api.jobs(ep_id, limit=5))
    if not jobs:
        return
    titles = {name: op["title"] for name, op in session.operations().items()}
    st.caption(f"Latest jobs, {f'refreshed every {JOBS_REFRESH_S:g} s while a job is watched' if live else 'as of this page'}")
    st.dataframe(
        pd.DataFrame([
            {
                "job": j["job_id"][:8], "operation": titles.get(j["operation"], j["operation"]), "state": j["state"],
                "progress": f"{j['progress']['progress']:.0%}", "step": j["progress"]["step"], "message": j["progress"]["message"],
                "error": (j["result"] or {}).get("error"),
            }
            for j in jobs
        ]).fillna(""),
        hide_index=True,
    )


def render() -> None:
    st.title("Episodes")
    session.job_panel()
    episodes = session.episodes()
    if episodes:
        rows = [{"episode": e["ep_id"], "video": e["video_uri"], **{a: state_words(s) for a, s in e["assets"].items()}} for e in episodes]
        st.dataframe(pd.DataFrame(rows).style.map(lambda words: COLORS.get(str(words).split(" (")[0], "")), hide_index=True)
    else:
        st.info("No episode is registered yet: register one below from a video already in storage.")

    ep_id = session.selected_episode()
    if ep_id:
        st.subheader(ep_id)
        for op in session.operations_on("episodes"):
            st.button(f"{op['title']} {ep_id}", key=op["operation"], type="primary", on_click=session.start, args=(ep_id, op["operation"]), help=op["help"])
        live = bool(st.session_state.get("job"))
        st.fragment(jobs_table, run_every=JOBS_REFRESH_S if live else None)(ep_id, live)

    with st.form("register"):
        st.subheader("Register an episode")
        st.text_input("Episode id", key="new_episode", placeholder="rhobh-s01e01")
        st.text_input("Video key in storage", key="new_video", placeholder="videos/rhobh-s01e01.mp4 (empty: videos/{episode id}.mp4)")
        st.form_submit_button("Register", on_click=register)
