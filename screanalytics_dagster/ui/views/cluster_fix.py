"""What a reviewer does to one cluster: take or refuse a suggestion, move tracks to someone else, mark it as no face, rename, undo."""

from __future__ import annotations

import hashlib

import streamlit as st

from screanalytics_dagster.ui import session

STRIP = 6  # faces per row of a cluster's face strip
STRIP_PX = 96
NEW_PERSON = "a new person"


def naming() -> dict:
    return next(op for op in session.operations().values() if op["takes"] == "assignments")


def reviewing() -> dict:
    return next(op for op in session.operations().values() if op["takes"] == "action")


def act(ep_id: str, cluster_id: str, action: str, **fields: object) -> None:
    """Send a review action on a cluster and watch the job applying it."""
    op = reviewing()
    watched = op["operation"] if action == "move" else naming()["operation"]
    session.start(ep_id, watched, lambda api: api.review(ep_id, op, cluster_id, action, **fields))


def rename(ep_id: str, cluster_id: str, cast_name: str) -> None:
    op = naming()
    session.start(ep_id, op["operation"], lambda api: api.assign(ep_id, op, [cluster_id], cast_name))


def undo(ep_id: str, last: dict) -> None:
    op = reviewing()["operation"] if last["kind"] == "move" else naming()["operation"]
    session.start(ep_id, op, lambda api: api.undo(ep_id))


def target(suggestion: dict) -> dict:
    """Who a suggestion points at, as a review action names it."""
    return {"other_cluster_id": suggestion["cluster_id"]} if suggestion["cluster_id"] else {"cast_name": suggestion["person_name"]}


def who(suggestion: dict) -> str:
    return suggestion["person_name"] or suggestion["cluster_id"]


def suggestion_buttons(ep_id: str, cluster_id: str, suggestion: dict, key: str) -> None:
    """'Same' (person) and 'Not same' for one suggestion."""
    same, apart = st.columns(2)
    same.button("Same", key=f"same_{key}", on_click=act, args=(ep_id, cluster_id, "same"), kwargs=target(suggestion), width="stretch",
                help=f"Same person: {cluster_id} is {who(suggestion)}")
    apart.button("Not same", key=f"apart_{key}", on_click=act, args=(ep_id, cluster_id, "apart"), kwargs=target(suggestion), width="stretch",
                 help=f"Not the same: {cluster_id} is not {who(suggestion)}, and grouping keeps them apart")


def track_faces(cluster: dict) -> dict[int, bytes]:
    """One face per track of the cluster, for its longest tracks (those the clusters asset kept a thumbnail of)."""
    version = hashlib.sha1(repr(cluster["track_ids"]).encode()).hexdigest()
    tracks = [(i, t) for i, t in enumerate(cluster.get("thumbnail_tracks") or []) if t is not None]
    found = session.images([f"{cluster['thumbnail_url']}?index={i}" for i, _ in tracks], [version] * len(tracks))
    return {t: jpeg for (_, t), jpeg in zip(tracks, found) if jpeg is not None}


@st.dialog("Fix a cluster", width="large")
def fix(ep_id: str, cluster: dict, names: list[str]) -> None:
    """The dialog: suggestions, a face strip to move tracks from, not a face, unname and rename."""
    cid = cluster["cluster_id"]
    st.markdown(f"**{cid}** · {cluster['person_name'] or 'unnamed'} · {len(cluster['track_ids'])} tracks · {cluster['size']} faces")
    for rank, suggestion in enumerate(cluster.get("suggestions") or []):
        st.markdown(f"Looks like **{who(suggestion)}** · similarity {suggestion['similarity']:.2f}")
        suggestion_buttons(ep_id, cid, suggestion, f"{cid}_{rank}_dialog")

    st.markdown("**Move tracks** — tick the faces of someone else")
    faces = track_faces(cluster)
    shown = [t for t in cluster["track_ids"] if t in faces]
    for start in range(0, len(shown), STRIP):
        for column, track in zip(st.columns(STRIP), shown[start: start + STRIP]):
            column.image(faces[track], width=STRIP_PX)
            column.checkbox(f"track {track}", key=f"move_{cid}_{track}")
    rest = [t for t in cluster["track_ids"] if t not in faces]
    more = st.multiselect("Tracks without a face shown", rest, key=f"move_more_{cid}") if rest else []
    where = st.selectbox("Move them to", [NEW_PERSON, *[n for n in names if n != cluster["person_name"]]], key=f"move_to_{cid}")
    if st.button("Move tracks", key=f"move_{cid}", type="primary"):
        picked = [t for t in shown if st.session_state.get(f"move_{cid}_{t}")] + list(more)
        if not picked:
            st.warning("Tick the tracks to move first.")
        elif len(picked) == len(cluster["track_ids"]):
            st.warning("That is the whole cluster: name it instead.")
        else:
            act(ep_id, cid, "move", track_ids=picked, **({} if where == NEW_PERSON else {"cast_name": where}))
            st.rerun()

    st.markdown("**The whole cluster**")
    face, unname, name, go = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
    no_face = cluster["source"] == "not_face"
    if face.button("It is a face" if no_face else "Not a face", key=f"not_face_{cid}", width="stretch",
                   help="Not a face: no person, no screen time, not in the facebank"):
        act(ep_id, cid, "is_face" if no_face else "not_face")
        st.rerun()
    if cluster["person_name"] and unname.button("Unname", key=f"unname_{cid}", width="stretch"):
        act(ep_id, cid, "unname")
        st.rerun()
    new_name = name.text_input("Rename to", key=f"rename_{cid}", placeholder="a cast name")
    if go.button("Rename", key=f"rename_go_{cid}", width="stretch") and new_name.strip():
        rename(ep_id, cid, new_name.strip())
        st.rerun()


def undo_bar(ep_id: str) -> None:
    """The last review action, with a button taking it back."""
    actions = session.load(f"review:{ep_id}", lambda api: api.review_log(ep_id), missing="") or []
    if actions:
        last = actions[-1]
        said, button = st.columns([5, 1], vertical_alignment="center")
        said.caption(f"Last change: {last['said']}")
        button.button("Undo", key="undo", on_click=undo, args=(ep_id, last), width="stretch", help=f"Take back: {last['said']}")
