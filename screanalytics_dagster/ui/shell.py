"""What frames every page: the episode picker and API address in the sidebar, messages, and the unreachable-API banner."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from . import session


def frame(page: Callable[[], None]) -> None:
    """Run page inside the frame; an error becomes a sentence, never a traceback."""
    st.session_state["unreachable"] = None
    banner = st.container()
    with st.sidebar:
        st.session_state["episode_list"] = session.load("episodes", lambda api: api.episodes()) or []
        names = [e["ep_id"] for e in session.episodes()]
        if st.session_state.get("episode") not in names:
            st.session_state.pop("episode", None)
        st.selectbox("Episode", names, key="episode", placeholder="register one on Episodes", bind="query-params")
        st.caption(f"API: {session.client().base}")
    session.watch_linked_job()
    session.show_flash()
    try:
        page()
    except Exception as exc:  # noqa: BLE001 - a reviewer sees a sentence, never a traceback
        st.error(f"This page could not be shown: {exc}")
    if st.session_state["unreachable"]:
        banner.error(f"{st.session_state['unreachable']} Showing what was last shown; reload when the API is back.")
