"""OTLP/HTTP edge cases with a raw aiohttp client: JSON and protobuf, gzip and
deflate, 415 / 405 / 404, malformed bodies (400, and the server keeps
serving), size limits before and after decompression, consumer refusals, and
partial success, each answered in the request's encoding."""

from __future__ import annotations

import gzip
import json
import zlib

import aiohttp
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from scrubber.consumer import SinkConsumer
from scrubber.errors import PartialSuccess, ResourceExhaustedError, RetryableError
from scrubber.pdata import Signal, otlpjson
from tests.receivers.otlp_helpers import Raising, loopback_config, run, running, spans_request

PB = "application/x-protobuf"
JSON = "application/json"


async def post(port: int, body: bytes, content_type: str = PB, path: str = "/v1/traces", method: str = "POST", **headers):
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.request(
            method, f"http://127.0.0.1:{port}{path}", data=body, headers={"Content-Type": content_type, **headers}
        ) as response:
            return response.status, dict(response.headers), await response.read()


def test_json_request_gets_json_response():
    request = spans_request()

    async def body():
        async with running() as (receiver, sink):
            status, headers, raw = await post(receiver.http_port, otlpjson.dumps(request).encode(), JSON + "; charset=utf-8")
            assert (status, headers["Content-Type"], json.loads(raw)) == (200, JSON, {})
            big = spans_request()  # large enough to be decoded off the event loop
            big.resource_spans[0].resource.attributes.add(key="blob").value.string_value = "z" * (512 * 1024)
            status, _, _ = await post(receiver.http_port, otlpjson.dumps(big).encode(), JSON)
            assert status == 200
            assert sink.requests(Signal.TRACES) == [request, big]

    run(body())


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies(encoding):
    request = spans_request()
    compress = gzip.compress if encoding == "gzip" else zlib.compress

    async def body():
        async with running() as (receiver, sink):
            status, _, raw = await post(receiver.http_port, compress(request.SerializeToString()), **{"Content-Encoding": encoding})
            assert status == 200 and ExportTraceServiceResponse.FromString(raw) == ExportTraceServiceResponse()
            compressed = compress(otlpjson.dumps(request).encode())
            status, _, _ = await post(receiver.http_port, compressed, JSON, **{"Content-Encoding": encoding})
            assert status == 200
            assert sink.requests(Signal.TRACES) == [request, request]

    run(body())


def test_wrong_content_type_method_and_path():
    async def body():
        async with running() as (receiver, sink):
            port = receiver.http_port
            status, _, raw = await post(port, b"hello", "text/plain")
            assert status == 415 and b"application/x-protobuf" in raw
            status, headers, _ = await post(port, b"", method="GET")
            assert status == 405 and headers["Allow"] == "POST"
            status, _, _ = await post(port, b"", path="/v1/other")
            assert status == 404
            assert sink.received == []

    run(body())


def test_signal_without_consumer_is_404():
    async def body():
        async with running({Signal.TRACES: SinkConsumer()}) as (receiver, _):
            status, _, _ = await post(receiver.http_port, b"", path="/v1/logs")
            assert status == 404

    run(body())


