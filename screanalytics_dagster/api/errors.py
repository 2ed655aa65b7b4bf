"""Errors the API answers with, as JSON `{"detail": ...}`: a sentence, never a traceback."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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


def install_handlers(app: FastAPI) -> None:
    """Answer ApiError and malformed requests with their sentence."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(reasons) or "malformed request"}, status_code=422)
