"""The receiver's shape (issue 9 item 4) and its edge loop (issue 13 item 2).

- The servers are built from an `export` callable, an `Admission` and an authenticator:
  no server module imports the receiver, and a server runs without one.
- Refusals do not wait for the pipelines: with the pipeline loop blocked solid by a consumer,
  calls beyond the concurrency limit are still refused within a second, with RetryInfo
  (gRPC) and Retry-After (HTTP); the blocked request is then answered normally.
"""

from __future__ import annotations

import ast
import asyncio
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

import scrubber.receivers.otlp as otlp_package
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal
from scrubber.receivers.otlp.admission import Admission, AdmissionConfig
from scrubber.receivers.otlp.auth import ServerAuthenticator
from scrubber.receivers.otlp.config import GRPCConfig, HTTPConfig, OTLPReceiverConfig
from scrubber.receivers.otlp.grpc_server import GRPCServer
from scrubber.receivers.otlp.http_server import PROTOBUF, HTTPServer
from scrubber.receivers.otlp.status import export_response
from tests.receivers.otlp_helpers import run, running, spans_request
from tests.receivers.test_otlp_receiver_admission import retry_delay
from tests.receivers.test_otlp_receiver_grpc import TRACES, call
from tests.receivers.test_otlp_receiver_http import post

SERVER_MODULES = ("grpc_server.py", "http_server.py", "admission.py", "auth.py", "edge.py")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", SERVER_MODULES)
def test_no_server_module_imports_the_receiver(module):
    imported = _imports(Path(otlp_package.__file__).parent / module)
    assert not {name for name in imported if name.startswith(("scrubber.receivers.otlp.receiver",
                                                               "scrubber.receivers.otlp.factory"))}


class Tokens:
    """A server authenticator extension: one accepted bearer token."""

    def authenticate(self, headers) -> bool:
        return headers.get("authorization") == "Bearer good"


def test_servers_run_with_an_export_callable_and_an_admission_alone():
    received, refusals = [], []

    async def export(signal, request):
        received.append((signal, request))
        return export_response(signal)

    async def body():
        admission = Admission(AdmissionConfig())
        auth = ServerAuthenticator(Tokens(), lambda: refusals.append("unauthenticated"), __import__("logging").getLogger("t"), "otlp")
        grpc_server = GRPCServer(GRPCConfig(endpoint="127.0.0.1:0"), [Signal.TRACES], export, admission)
        http_server = HTTPServer(HTTPConfig(endpoint="127.0.0.1:0"), [Signal.TRACES], export, admission, auth)
        await grpc_server.start()
        await http_server.start()
        try:
            payload = spans_request().SerializeToString()
            assert ExportTraceServiceResponse.FromString(await call(grpc_server.port, TRACES, payload)) == ExportTraceServiceResponse()
            status, headers, _ = await post(http_server.port, payload, PROTOBUF)
            assert status == 401 and headers["WWW-Authenticate"] == 'Bearer realm="otlp"'
            status, _, _ = await post(http_server.port, payload, PROTOBUF, Authorization="Bearer good")
            assert status == 200
        finally:
            await grpc_server.stop(1.0)
            await http_server.stop(1.0)
        assert [signal for signal, _ in received] == [Signal.TRACES, Signal.TRACES]
        assert refusals == ["unauthenticated"] and admission.held == 0

    run(body())


class BlocksTheLoop(SinkConsumer):
    """A pipeline that holds its event loop (and not the interpreter) for `seconds` on the
    first request, like a pipeline too busy to get round to anything else."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.entered = threading.Event()

    async def consume(self, signal, request):
        if not self.entered.is_set():
            self.entered.set()
            time.sleep(self.seconds)
        await super().consume(signal, request)


def _grpc_call(port: int, payload: bytes) -> tuple[str, float, grpc.RpcError | None]:
    started = time.monotonic()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            channel.unary_unary(TRACES)(payload, timeout=10)
            return "ok", time.monotonic() - started, None
        except grpc.RpcError as error:
            return error.code().name, time.monotonic() - started, error


def _http_call(port: int, payload: bytes) -> tuple[int, float, str | None]:
    started = time.monotonic()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=payload, method="POST",
                                     headers={"Content-Type": PROTOBUF})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, time.monotonic() - started, None
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - started, error.headers.get("Retry-After")


def test_refusals_are_answered_while_the_pipeline_loop_is_blocked():
    blocking = BlocksTheLoop(seconds=2.5)
    payload = spans_request().SerializeToString()
    config = OTLPReceiverConfig.model_validate({
        "protocols": {"grpc": {"endpoint": "127.0.0.1:0"}, "http": {"endpoint": "127.0.0.1:0"}},
        "admission": {"max_concurrent_requests": 1, "max_queued_requests": 0}})
    results: dict = {}

    def clients(grpc_port: int, http_port: int) -> None:
        first = threading.Thread(target=lambda: results.update(first=_grpc_call(grpc_port, payload)))
        first.start()
        blocking.entered.wait(5)
        results["grpc"] = [_grpc_call(grpc_port, payload) for _ in range(5)]
        results["http"] = [_http_call(http_port, payload) for _ in range(5)]
        first.join(10)

    async def body():
        async with running({s: blocking for s in Signal}, config) as (receiver, _):
            thread = threading.Thread(target=clients, args=(receiver.grpc_port, receiver.http_port))
            thread.start()
            await asyncio.to_thread(thread.join, 20)
        assert all(code == "RESOURCE_EXHAUSTED" and elapsed < 1.0 and retry_delay(error) >= 1
                   for code, elapsed, error in results["grpc"]), results["grpc"]
        assert all(status == 429 and elapsed < 1.0 and int(retry_after) >= 1
                   for status, elapsed, retry_after in results["http"]), results["http"]
        assert results["first"][0] == "ok" and len(blocking.requests(Signal.TRACES)) == 1

    run(body())


def test_the_pipeline_loop_yields_while_calls_are_refused_and_only_then():
    """While refusals for want of a slot keep coming, every tick of the pipeline loop is followed
    by YIELD_SECONDS with the interpreter lock released; once they stop, the loop runs freely."""
    from scrubber.receivers.otlp.admission import YIELD_SECONDS, YIELD_TICK

    admission = Admission(AdmissionConfig())
    ticks = 20

    async def elapsed(refusing: bool) -> float:
        started = time.monotonic()
        for _ in range(ticks):
            if refusing:
                admission.saturated_refusals += 1
            await asyncio.sleep(YIELD_TICK)
        return time.monotonic() - started

    async def body():
        yielding = asyncio.create_task(admission.yield_while_refusing())
        try:
            refusing = await elapsed(True)
            await asyncio.sleep(2 * (YIELD_TICK + YIELD_SECONDS))  # the last refusal's yield is over
            calm = await elapsed(False)
        finally:
            yielding.cancel()
        assert refusing >= ticks * YIELD_SECONDS * 0.9
        assert calm < ticks * YIELD_SECONDS * 0.9

    run(body())


def _edge_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("otlp-receiver-") and t.is_alive()]


def test_the_edge_thread_ends_with_the_receiver_also_when_the_start_fails():
    async def body():
        async with running() as (first, _):
            assert len(_edge_threads()) == 1
            taken = OTLPReceiverConfig.model_validate({"protocols": {"grpc": {"endpoint": f"127.0.0.1:{first.grpc_port}"}}})
            with pytest.raises(OSError):
                async with running(config=taken):
                    pass
            assert len(_edge_threads()) == 1
        assert _edge_threads() == []

    assert _edge_threads() == []
    run(body())
