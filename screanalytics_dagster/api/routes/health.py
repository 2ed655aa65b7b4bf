"""Health: the instance storage, Redis and the artifact storage, each checked now."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..context import Context

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(ctx: Context) -> JSONResponse:
    """200 when every part answers, else 503 naming what is down."""
    instance_ok, redis_ok, storage_ok = _instance_ok(ctx), ctx.redis_up() if ctx.settings.redis_url else None, _storage_ok(ctx)
    checks = {"instance": instance_ok, "redis": redis_ok, "storage": storage_ok}
    down = [name for name, ok in checks.items() if ok is False]
    body = {
        "status": "ok" if not down else "down: " + ", ".join(down),
        "instance": _word(instance_ok),
        "redis": _word(redis_ok) if redis_ok is not None else "not configured (jobs run synchronously)",
        "storage": _word(storage_ok) + f" ({ctx.settings.storage_backend})",
    }
    return JSONResponse(body, status_code=503 if down else 200)


def _instance_ok(ctx: Context) -> bool:
    try:
        ctx.instance.get_runs(limit=1)
        return True
    except Exception:  # noqa: BLE001 - any storage error means down
        return False


def _storage_ok(ctx: Context) -> bool:
    try:
        ctx.store.exists("healthz")
        return True
    except Exception:  # noqa: BLE001 - any backend error means down
        return False


def _word(ok: bool) -> str:
    return "ok" if ok else "down"
