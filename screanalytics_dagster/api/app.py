"""The FastAPI app: routers, CORS for the review UI, errors as sentences."""

from __future__ import annotations

from dagster import DagsterInstance
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ..settings import Settings, settings
from .context import ApiContext
from .errors import install_handlers
from .observability import install_observability
from .routes import actions, episodes, health, jobs, review


def create_app(config: Settings | None = None, instance: DagsterInstance | None = None) -> FastAPI:
    """The API for config (default: the environment's settings) and instance (default: DAGSTER_HOME's)."""
    config = config or settings()
    app = FastAPI(title="screanalytics", summary="Face analytics for TV episodes: async jobs as Dagster runs", version="0.1.0")
    app.state.context = ApiContext(config, instance) if instance else ApiContext.from_settings(config)
    if config.ui_origin:
        app.add_middleware(CORSMiddleware, allow_origins=[config.ui_origin], allow_methods=["*"], allow_headers=["*"])
    install_handlers(app)
    install_observability(app, app.state.context)
    for module in (episodes, jobs, review, actions, health):
        app.include_router(module.router)
    return app
