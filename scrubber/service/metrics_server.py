"""The Prometheus endpoint for scrubber's own metrics (`service.telemetry.metrics.address`)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from scrubber.service.httpserver import LocalHTTPServer
from scrubber.service.telemetry import Telemetry


def metrics_server(telemetry: Telemetry, endpoint: str) -> LocalHTTPServer:
    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=telemetry.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", handle)
    return LocalHTTPServer(app, endpoint)
