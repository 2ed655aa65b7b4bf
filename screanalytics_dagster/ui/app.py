"""The review UI: `streamlit run screanalytics_dagster/ui/app.py`; it reads API_BASE and talks to the API only."""

import streamlit as st

from screanalytics_dagster.ui import shell
from screanalytics_dagster.ui.views import clusters, episodes, people, screentime

st.set_option("client.showErrorDetails", "none")
st.set_option("client.toolbarMode", "viewer")
st.set_page_config(page_title="screanalytics review", page_icon=":material/movie:", layout="wide")
PAGES = [
    st.Page(episodes.render, title="Episodes", icon=":material/movie:", url_path="episodes", default=True),
    st.Page(clusters.render, title="Clusters", icon=":material/face:", url_path="clusters"),
    st.Page(screentime.render, title="Screen time", icon=":material/timer:", url_path="screentime"),
    st.Page(people.render, title="People", icon=":material/badge:", url_path="people"),
]
shell.frame(st.navigation(PAGES).run)
