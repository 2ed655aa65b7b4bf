"""What the pages share: the API client, what was last shown, messages, and the job being watched with its progress bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from .client import FINISHED, ApiClient, RequestFailed, Started, api_base

POLL_S = 0.5  # a watched job; light jobs end in well under a second
SYNC_NOTE = "done (ran synchronously: Celery unavailable)"
MAX_IMAGES = 5000  # thumbnails kept per process


@st.cache_resource
def _client(base: str) -> ApiClient:
    return ApiClient(base)


def client() -> ApiClient:
    return _client(api_base())


def load(key: str, fetch: Callable[[ApiClient], Any], missing: str | None = None) -> Any:
    """fetch's answer, remembered; while the API is unreachable, what was last shown; on another error, None and the reason shown.

    missing: what to say instead when the API answers 404 ("" says nothing).
    """
    shown = st.session_state.setdefault("shown", {})
    try:
        shown[key] = fetch(client())
        return shown[key]
    except RequestFailed as exc:
        if exc.unreachable:
            st.session_state["unreachable"] = exc.message
            return shown.get(key)
        if exc.status == 404 and missing is not None:
            if missing:
                st.info(missing)
        else:
            st.error(exc.message)
        return None


def flash(kind: str, text: str) -> None:
    """A message for the next page shown (kind: success, info, warning or error)."""
    st.session_state.setdefault("flash", []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop("flash", []):
        getattr(st, kind)(text)


def episodes() -> list[dict]:
    """The registered episodes, as app.py loaded them for this run."""
    return st.session_state.get("episode_list", [])


def selected_episode() -> str | None:
    return st.session_state.get("episode")


def episode_page(title: str) -> str | None:
    """The selected episode under the page's title and the watched job; None (and how to pick one) when there is none."""
    ep_id = selected_episode()
    if not ep_id:
        st.info("Pick an episode in the sidebar (register one on the Episodes page first).")
        return None
    st.title(f"{title} · {ep_id}")
    job_panel()
    return ep_id


def show_name(ep_id: str) -> str | None:
    """The show of a registered episode, as the API names it."""
    return next((e["show"] for e in episodes() if e["ep_id"] == ep_id), None)


def operations() -> dict[str, dict]:
    """What can be started on an episode, by operation, as the API describes it (read once per UI process)."""
    return _operations(api_base())


@st.cache_resource(ttl=300)
def _operations(base: str) -> dict[str, dict]:
    return {op["operation"]: op for op in client().get("/operations")}


def operations_on(page: str) -> list[dict]:
    """The operations whose buttons the page shows."""
    return [op for op in operations().values() if op["page"] == page]


def doing(operation: str | None) -> str:
    """What a running job of the operation is called."""
    return operations().get(operation or "", {}).get("doing", operation or "Job")


def start(ep_id: str, operation: str, call: Callable[[ApiClient], Started] | None = None) -> None:
    """Start a job and watch it (a callback): a synchronous answer is reported done, a 409 watches the job already running."""
    label = doing(operation)
    try:
        started = call(client()) if call else client().start(ep_id, operations()[operation]["path"])
    except RequestFailed as exc:
        job_id = (exc.job_id or running_job(ep_id, operation)) if exc.status == 409 else None
        if job_id:
            flash("warning", f"{label} is already running for {ep_id}: watching [job {job_id[:8]}](?job={job_id}) instead.")
            watch(job_id, ep_id, operation)
        elif exc.status == 409:
            flash("warning", f"{label} is already running for {ep_id}: its job is starting.")
        else:
            flash("error", f"{label} {ep_id}: {exc.message}")
        return
    if started.is_async:
        watch(started.job_id, ep_id, operation, started.said)
    elif started.status == "success":
        flash("success", f"{label} {ep_id}: {SYNC_NOTE}{f' ({started.said})' if started.said else ''}.")
    else:
        flash("error", f"{label} {ep_id} failed: {(started.result or {}).get('error', 'no reason given')} (ran synchronously: Celery unavailable).")


def running_job(ep_id: str, operation: str) -> str | None:
    """The job of operation on the episode that has not finished, if the API names one."""
    try:
        jobs = client().jobs(ep_id)
    except RequestFailed:
        return None
    return next((j["job_id"] for j in jobs if j["operation"] == operation and j["state"] not in FINISHED), None)


def watch(job_id: str, ep_id: str | None, operation: str | None, said: str | None = None) -> None:
    st.session_state["job"] = {"job_id": job_id, "ep_id": ep_id, "operation": operation, "said": said}


def watch_linked_job() -> None:
    """Watch the job a `?job=` link names."""
    job_id = st.query_params.get("job")
    if job_id and (st.session_state.get("job") or {}).get("job_id") != job_id:
        try:
            view = client().job(job_id)
        except RequestFailed as exc:
            flash("error", exc.message)
        else:
            if view["state"] not in FINISHED:
                watch(job_id, view["episode"], view["operation"])
    st.query_params.pop("job", None)


def job_panel() -> None:
    """The watched job's progress bar, step and message, polled until it finishes; then the page refreshes."""
    if st.session_state.get("job"):
        _job_progress()


@st.fragment(run_every=POLL_S)
def _job_progress() -> None:
    watched = st.session_state.get("job")
    if not watched:
        return
    label = doing(watched["operation"])
    try:
        view = client().job(watched["job_id"])
    except RequestFailed as exc:
        st.warning(f"{label} {watched['ep_id']}: cannot read job {watched['job_id'][:8]} now. {exc.message}")
        return
    if view["state"] in FINISHED:
        st.session_state.pop("job", None)
        report(label, watched["ep_id"], view, watched.get("said"))
        st.rerun()
    progress = view["progress"]
    step = progress["step"] or view["state"].replace("_", " ")
    now = step if progress["message"] in ("", step) else f"{step} — {progress['message']}"
    with st.container(border=True):
        st.progress(min(max(float(progress["progress"]), 0.0), 1.0), text=f"**{label} {watched['ep_id']}**: {now}")
        st.button("Cancel job", key="cancel_job", on_click=cancel, args=(watched["job_id"],))


def report(label: str, ep_id: str, view: dict, said: str | None = None) -> None:
    """A finished job as a message (said: the review action it applied)."""
    error = (view.get("result") or {}).get("error")
    if view["state"] == "success":
        flash("success", f"{label} {ep_id}: done{f' ({said})' if said else ''}.")
    elif view["state"] == "cancelled":
        flash("info", f"{label} {ep_id}: cancelled.")
    else:
        flash("error", f"{label} {ep_id} failed: {error or 'no reason given'}.")


def cancel(job_id: str) -> None:
    try:
        client().cancel(job_id)
    except RequestFailed as exc:
        flash("error", f"Could not cancel job {job_id[:8]}: {exc.message}")


def images(urls: list[str], versions: list[str]) -> list[bytes | None]:
    """The thumbnails at urls, each kept under its version (what it shows: e.g. a cluster's tracks)."""
    cache = _images()
    keys = [(api_base(), url, version) for url, version in zip(urls, versions)]
    missing = list(dict.fromkeys(k for k in keys if k not in cache))
    if len(cache) + len(missing) > MAX_IMAGES:
        cache.clear()
    for key, jpeg in zip(missing, client().images([url for _, url, _ in missing])):
        if jpeg is not None:
            cache[key] = jpeg
    return [cache.get(k) for k in keys]


@st.cache_resource
def _images() -> dict:
    return {}
