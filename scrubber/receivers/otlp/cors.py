"""CORS for the OTLP/HTTP receiver (`protocols::http::cors`, the Collector's keys), so that
browser SDKs can export to it: a preflight `OPTIONS` from an allowed origin is answered
204 with the allowed methods and headers; other responses carry
`Access-Control-Allow-Origin` for allowed origins only. Origins may hold one `*`
wildcard (`https://*.example.com`) or be `*` alone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import Field

from scrubber.component import ComponentConfig

if TYPE_CHECKING:  # aiohttp is imported when the middleware is made: the config (and the gRPC
    from aiohttp import web  # edge process, which reads it) does not need the HTTP server

#: what the Collector always allows besides allowed_headers
_BASE_HEADERS = ("Content-Type", "Content-Encoding", "Accept", "Origin", "X-Requested-With")


class CORSConfig(ComponentConfig):
    allowed_origins: list[str] = Field(default_factory=list)
    allowed_headers: list[str] = Field(default_factory=list)
    #: seconds a browser may cache a preflight answer (0: not sent)
    max_age: int = Field(0, ge=0)


def _matcher(origins: list[str]):
    patterns = [re.compile("^" + ".*".join(re.escape(part) for part in origin.split("*")) + "$") for origin in origins]
    return lambda origin: any(p.match(origin) for p in patterns)


def cors_middlewares(config: CORSConfig | None) -> list:
    """The aiohttp middlewares for `config` (none when CORS is not configured)."""
    if config is None or not config.allowed_origins:
        return []
    from aiohttp import web

    allowed = _matcher(config.allowed_origins)
    headers = ", ".join(dict.fromkeys([*_BASE_HEADERS, *config.allowed_headers]))

    @web.middleware
    async def cors(request: web.Request, handler):
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin and request.headers.get("Access-Control-Request-Method"):
            if not allowed(origin):
                return web.Response(status=403)
            answer = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "POST",
                      "Access-Control-Allow-Headers": headers, "Vary": "Origin"}
            if config.max_age:
                answer["Access-Control-Max-Age"] = str(config.max_age)
            return web.Response(status=204, headers=answer)
        response = await handler(request)
        if origin and allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return [cors]
