"""Errors the API answers with, as JSON `{"detail": ...}`: a sentence, never a traceback."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

MAX_BODY_BYTES = 1 << 20  # JSON bodies only: videos reach storage directly, never through the API


class ApiError(Exception):
    """An answer other than success: its status, a sentence and extra fields."""

    def __init__(self, status: int, detail: str, **extra: object):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def not_found(detail: str) -> ApiError:
    return ApiError(404, detail)


def unprocessable(detail: str) -> ApiError:
    return ApiError(422, detail)


def unavailable(detail: str) -> ApiError:
    return ApiError(503, detail)


def body_too_large() -> HTTPException:
    return HTTPException(413, f"request body over {MAX_BODY_BYTES} bytes")


class LimitBodySize:
    """ASGI middleware answering 413 to a body over MAX_BODY_BYTES, declared or streamed, before a route parses it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            error = body_too_large()
            return await JSONResponse({"detail": error.detail}, status_code=error.status_code)(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise body_too_large()  # FastAPI passes an HTTPException from the body read through to its handler
            return message

        await self.app(scope, counted, send)


def install_handlers(app: FastAPI) -> None:
    """Answer ApiError and malformed requests with their sentence; refuse oversized bodies."""
    app.add_middleware(LimitBodySize)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(reasons) or "malformed request"}, status_code=422)
