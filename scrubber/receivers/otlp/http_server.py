"""OTLP/HTTP on aiohttp: `POST /v1/{traces,metrics,logs}`, protobuf or JSON.

The body is read and decompressed here (aiohttp's own decompression is off) so
that one limit, `max_request_body_size`, holds for the bytes on the wire and
again for the decompressed bytes: a gzip bomb is cut off at the limit, not
after it has filled memory. Answers follow the Collector: the response in the
request's encoding, errors as a `google.rpc.Status` in that encoding, 415 and
405 as plain text, 404 for a signal that no pipeline consumes.
"""

from __future__ import annotations

import asyncio
import functools
import zlib
from typing import Iterable

from aiohttp import web
from google.protobuf.message import DecodeError

from scrubber.config.types import split_endpoint
from scrubber.pdata import Signal
from scrubber.pdata.otlpjson import OTLPJSONError, loads
from scrubber.receivers.otlp import status
from scrubber.receivers.otlp.admission import Admission, Ticket
from scrubber.receivers.otlp.auth import ServerAuthenticator
from scrubber.receivers.otlp.config import HTTPConfig
from scrubber.receivers.otlp.cors import cors_middlewares
from scrubber.receivers.otlp.edge import Export
from scrubber.receivers.otlp.status import Refusal
from scrubber.receivers.otlp.tls import ssl_context

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_OFFLOAD_BYTES = 256 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _too_large(limit: int) -> Refusal:
    return status.invalid(f"request body exceeds max_request_body_size ({limit} bytes)", http_status=413)


