"""Screen time: seconds on screen per person, who is on screen when, and the table as CSV."""

import altair as alt
import pandas as pd
import streamlit as st

from screanalytics_dagster.ui import session

ROW_PX = 24


def name_of(row: dict) -> str:
    return row["person_name"] or f"unnamed ({row['person_id']})"


def charts(table: pd.DataFrame, timeline: pd.DataFrame, length: float) -> None:
    """Seconds per person as bars, and each person's time on screen along the episode (length seconds)."""
    order = table["person"].tolist()
    height = max(120, ROW_PX * len(order))
    color = alt.Color("named:N", scale=alt.Scale(domain=[True, False], range=["#1f77b4", "#b0b0b0"]), legend=None)
    bars = alt.Chart(table).mark_bar().encode(
        x=alt.X("seconds:Q", title="seconds on screen"), y=alt.Y("person:N", sort=order, title=None), color=color, tooltip=["person", "seconds", "tracks"]
    )
    st.subheader("Seconds on screen")
    st.altair_chart(bars.properties(height=height), width="stretch")
    st.subheader("Who is on screen when")
    if timeline.empty:
        st.caption("nobody on screen")
        return
    spans = alt.Chart(timeline).mark_bar(height=ROW_PX * 0.7).encode(
        x=alt.X("start:Q", title="seconds into the episode", scale=alt.Scale(domain=[0, length])), x2="end:Q", y=alt.Y("person:N", sort=order, title=None), color=color,
        tooltip=["person", "start", "end"],
    )
    st.altair_chart(spans.properties(height=height), width="stretch")


def render() -> None:
    ep_id = session.episode_page("Screen time")
    if not ep_id:
        return
    rows = session.load(f"screentime:{ep_id}", lambda api: api.screentime(ep_id), missing=f"{ep_id} has no screen time yet: process it on the Episodes page.")
    if not rows:
        return
    spans = session.load(f"timeline:{ep_id}", lambda api: api.timeline(ep_id)) or []
    named_only = st.toggle("Named people only", value=any(r["person_name"] for r in rows), key="named_only")
    table = pd.DataFrame(
        [{"person": name_of(r), "named": r["person_name"] is not None, "seconds": round(r["seconds"], 1), "tracks": r["n_tracks"], "person_id": r["person_id"]} for r in rows]
    ).sort_values("seconds", ascending=False)
    table["share %"] = (100 * table["seconds"] / max(table["seconds"].sum(), 1e-9)).round(1)
    shown = table[table["named"]] if named_only else table
    timeline = pd.DataFrame([{"person": name_of(s), "named": s["person_name"] is not None, "start": s["start"], "end": s["end"]} for s in spans], columns=["person", "named", "start", "end"])
    charts(shown, timeline[timeline["person"].isin(shown["person"])], float(timeline["end"].max()) if len(timeline) else 0.0)
    st.subheader("Table")
    st.dataframe(shown.drop(columns=["named"]), hide_index=True)
    st.download_button("Download CSV", table.drop(columns=["named"]).to_csv(index=False), file_name=f"{ep_id}-screentime.csv", mime="text/csv")
