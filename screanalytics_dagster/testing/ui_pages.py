"""The review UI's pages one at a time, as Streamlit's AppTest runs them."""

from __future__ import annotations


def page_script(name: str) -> None:
    """One page by name in the frame: a whole script, as AppTest.from_function runs it (the app goes through st.navigation)."""
    import importlib

    from screanalytics_dagster.ui import shell

    shell.frame(importlib.import_module(f"screanalytics_dagster.ui.views.{name}").render)
