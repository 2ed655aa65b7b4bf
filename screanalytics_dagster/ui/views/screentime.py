"""Screen time: seconds on screen per person and their share of the episode, who is on screen when, the table as CSV."""

import altair as alt
import pandas as pd
import streamlit as st

from screanalytics_dagster.ui import session

ROW_PX = 28  # one person's row in either chart: the charts grow with the people shown
LABEL_PX = 400  # names are cut only beyond this (Vega-Lite's default cuts at 200)


def name_of(row: dict) -> str:
    return row["person_name"] or f"unnamed ({row['person_id']})"


def charts(table: pd.DataFrame, timeline: pd.DataFrame, duration: float) -> None:
    """Seconds per person as bars, and each person's time on screen along the episode (duration seconds), one row and colour each."""
    order = table["person"].tolist()
    rows = alt.Y("person:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_PX))
    named = alt.Color("named:N", scale=alt.Scale(domain=[True, False], range=["#1f77b4", "#b0b0b0"]), legend=None)
    bars = alt.Chart(table).mark_bar().encode(
        x=alt.X("seconds:Q", title="seconds on screen"), y=rows, color=named, tooltip=["person", "seconds", "share of episode %", "tracks"]
    )
    st.subheader("Seconds on screen")
    # A height per row (a step), not a total: a total is shared with the axis and squeezes the rows of a short list.
    st.altair_chart(bars.properties(height=alt.Step(ROW_PX)), width="stretch")
    st.subheader("Who is on screen when")
    if timeline.empty:
        st.caption("nobody on screen")
        return
    person = alt.Color("person:N", sort=order, scale=alt.Scale(scheme="tableau20"), legend=None)
    spans = alt.Chart(timeline).mark_bar().encode(
        x=alt.X("start:Q", title="seconds into the episode", scale=alt.Scale(domain=[0, duration])), x2="end:Q", y=rows, color=person,
        tooltip=["person", "start", "end"],
    )
    st.altair_chart(spans.properties(height=alt.Step(ROW_PX)), width="stretch")


def render() -> None:
    ep_id = session.episode_page("Screen time")
    if not ep_id:
        return
    rows = session.load(f"screentime:{ep_id}", lambda api: api.screentime(ep_id), missing=f"{ep_id} has no screen time yet: process it on the Episodes page.")
    if not rows:
        return
    spans = session.load(f"timeline:{ep_id}", lambda api: api.timeline(ep_id)) or []
    episode = session.load(f"episode:{ep_id}", lambda api: api.episode(ep_id)) or {}
    duration = float(episode.get("duration_s") or max((s["end"] for s in spans), default=0.0))
    named_only = st.toggle("Named people only", value=any(r["person_name"] for r in rows), key="named_only")
    table = pd.DataFrame(
        [{"person": name_of(r), "named": r["person_name"] is not None, "seconds": round(r["seconds"], 1), "tracks": r["n_tracks"], "person_id": r["person_id"]} for r in rows]
    ).sort_values("seconds", ascending=False)
    table["share of episode %"] = (100 * table["seconds"] / max(duration, 1e-9)).round(1)
    shown = (table[table["named"]] if named_only else table).drop(columns=["named"])
    timeline = pd.DataFrame([{"person": name_of(s), "start": s["start"], "end": s["end"]} for s in spans], columns=["person", "start", "end"])
    charts(table.loc[shown.index], timeline[timeline["person"].isin(shown["person"])], duration)
    st.subheader("Table")
    st.caption(f"{len(shown)} of {len(table)} people{' (named only)' if named_only else ''}; share of the episode's {duration:.0f} s. The CSV holds this table.")
    st.dataframe(shown, hide_index=True)
    st.download_button("Download CSV", shown.to_csv(index=False), file_name=f"{ep_id}-screentime.csv", mime="text/csv")
