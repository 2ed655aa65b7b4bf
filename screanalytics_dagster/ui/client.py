"""The review UI's only way to the system: the REST API, its errors turned into sentences."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API_BASE = "http://127.0.0.1:8000"
TIMEOUT_S = 30.0
FINISHED = ("success", "failed", "cancelled")


class RequestFailed(Exception):
    """An answer other than success, as a sentence; job_id names the running job of a 409."""

    def __init__(self, message: str, status: int | None = None, job_id: str | None = None):
        super().__init__(message)
        self.message, self.status, self.job_id = message, status, job_id

    @property
    def unreachable(self) -> bool:
        return self.status is None


@dataclass
class Started:
    """A job the API took: queued (async) or already done here because Celery was down (sync)."""

    job_id: str
    is_async: bool
    status: str
    result: dict | None = None
    said: str | None = None  # the review action it applies, in words


def api_base() -> str:
    return os.environ.get("API_BASE", DEFAULT_API_BASE).rstrip("/")


class ApiClient:
    """Calls to the API at base (default: API_BASE)."""

    def __init__(self, base: str | None = None, timeout_s: float = TIMEOUT_S):
        self.base = (base or api_base()).rstrip("/")
        self.http = httpx.Client(base_url=self.base, timeout=timeout_s)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """The response when successful, else RequestFailed with the reason."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RequestFailed(f"API unreachable at {self.base} ({type(exc).__name__}): is it running?") from exc
        if response.is_success:
            return response
        raise error_of(response, path)

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params or None).json()

    def episodes(self) -> list[dict]:
        return self.get("/episodes")

    def register(self, ep_id: str, video_uri: str) -> dict:
        return self.request("POST", "/episodes", json={"ep_id": ep_id, "video_uri": video_uri}).json()

    def start(self, ep_id: str, path: str, body: dict | None = None, **ids: str) -> Started:
        """Start an operation on an episode at its path (`/episodes/{ep_id}/...`, as GET /operations gives it)."""
        answer = self.request("POST", path.format(ep_id=ep_id, **ids), json=body).json()
        return Started(answer["job_id"], answer["async"], answer["status"], answer.get("result"), answer.get("said"))

    def assign(self, ep_id: str, operation: dict, cluster_ids: list[str], cast_name: str) -> Started:
        """Name clusters through the operation that takes assignments: several clusters given one name become one person."""
        body = {operation["takes"]: [{"cluster_id": c, "cast_name": cast_name} for c in cluster_ids]}
        return self.start(ep_id, operation["path"], body)

    def review(self, ep_id: str, operation: dict, cluster_id: str, action: str, **fields: object) -> Started:
        """Say something of a cluster (same, apart, not_face, is_face, unname, move) through the operation that takes actions."""
        return self.start(ep_id, operation["path"], {"action": action, **fields}, cluster_id=cluster_id)

    def undo(self, ep_id: str) -> Started:
        return self.start(ep_id, "/episodes/{ep_id}/review/undo_async")

    def review_log(self, ep_id: str) -> list[dict]:
        return self.get(f"/episodes/{ep_id}/review")

    def job(self, job_id: str) -> dict:
        return self.get(f"/celery_jobs/{job_id}")

    def cancel(self, job_id: str) -> dict:
        return self.request("POST", f"/celery_jobs/{job_id}/cancel").json()

    def jobs(self, ep_id: str, limit: int = 10) -> list[dict]:
        return self.get("/jobs", episode=ep_id, limit=limit)

    def clusters(self, ep_id: str) -> list[dict]:
        return self.get(f"/episodes/{ep_id}/clusters")

    def episode(self, ep_id: str) -> dict:
        return self.get(f"/episodes/{ep_id}")

    def screentime(self, ep_id: str) -> list[dict]:
        return self.get(f"/episodes/{ep_id}/screentime")

    def timeline(self, ep_id: str) -> list[dict]:
        return self.get(f"/episodes/{ep_id}/timeline")

    def people(self, show: str) -> list[dict]:
        return self.get(f"/shows/{show}/people")

    def images(self, urls: list[str]) -> list[bytes | None]:
        """The JPEGs at the API's thumbnail URLs, fetched side by side; None for one that failed."""

        def fetch(url: str) -> bytes | None:
            try:
                return self.request("GET", url).content
            except RequestFailed:
                return None

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(fetch, urls))


def error_of(response: httpx.Response, path: str) -> RequestFailed:
    """The API's error answer as a sentence."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    detail = detail if isinstance(detail, str) else response.reason_phrase
    status = response.status_code
    if status == 409:
        return RequestFailed(f"Already running: job {body.get('job_id') or '(starting)'} is doing this for the episode now.", status, body.get("job_id"))
    if status == 404:
        return RequestFailed(f"Not found: {detail}.", status)
    if status == 422:
        return RequestFailed(f"Not accepted: {detail}.", status)
    if status == 503:
        return RequestFailed(f"Unavailable now: {detail}.", status)
    return RequestFailed(f"The API failed on {path} (HTTP {status}): {detail}.", status)