@pytest.mark.parametrize(
    "content_type, payload",
    [(PB, b"\xff\xff\xff\xff not protobuf"), (JSON, b'{"resourceSpans": [ {'),
     (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}'),
     (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": 5}]}]}'), (JSON, b'{"resourceSpans": [{"\xff\xfe": 1}]}'),
     (JSON, b"[" * 100_000 + b"]" * 100_000), (JSON, b'{"a":' * 5000 + b"1" + b"}" * 5000)],
    ids=["protobuf", "json-syntax", "json-bad-id", "json-wrong-type", "json-not-utf8", "json-deep-array", "json-deep-object"],
)
def test_malformed_body_is_400_in_request_encoding_and_server_keeps_serving(content_type, payload):
    async def body():
        async with running() as (receiver, sink):
            status, headers, raw = await post(receiver.http_port, payload, content_type)
            assert status == 400 and headers["Content-Type"] == content_type
            message = json.loads(raw)["message"] if content_type == JSON else status_pb2.Status.FromString(raw).message
            assert "malformed traces export request" in message
            status, _, _ = await post(receiver.http_port, spans_request().SerializeToString())
            assert status == 200 and len(sink.requests(Signal.TRACES)) == 1

    run(body())


async def _chunks(chunk: bytes, count: int):
    for _ in range(count):
        yield chunk


def test_body_size_limit_holds_before_and_after_decompression():
    config = loopback_config(max_request_body_size=64 * 1024)
    bomb = gzip.compress(b"\0" * (8 << 20))  # 8 MiB of zeros, ~8 KiB on the wire

    async def body():
        async with running(config=config) as (receiver, sink):
            port = receiver.http_port
            status, _, _ = await post(port, b"\0" * (100 * 1024))
            assert status == 413
            status, _, _ = await post(port, _chunks(b"\0" * 1024, 100))  # no Content-Length
            assert status == 413
            status, _, raw = await post(port, bomb, **{"Content-Encoding": "gzip"})
            assert len(bomb) < 64 * 1024 and status == 413
            assert "max_request_body_size" in status_pb2.Status.FromString(raw).message
            status, _, _ = await post(port, b"not gzip", **{"Content-Encoding": "gzip"})
            assert status == 400
            status, _, _ = await post(port, b"", **{"Content-Encoding": "br"})
            assert status == 400
            assert sink.received == []
            status, _, _ = await post(port, gzip.compress(spans_request().SerializeToString()), **{"Content-Encoding": "gzip"})
            assert status == 200

    run(body())


def test_resource_exhausted_is_429_with_retry_after():
    consumer = Raising(ResourceExhaustedError("memory limit reached", retry_after=1.5))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            status, headers, raw = await post(receiver.http_port, spans_request().SerializeToString())
            assert (status, headers["Retry-After"]) == (429, "2")
            assert status_pb2.Status.FromString(raw).message == "memory limit reached"
            status, headers, raw = await post(receiver.http_port, otlpjson.dumps(spans_request()).encode(), JSON)
            detail = json.loads(raw)["details"][0]
            assert status == 429 and detail["@type"].endswith("google.rpc.RetryInfo") and detail["retryDelay"] == "1.500s"

    run(body())


@pytest.mark.parametrize("retry_after, header", [(None, None), (4, "4")])
def test_retryable_is_503(retry_after, header):
    consumer = Raising(RetryableError("exporter queue is full", retry_after=retry_after))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            status, headers, _ = await post(receiver.http_port, spans_request().SerializeToString())
            assert (status, headers.get("Retry-After")) == (503, header)

    run(body())


def test_unexpected_error_is_500_and_server_keeps_serving():
    consumer = Raising(ZeroDivisionError("bob@example.com"))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            for _ in range(2):
                status, _, raw = await post(receiver.http_port, spans_request().SerializeToString())
                assert status == 500 and b"bob@example.com" not in raw

    run(body())


def test_partial_success_in_json():
    consumer = Raising(PartialSuccess(2, "2 spans dropped"))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            status, _, raw = await post(receiver.http_port, otlpjson.dumps(spans_request()).encode(), JSON)
            partial = json.loads(raw)["partialSuccess"]
            assert status == 200 and int(partial["rejectedSpans"]) == 2 and partial["errorMessage"] == "2 spans dropped"

    run(body())


def test_empty_request_is_accepted_not_forwarded():
    async def body():
        async with running() as (receiver, sink):
            for content_type, payload in ((PB, b""), (JSON, b"{}")):
                status, _, _ = await post(receiver.http_port, payload, content_type, path="/v1/metrics")
                assert status == 200
            assert sink.received == []

    run(body())
