"""The OTLP/HTTP client behind the `otlphttp` exporter (aiohttp).

Retryable answers are the Collector's: 429, 502, 503, 504, honouring
`Retry-After` (seconds or an HTTP date); connection errors and timeouts are
retryable too; any other non-2xx status is permanent. A 2xx body is read for
`partial_success`.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from scrubber import __version__
from scrubber.errors import PermanentError, RetryableError
from scrubber.exporters.otlphttp.config import OTLPHTTPExporterConfig
from scrubber.pdata import Request, Signal, otlpjson

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
_RESPONSES: dict[Signal, tuple[Any, str]] = {
    Signal.TRACES: (ExportTraceServiceResponse, "rejected_spans"),
    Signal.METRICS: (ExportMetricsServiceResponse, "rejected_data_points"),
    Signal.LOGS: (ExportLogsServiceResponse, "rejected_log_records"),
}
_TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
#: bodies above this are compressed on a worker thread, not on the event loop
_THREAD_COMPRESS_BYTES = 256 * 1024


class HttpClient:
    def __init__(self, config: OTLPHTTPExporterConfig):
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": f"scrubber/{__version__}", **config.headers}
        self._headers["Content-Type"] = "application/json" if config.encoding == "json" else "application/x-protobuf"
        if config.compression != "none":
            self._headers["Content-Encoding"] = config.compression

    async def start(self) -> None:
        if self._session is None:
            config = self.config
            connector = aiohttp.TCPConnector(ssl=self._ssl_context(), limit=config.max_idle_conns,
                                             force_close=config.disable_keep_alives,
                                             keepalive_timeout=None if config.disable_keep_alives else config.idle_conn_timeout)
            self._session = aiohttp.ClientSession(connector=connector)

    def _ssl_context(self) -> ssl.SSLContext | bool:
        tls = self.config.tls
        if not (tls.ca_file or tls.cert_file or tls.insecure_skip_verify or tls.min_version != "1.2" or tls.max_version):
            return True  # the system's default verification for https URLs
        context = ssl.create_default_context(cafile=tls.ca_file)
        if tls.ca_file and tls.include_system_ca_certs_pool:
            context.load_default_certs()
        context.minimum_version = _TLS_VERSIONS[tls.min_version]
        if tls.max_version:
            context.maximum_version = _TLS_VERSIONS[tls.max_version]
        if tls.cert_file:
            context.load_cert_chain(tls.cert_file, tls.key_file)
        if tls.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def send(self, signal: Signal, request: Request, timeout: float) -> int:
        await self.start()
        assert self._session is not None  # start() opened it
        body = await self._encode(request)
        try:
            async with self._session.post(self.config.url(signal), data=body, headers=self._headers,
                                          timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                payload = await response.read()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryableError(f"HTTP request failed: {type(exc).__name__}") from None
        if 200 <= status < 300:
            return _rejected(signal, payload, self.config.encoding)
        if status in RETRYABLE_STATUSES:
            raise RetryableError(f"HTTP {status}", retry_after=parse_retry_after(retry_after))
        raise PermanentError(f"HTTP {status}")

    async def _encode(self, request: Request) -> bytes:
        body = otlpjson.dumps(request).encode() if self.config.encoding == "json" else request.SerializeToString()
        if self.config.compression == "none":
            return body
        compress = _zstd if self.config.compression == "zstd" else _gzip
        if len(body) > _THREAD_COMPRESS_BYTES:
            return await asyncio.to_thread(compress, body)
        return compress(body)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, 6)


def _zstd(body: bytes) -> bytes:
    try:  # the standard library from Python 3.14; its backport (also what aiohttp decodes with) before
        from compression import zstd
    except ImportError:
        from backports import zstd

    return zstd.compress(body, 3)


def _rejected(signal: Signal, payload: bytes, encoding: str) -> int:
    """Items the backend rejected, from a partial_success in the response body (0 if none)."""
    if not payload:
        return 0
    response_type, field = _RESPONSES[signal]
    response = response_type()
    try:
        if encoding == "json":
            json_format.Parse(payload, response, ignore_unknown_fields=True)
        else:
            response.ParseFromString(payload)
    except (DecodeError, ValueError):
        return 0
    return getattr(response.partial_success, field)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
