"""Clusters: an episode's faces grouped, largest first; select some, give them a cast name, re-run the steps behind them."""

import hashlib

import streamlit as st

from screanalytics_dagster.ui import session
from screanalytics_dagster.ui.views import cluster_fix

PER_PAGE = 24
COLUMNS = 4
LARGE = 20  # faces: a cluster this large shows several of its faces
SHOWN_FACES = 2  # side by side at FACE_PX on a card of a 4-column grid
FACE_PX = 72  # every thumbnail, on every card
HINT_PX = 40  # the face of a suggested person
FILTERS = {
    "all": lambda c: True,
    "unassigned": lambda c: c["person_name"] is None and c["source"] != "not_face",
    "named": lambda c: c["person_name"] is not None,
    "not a face": lambda c: c["source"] == "not_face",
}


def person_of(cluster: dict) -> str:
    if cluster["person_name"]:
        return f"**{cluster['person_name']}** :gray[({cluster['source']})]"
    if cluster["source"] == "not_face":
        return ":gray[**not a face**]"
    return ":orange[**unassigned**]"


def grouped_with(cluster: dict, clusters: list[dict]) -> list[str]:
    """The other clusters of the same person (auto-group or a shared name joined them)."""
    if cluster["source"] == "not_face":
        return []
    return [c["cluster_id"] for c in clusters if c["person_id"] == cluster["person_id"] and c["cluster_id"] != cluster["cluster_id"] and c["person_id"]]


def toggle(cluster_id: str) -> None:
    picked = list(st.session_state.get("picked", []))
    st.session_state["picked"] = [c for c in picked if c != cluster_id] if cluster_id in picked else [*picked, cluster_id]


def take_known_name() -> None:
    st.session_state["cast_name"], st.session_state["known_name"] = st.session_state["known_name"] or "", None


def assign(ep_id: str) -> None:
    """Name the selected clusters (a callback); two or more given one name become one person."""
    picked, name = st.session_state.get("picked") or [], (st.session_state.get("cast_name") or "").strip()
    if not picked or not name:
        session.flash("warning", "Select one or more clusters and type a cast name (or pick one of the show's people) first.")
        return
    naming = next(op for op in session.operations().values() if op["takes"] == "assignments")
    session.start(ep_id, naming["operation"], lambda api: api.assign(ep_id, naming, picked, name))
    st.session_state["picked"], st.session_state["cast_name"] = [], ""


def faces(clusters: list[dict], most: int = SHOWN_FACES) -> list[list[bytes]]:
    """The thumbnails each cluster shows: one, up to most for a large cluster."""
    wanted = [(c, i) for c in clusters for i in range(min(c["n_thumbnails"], most if c["size"] >= LARGE else 1))]
    # a cluster's faces change only with its tracks, so they key the cache
    versions = [hashlib.sha1(repr(c["track_ids"]).encode()).hexdigest() for c, _ in wanted]
    found = session.images([f"{c['thumbnail_url']}?index={i}" for c, i in wanted], versions)
    shown: dict[str, list[bytes]] = {c["cluster_id"]: [] for c in clusters}
    for (c, _), jpeg in zip(wanted, found):
        if jpeg is not None:
            shown[c["cluster_id"]].append(jpeg)
    return [shown[c["cluster_id"]] for c in clusters]


def suggested_faces(clusters: list[dict], by_id: dict[str, dict]) -> dict[str, bytes]:
    """The first face of the cluster each card's first suggestion points at."""
    targets = list({s["cluster_id"]: by_id[s["cluster_id"]] for c in clusters for s in c["suggestions"][:1] if s["cluster_id"] in by_id}.values())
    return {c["cluster_id"]: shown[0] for c, shown in zip(targets, faces(targets, most=1)) if shown}


def suggestion(ep_id: str, cluster: dict, hint: bytes | None) -> None:
    """The person the unnamed cluster looks most like, with 'same person' and 'not the same'."""
    best = cluster["suggestions"][0]
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        if hint is not None:
            st.image(hint, width=HINT_PX)
        st.markdown(f"looks like **{cluster_fix.who(best)}** :gray[{best['similarity']:.2f}]")
    cluster_fix.suggestion_buttons(ep_id, cluster["cluster_id"], best, cluster["cluster_id"])


