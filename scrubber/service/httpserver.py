"""A tiny aiohttp server helper for scrubber's own endpoints (metrics, health)."""

from __future__ import annotations

import asyncio
from typing import cast

from aiohttp import web

from scrubber.config.types import split_endpoint


class LocalHTTPServer:
    """Serves an aiohttp app on `host:port`; `port` is the bound one after start (0 picks)."""

    def __init__(self, app: web.Application, endpoint: str):
        self.app = app
        self.host, self.port = split_endpoint(endpoint)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = cast("asyncio.Server | None", site._server)  # a started TCPSite listens on an asyncio.Server
        sockets = server.sockets if server else []  # the bound port, when 0 was asked
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