async def read_body(request: web.Request, limit: int, ticket: Ticket | None = None) -> bytes:
    """The raw body, refusing (413) once it exceeds `limit` bytes; every chunk is charged
    to `ticket` as it arrives, so the in-flight budget refuses before the body is all read."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        if ticket is not None:
            ticket.charge(len(chunk))
        chunks.append(chunk)
    return b"".join(chunks)


#: inflate in steps of this many bytes, charging each step before the next
_INFLATE_STEP = 1024 * 1024


def decompress(body: bytes, encoding: str, limit: int, ticket: Ticket | None = None) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate), producing at most `limit` bytes, charged to
    `ticket` step by step: a burst of bombs is refused before it expands."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in _WBITS:
        raise status.invalid(f"unsupported Content-Encoding {encoding!r}; supported: gzip, deflate")
    out, size, data = [], 0, body
    try:
        while data:  # gzip may hold several members, one after the other
            inflater = zlib.decompressobj(_WBITS[encoding])
            while True:
                piece = inflater.decompress(data, min(_INFLATE_STEP, limit + 1 - size))
                size += len(piece)
                if size > limit:
                    raise _too_large(limit)
                if ticket is not None:
                    ticket.charge(len(piece))
                out.append(piece)
                data = inflater.unconsumed_tail
                if inflater.eof or (not data and not piece):
                    break
            if not inflater.eof:
                raise status.invalid(f"truncated {encoding} body")
            data = inflater.unused_data
    except zlib.error as error:
        raise status.invalid(f"invalid {encoding} body: {error}") from None
    return b"".join(out)


def parse(signal: Signal, body: bytes, content_type: str):
    try:
        if content_type == JSON:
            return loads(signal, body)
        return signal.request_type.FromString(body)
    except (OTLPJSONError, DecodeError) as error:
        kind = "OTLP/JSON" if content_type == JSON else "protobuf"
        raise status.invalid(f"malformed {signal} export request ({kind}): {error}") from None
    except RecursionError:  # json's C decoder on a body nested thousands deep
        raise status.invalid(f"malformed {signal} export request: nested too deeply") from None


def _decode(signal: Signal, body: bytes, encoding: str, content_type: str, limit: int, ticket: Ticket | None = None):
    raw = decompress(body, encoding, limit, ticket)
    if ticket is not None:
        ticket.charge_decoded(len(raw))
    return parse(signal, raw, content_type)


def encode(message, content_type: str) -> web.Response:
    body = status.to_json(message) if content_type == JSON else message.SerializeToString()
    return web.Response(body=body, content_type=content_type)


def error_response(refusal: Refusal, content_type: str) -> web.Response:
    response = encode(refusal.rpc_status(), content_type)
    response.set_status(refusal.http_status)
    if (retry_after := refusal.retry_after_header()) is not None:
        response.headers["Retry-After"] = retry_after
    return response


def plain(status_code: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status_code, text=text, content_type="text/plain", headers=headers)


class HTTPServer:
    """Serves `POST` on the path of every signal in `signals`: authenticate, take an admission
    ticket, read and inflate within the limits, take a slot, decode, then `export`."""

    def __init__(self, config: HTTPConfig, signals: Iterable[Signal], export: Export, admission: Admission,
                 authenticator: ServerAuthenticator | None = None):
        self.config = config
        self.signals = tuple(signals)
        self.export = export
        self.admission = admission
        self.authenticator = authenticator
        self.host, self._requested_port = split_endpoint(config.endpoint)
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def _app(self) -> web.Application:
        app = web.Application(middlewares=cors_middlewares(self.config.cors))
        paths = {
            Signal.TRACES: self.config.traces_url_path,
            Signal.METRICS: self.config.metrics_url_path,
            Signal.LOGS: self.config.logs_url_path,
        }
        for signal in self.signals:
            app.router.add_route("*", paths[signal], self._handler(signal))
        return app

    async def start(self) -> None:
        # Own decompression (see module doc); no access log (URLs and agents are not ours to keep).
        tls = ssl_context(self.config.tls) if self.config.tls is not None else None
        # keepalive_timeout also closes a connection whose request headers are not complete in time
        runner = web.AppRunner(self._app(), auto_decompress=False, access_log=None, shutdown_timeout=1.0,
                               keepalive_timeout=self.config.idle_timeout)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True, ssl_context=tls)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise OSError(f"otlp receiver: cannot listen for HTTP on {self.config.endpoint}: {error.strerror or error}") from error
        self._runner, self._site = runner, site
        self.port = runner.addresses[0][1]

    async def stop(self, timeout: float) -> None:
        """Stop accepting, wait up to `timeout` for in-flight requests, then close."""
        if self._runner is None:
            return
        runner, site, self._runner, self._site = self._runner, self._site, None, None
        if site is not None:
            await site.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        await runner.cleanup()

    def _handler(self, signal: Signal):
        async def handle(request: web.Request) -> web.StreamResponse:
            if self.authenticator is not None and not self._authenticated(self.authenticator, request):
                return plain(401, "401 Unauthorized", **{"WWW-Authenticate": f'{self.authenticator.scheme} realm="otlp"'})
            if request.method != "POST":
                return plain(405, "405 method not allowed, supported: [POST]", Allow="POST")
            content_type = request.content_type
            if content_type not in (JSON, PROTOBUF):
                return plain(415, f"415 unsupported media type, supported: [{JSON}, {PROTOBUF}]")
            self._in_flight += 1
            self._idle.clear()
            try:
                return await self._export(signal, request, content_type)
            finally:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.set()

        return handle

    @staticmethod
    def _authenticated(authenticator: ServerAuthenticator, request: web.Request) -> bool:
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            headers.setdefault(key.lower(), value)
        return authenticator.accepts(headers)

    async def _export(self, signal: Signal, request: web.Request, content_type: str) -> web.StreamResponse:
        limit = self.config.max_request_body_size
        ticket = None
        try:
            ticket = self.admission.ticket("http")  # refused here while memory is too high
            self.admission.refuse_if_full("http")  # and here when no slot or queue place is left
            try:
                async with asyncio.timeout(self.config.read_timeout):
                    body = await read_body(request, limit, ticket)
            except TimeoutError:
                return plain(408, "408 request body not received in time", Connection="close")
            encoding = request.headers.get("Content-Encoding", "")
            decode = functools.partial(_decode, signal, body, encoding, content_type, limit, ticket)
            # a large body (or any compressed one: it may inflate 1000-fold) takes tens of ms to
            # inflate and parse: keep the loop, and the health endpoint, serving meanwhile
            compressed = encoding.strip().lower() not in ("", "identity")
            offload = compressed or len(body) > _OFFLOAD_BYTES
            async with self.admission.slot("http"):  # before inflating and decoding
                export_request = await asyncio.to_thread(decode) if offload else decode()
                response = await self.export(signal, export_request)
            return encode(response, content_type)
        except Refusal as refusal:
            return error_response(refusal, content_type)
        finally:
            if ticket is not None:
                ticket.release()
