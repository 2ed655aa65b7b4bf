"""What frames every page: the episode picker and API address in the sidebar, messages, and the unreachable-API banner."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from . import common


def frame(page: Callable[[], None]) -> None:
    """Run page inside the frame; an error becomes a sentence, never a traceback."""
    st.session_state["unreachable"] = None
    banner = st.container()
    with st.sidebar:
        st.session_state["episode_list"] = common.load("episodes", lambda api: api.episodes()) or []
        names = [e["ep_id"] for e in common.episodes()]
        if st.session_state.get("episode") not in names:
            st.session_state.pop("episode", None)
        st.selectbox("Episode", names, key="episode", placeholder="register one on Episodes", bind="query-params")
        st.caption(f"API: {common.client().base}")
    common.watch_linked_job()
    common.show_flash()
    try:
        page()
    except Exception as exc:  # noqa: BLE001 - a reviewer sees a sentence, never a traceback
        st.error(f"This page could not be shown: {exc}")
    if st.session_state["unreachable"]:
        banner.error(f"{st.session_state['unreachable']} Showing what was last shown; reload when the API is back.")


def page_script(name: str) -> None:
    """One page by name in the frame: a whole script, as AppTest.from_function runs it (the app goes through st.navigation)."""
    import importlib

    from screanalytics_dagster.ui import shell

    shell.frame(importlib.import_module(f"screanalytics_dagster.ui.views.{name}").render)
