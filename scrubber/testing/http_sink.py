"""A real OTLP/HTTP backend on loopback (aiohttp on its own thread).

`POST /v1/traces|metrics|logs` with protobuf or JSON bodies, gzip or not;
answers in the request's encoding. `GET /counts` returns the item and byte
counts as JSON (benchmarks poll it). Faults are HTTP statuses, with a
`Retry-After` header when a delay is given.
"""

from __future__ import annotations

import asyncio
import json
from typing import cast

from aiohttp import web
from google.protobuf import json_format

from scrubber.pdata import Signal, otlpjson
from scrubber.testing.loop_thread import LoopThread
from scrubber.testing.recorder import Recorder, response_for

PATHS = {"/v1/traces": Signal.TRACES, "/v1/metrics": Signal.METRICS, "/v1/logs": Signal.LOGS}
PROTOBUF = "application/x-protobuf"


class HttpSink(Recorder):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, ssl_context=None, **recorder_args):
        """`ssl_context`: an `ssl.SSLContext` to serve https instead of http."""
        super().__init__(**recorder_args)
        self._ssl = ssl_context
        self.host = host
        self.port = port
        self._loop = LoopThread("http-sink")
        self._runner: web.AppRunner | None = None
        #: what `GET /counts` serves (default: this sink's own counts); the sink process
        #: points it at the totals of its gRPC and HTTP sinks
        self.counts_provider = self.json_counts

    @property
    def url(self) -> str:
        return f"{'https' if self._ssl else 'http'}://{self.host}:{self.port}"

    def start(self) -> int:
        if self._runner is None:
            self._loop.start()
            self._loop.run(self._serve())
        return self.port

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/{signal}", self._export)
        app.router.add_get("/counts", self._counts)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True, ssl_context=self._ssl)
        await site.start()
        server = cast(asyncio.Server, site._server)  # a started TCPSite listens on an asyncio.Server
        self.port = server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop serving; `start()` serves again on the same port."""
        if self._runner is not None:
            self._loop.run(self._runner.cleanup())
            self._runner = None
        self._loop.stop()

    def __enter__(self) -> "HttpSink":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def json_counts(self) -> dict:
        return {key: {s.value: n for s, n in values.items()} for key, values in self.counts().items()}

    async def _counts(self, _request: web.Request) -> web.Response:
        return web.json_response(self.counts_provider())

    async def _export(self, http_request: web.Request) -> web.Response:
        signal = PATHS.get(http_request.path)
        if signal is None:
            return web.Response(status=404, text="unknown signal path")
        fault = self.begin_call(signal)
        if self.delay:
            await asyncio.sleep(self.delay)
        if fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return web.Response(status=int(fault.code), headers=headers, text="injected failure")
        is_json = http_request.content_type == "application/json"
        try:
            body = await http_request.read()  # aiohttp already undid Content-Encoding: gzip
            request = otlpjson.loads(signal, body) if is_json else signal.request_type.FromString(body)
        except Exception:  # noqa: BLE001
            return web.Response(status=400, text="malformed body")
        rejected = self.record(signal, request, len(body), {k.lower(): v for k, v in http_request.headers.items()})
        response = response_for(signal, rejected)
        if is_json:
            return web.Response(text=json.dumps(json_format.MessageToDict(response)), content_type="application/json")
        return web.Response(body=response.SerializeToString(), content_type=PROTOBUF)
