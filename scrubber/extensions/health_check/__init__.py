"""The `health_check` extension: says ready only when every pipeline has started.

Keys as the Collector's health_check extension: `endpoint` (default
localhost:13133) and `path` (default `/`). 200 with `{"status": "Server available"}`
when ready, 503 otherwise (starting or shutting down).

With `erasure: {authenticator: bearertokenauth/dsar}` the same server also takes
authenticated erasure requests (`POST /v1/erasures`, see erasure.py and the
README's "Erasure requests").
"""

from __future__ import annotations

from aiohttp import web

from scrubber.component import ComponentConfig, ComponentID, Factory, Host, Kind, Settings, Stability
from scrubber.config.types import Endpoint
from scrubber.errors import ConfigError
from scrubber.extensions.health_check.erasure import ErasureEndpoint, ErasureEndpointConfig
from scrubber.service.httpserver import LocalHTTPServer


class HealthCheckConfig(ComponentConfig):
    endpoint: Endpoint = "localhost:13133"
    path: str = "/"
    #: authenticated erasure requests on this server (absent: none)
    erasure: ErasureEndpointConfig | None = None


class HealthCheck:
    def __init__(self, settings: Settings, config: HealthCheckConfig):
        self.config = config
        self._host: Host | None = None
        app = web.Application()
        app.router.add_get(config.path, self._handle)
        if config.erasure is not None:
            ErasureEndpoint(config.erasure, lambda: self._host).route(app)
        self.server = LocalHTTPServer(app, config.endpoint)

    async def _handle(self, _request: web.Request) -> web.Response:
        ready = self._host is not None and self._host.is_ready()
        status = "Server available" if ready else "Server not available"
        return web.json_response({"status": status}, status=200 if ready else 503)

    async def start(self, host: Host) -> None:
        erasure = self.config.erasure
        if erasure is not None and host.extension(ComponentID.parse(erasure.authenticator)) is None:
            raise ConfigError([f"extensions::health_check::erasure::authenticator: extension {erasure.authenticator!r} "
                               "is not configured and listed under service::extensions"])
        self._host = host
        await self.server.start()

    async def shutdown(self, timeout: float) -> None:
        await self.server.stop()


factory = Factory(
    type="health_check",
    kind=Kind.EXTENSION,
    config_class=HealthCheckConfig,
    create=HealthCheck,
    signals=frozenset(),
    stability=Stability.BETA,
)
