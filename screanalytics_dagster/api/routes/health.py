"""Health: the instance storage, Redis, the artifact storage, and the webserver and code server that launches go through."""

from __future__ import annotations

import grpc
import requests
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...orchestration.run_client import CODE_LOCATION
from ..context import ApiContext, Context

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 2.0
LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name displayMetadata { key value } locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


@router.get("/healthz")
def healthz(ctx: Context) -> JSONResponse:
    """200 when every part answers, else 503 naming what is down; each part's word is "ok" or "down" with the reason."""
    checks = {"instance": _instance(ctx), "redis": _redis(ctx), "storage": _storage(ctx)}
    if ctx.settings.redis_url:  # jobs launch through the webserver, which loads the definitions from the code server
        checks |= _webserver_and_code_server(ctx)
    down = [name for name, word in checks.items() if word.startswith("down")]
    body = {"status": "ok" if not down else "down: " + ", ".join(down), **checks}
    return JSONResponse(body, status_code=503 if down else 200)


def _instance(ctx: ApiContext) -> str:
    try:
        ctx.instance.get_runs(limit=1)
        return "ok"
    except Exception:  # noqa: BLE001 - any storage error means down
        return "down"


def _redis(ctx: ApiContext) -> str:
    if not ctx.settings.redis_url:
        return "not configured (jobs run synchronously)"
    return "ok" if ctx.redis_up() else "down"


def _storage(ctx: ApiContext) -> str:
    try:
        ctx.store.exists("healthz")
        return f"ok ({ctx.settings.storage_backend})"
    except Exception:  # noqa: BLE001 - any backend error means down
        return f"down ({ctx.settings.storage_backend})"


def _webserver_and_code_server(ctx: ApiContext) -> dict[str, str]:
    url = ctx.settings.dagster_webserver_url
    try:
        answer = requests.post(f"{url}/graphql", json={"query": LOCATION_QUERY}, timeout=CHECK_TIMEOUT_S)
        answer.raise_for_status()
        entries = answer.json()["data"]["workspaceOrError"].get("locationEntries", [])
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return {"webserver": f"down ({url}: {type(exc).__name__})", "code_server": "unknown (asked through the webserver)"}
    entry = next((e for e in entries if e["name"] == CODE_LOCATION), None)
    if entry is None:
        return {"webserver": "ok", "code_server": f"down (the webserver has no location {CODE_LOCATION})"}
    loaded = entry.get("locationOrLoadError") or {}
    if loaded.get("__typename") == "PythonError":
        return {"webserver": "ok", "code_server": f"down ({loaded.get('message', '').strip().splitlines()[0][:200]})"}
    metadata = {item["key"]: item["value"] for item in entry.get("displayMetadata", [])}
    if "host" not in metadata or "port" not in metadata:
        return {"webserver": "ok", "code_server": "ok (the webserver loads the definitions itself)"}
    address = f"{metadata['host']}:{metadata['port']}"
    return {"webserver": "ok", "code_server": "ok" if _answers(address) else f"down (nothing answers at {address})"}


def _answers(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=CHECK_TIMEOUT_S)
            return True
        except grpc.FutureTimeoutError:
            return False
