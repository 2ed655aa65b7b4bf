"""People: a show's facebank, each named person with a face and the episodes they appear in."""

import streamlit as st

from screanalytics_dagster.ui import session

COLUMNS = 6


def render() -> None:
    shows = sorted({s for e in session.episodes() if (s := session.show_name(e["ep_id"]))})
    current = session.show_name(session.selected_episode() or "")
    st.title("People")
    if not shows:
        st.info("No show yet: register an episode on the Episodes page first.")
        return
    show = st.selectbox("Show", shows, index=shows.index(current) if current in shows else 0, key="people_show", width=320)
    people = session.load(f"people:{show}", lambda api: api.people(show), missing=f"Nobody in {show} is named yet: name clusters on the Clusters page.")
    if not people:
        return
    st.caption(f"{len(people)} named in {show}'s facebank")
    with_faces = [p for p in people if p.get("thumbnail_url")]
    # not cached: a person's face URL names a cluster, and re-clustering gives cluster ids new faces
    jpegs = dict(zip((p["person_id"] for p in with_faces), session.client().images([p["thumbnail_url"] for p in with_faces])))
    for start in range(0, len(people), COLUMNS):
        for column, person in zip(st.columns(COLUMNS), people[start: start + COLUMNS]):
            with column.container(border=True):
                if jpegs.get(person["person_id"]):
                    st.image(jpegs[person["person_id"]], width=112)
                else:
                    st.caption("no face yet")
                st.markdown(f"**{person['person_name']}**")
                st.caption(", ".join(person["episodes"]))