def tile(ep_id: str, cluster: dict, jpegs: list[bytes], picked: list[str], mates: list[str], hint: bytes | None, names: list[str]) -> None:
    cid = cluster["cluster_id"]
    with st.container(border=True, key=f"card_{cid}"):
        if jpegs:
            with st.container(horizontal=True, gap="xxsmall"):
                for jpeg in jpegs:
                    st.image(jpeg, width=FACE_PX)
        else:
            st.caption("no thumbnail")
        st.markdown(person_of(cluster))
        if mates:
            st.caption(f"same person as {', '.join(mates[:3])}{f' and {len(mates) - 3} more' if len(mates) > 3 else ''}")
        if cluster["person_name"] is None and cluster["suggestions"]:
            suggestion(ep_id, cluster, hint)
        st.caption(f"{cid} · {cluster['size']} faces · {cluster['seconds']:.1f} s")
        pick, fix = st.columns([3, 2], vertical_alignment="center")
        st.session_state[f"pick_{cid}"] = cid in picked
        pick.checkbox("select", key=f"pick_{cid}", on_change=toggle, args=(cid,))
        if fix.button("Fix…", key=f"fix_{cid}", width="stretch", help="Move tracks, not a face, unname or rename"):
            cluster_fix.fix(ep_id, cluster, names)


def render() -> None:
    ep_id = session.episode_page("Clusters")
    if not ep_id:
        return
    clusters = session.load(f"clusters:{ep_id}", lambda api: api.clusters(ep_id))
    if clusters is None:
        return
    named = {c["person_name"] for c in clusters if c["person_name"]}
    left, middle, right = st.columns(3)
    left.metric("clusters", len(clusters))
    middle.metric("unassigned", sum(FILTERS["unassigned"](c) for c in clusters))
    right.metric("named people", len(named))
    buttons = session.operations_on("clusters")
    for column, op in zip(st.columns(len(buttons)), buttons):
        column.button(op["title"], key=f"op_{op['operation']}", on_click=session.start, args=(ep_id, op["operation"]), help=op["help"], width="stretch")
    cluster_fix.undo_bar(ep_id)

    show = session.show_name(ep_id)
    people = session.load(f"people:{show}", lambda api: api.people(show), missing="") if show else None
    by_id = {c["cluster_id"]: c for c in clusters}
    st.session_state["picked"] = [c for c in st.session_state.get("picked", []) if c in by_id]
    with st.container(border=True):
        pick, name, known, go = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
        pick.multiselect(
            "Selected clusters", list(by_id), key="picked", placeholder="tick clusters below, or pick them here",
            format_func=lambda c: f"{c} ({by_id[c]['person_name'] or 'unassigned'}, {by_id[c]['size']} faces)",
        )
        name.text_input("Cast name", key="cast_name", placeholder="e.g. Lisa Vanderpump")
        names = sorted(named | {p["person_name"] for p in people or []})
        known.selectbox(
            f"…or someone already named in {show}", names, index=None, key="known_name",
            on_change=take_known_name, placeholder="pick a person",
        )
        go.button("Assign", key="assign", type="primary", on_click=assign, args=(ep_id,), width="stretch")

    view, page = st.columns([3, 1])
    chosen = view.radio("Show", list(FILTERS), horizontal=True, key="cluster_filter")
    # Largest first, named or not: a card keeps its place when it is named.
    shown = sorted((c for c in clusters if FILTERS[chosen](c)), key=lambda c: (-c["size"], c["cluster_id"]))
    pages = max(1, -(-len(shown) // PER_PAGE))
    if st.session_state.get("cluster_page", 1) > pages:
        st.session_state["cluster_page"] = 1
    number = page.selectbox("Page", range(1, pages + 1), format_func=lambda n: f"{n} of {pages}", key="cluster_page") if pages > 1 else 1
    window = shown[(number - 1) * PER_PAGE: number * PER_PAGE]
    picked, jpegs, first = st.session_state["picked"], faces(window), suggested_faces(window, by_id)
    for start in range(0, len(window), COLUMNS):
        for column, cluster, shown_faces in zip(st.columns(COLUMNS), window[start: start + COLUMNS], jpegs[start: start + COLUMNS]):
            with column:
                hint = first.get(cluster["suggestions"][0]["cluster_id"] or "") if cluster["suggestions"] else None
                tile(ep_id, cluster, shown_faces, picked, grouped_with(cluster, clusters), hint, names)
