"""Request logs (one JSON object per line with LOG_FORMAT=json) and Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import logging
import sys
import time

from dagster import RunsFilter
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .context import ApiContext
from .job_control import STATES

log = logging.getLogger("screanalytics.api")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(log_format: str) -> None:
    """Send the API's logs to stderr, as JSON lines or as text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class JobsByState(Collector):
    """Jobs (Dagster runs) by state, counted in the instance at each scrape."""

    def __init__(self, ctx: ApiContext):
        self.ctx = ctx

    def collect(self):
        gauge = GaugeMetricFamily("screanalytics_jobs", "Jobs (Dagster runs) by state", labels=["state"])
        for state in sorted(set(STATES.values())):
            statuses = [status for status, name in STATES.items() if name == state]
            gauge.add_metric([state], self.ctx.instance.get_runs_count(RunsFilter(statuses=statuses)))
        yield gauge


class ObserveRequests:
    """ASGI middleware timing and logging each request (plain ASGI: BaseHTTPMiddleware costs milliseconds a request)."""

    def __init__(self, app, latency: Histogram):
        self.app, self.latency = app, latency

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = [500]

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")  # the template, so ids do not explode the labels
            self.latency.labels(scope["method"], route, str(status[0])).observe(seconds)
            fields = {"method": scope["method"], "path": scope["path"], "route": route, "status": status[0], "ms": round(seconds * 1000, 1)}
            log.info(f"{scope['method']} {scope['path']} {status[0]}", extra={"fields": fields})


def install_observability(app: FastAPI, ctx: ApiContext) -> None:
    """Time and log every request; serve the metrics."""
    configure_logging(ctx.settings.log_format)
    registry = CollectorRegistry()
    latency = Histogram("screanalytics_api_request_seconds", "API request latency", ["method", "route", "status"], registry=registry)
    registry.register(JobsByState(ctx))

    app.add_middleware(ObserveRequests, latency=latency)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
