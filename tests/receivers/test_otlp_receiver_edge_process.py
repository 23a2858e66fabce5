"""`protocols.grpc.edge: process`: the gRPC port served by a child process that refuses what the
pipelines cannot take and forwards the rest to this process (issue 13 item 2). Real processes,
real servers on 127.0.0.1, the OTel SDK's own exporter: answers, trailers, TLS, auth, restarts,
and no orphan left listening when the main process is SIGKILLed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time

import grpc
import psutil
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from scrubber.errors import ResourceExhaustedError
from scrubber.pdata import Signal
from scrubber.processors.memory_limiter.gate import MemoryGate
from scrubber.receivers.otlp import receiver as receiver_module
from scrubber.receivers.otlp.admission import Admission, AdmissionConfig
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.receivers.otlp.edge_supervisor import EDGE_PROCESSES, MODULE
from scrubber.receivers.otlp.status import Refusal
from tests.receivers.otlp_helpers import EXPECTED, Raising, run, running, sdk_spans, spans_request
from tests.receivers.test_otlp_receiver_auth import TOKEN, WRONG, _export, authenticated
from tests.receivers.test_otlp_receiver_lifecycle import Slow  # holds a request in flight
from tests.receivers.test_otlp_receiver_tls import grpc_exporter
from tests.receivers.tls_helpers import make_pki
from tests.support.process import ScrubberProcess, free_port

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def process_config(grpc: dict | None = None, **admission) -> OTLPReceiverConfig:
    return OTLPReceiverConfig.model_validate({
        "protocols": {"grpc": {"endpoint": "127.0.0.1:0", "edge": "process", **(grpc or {})}},
        "admission": admission})


def edge_children(pid: int | None = None) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if MODULE in " ".join(child.cmdline()):
                found.append(child)
    return found


async def call(port: int, payload: bytes, metadata=None, timeout: float = 5.0) -> bytes:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        return await channel.unary_unary(TRACES)(payload, timeout=timeout, metadata=metadata)


async def refused(port: int, payload: bytes, **kwargs) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(port, payload, **kwargs)
    return info.value


def retry_delay(error: grpc.aio.AioRpcError) -> float:
    raw = dict(error.trailing_metadata() or ())["grpc-status-details-bin"]
    info = error_details_pb2.RetryInfo()
    assert any(detail.Unpack(info) for detail in status_pb2.Status.FromString(raw).details)
    return info.retry_delay.ToTimedelta().total_seconds()


def test_sdk_exporter_reaches_the_consumer_through_the_edge_process():
    spans = sdk_spans()

    async def body():
        async with running(config=process_config()) as (receiver, sink):
            children = edge_children()
            assert len(children) == EDGE_PROCESSES
            for child in children:  # all on the one port
                assert receiver.grpc_port and receiver.grpc_port in {c.laddr.port for c in child.net_connections("tcp")}
            exporter = GRPCSpanExporter(endpoint=f"127.0.0.1:{receiver.grpc_port}", insecure=True, timeout=5)
            result = await asyncio.to_thread(_export, exporter, spans)
            assert result.name == "SUCCESS"
            assert sink.requests(Signal.TRACES) == [EXPECTED[Signal.TRACES](spans)]
            labels = {"receiver": "otlp", "transport": "grpc"}
            assert receiver.settings.telemetry.value("receiver_accepted_spans_total", labels) == len(spans)

    run(body())
    assert edge_children() == []  # stopped with the receiver


def test_malformed_protobuf_gets_invalid_argument_with_its_message():
    async def body():
        async with running(config=process_config()) as (receiver, sink):
            error = await refused(receiver.grpc_port, b"\xff\xff\xff\xff not protobuf")
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "malformed traces export request" in error.details()
            response = await call(receiver.grpc_port, spans_request().SerializeToString())
            assert ExportTraceServiceResponse.FromString(response) == ExportTraceServiceResponse()

    run(body())


def test_bearer_auth_is_checked_by_the_main_process_and_its_refusal_relayed(caplog):
    spans = sdk_spans()

    async def body():
        async with authenticated(config=process_config({"auth": {"authenticator": "bearertokenauth"}})) as (receiver, sink):
            for metadata in ((("authorization", f"Bearer {WRONG}"),), None):
                error = await refused(receiver.grpc_port, spans_request().SerializeToString(), metadata=metadata)
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED
            exporter = GRPCSpanExporter(endpoint=f"127.0.0.1:{receiver.grpc_port}", insecure=True, timeout=5,
                                        headers={"authorization": f"Bearer {TOKEN}"})
            assert (await asyncio.to_thread(_export, exporter, spans)).name == "SUCCESS"
            assert sink.requests(Signal.TRACES) == [EXPECTED[Signal.TRACES](spans)]
            labels = {"receiver": "otlp", "transport": "grpc", "reason": "unauthenticated"}
            assert receiver.settings.telemetry.value("receiver_refused_requests_total", labels) == 2

    with caplog.at_level(logging.DEBUG):
        run(body())
    assert TOKEN not in caplog.text and WRONG not in caplog.text


def test_a_full_receiver_refuses_at_once_with_retry_info_counted_in_the_main_process():
    consumer = Slow()

    async def body():
        async with running({Signal.TRACES: consumer}, config=process_config(
                max_concurrent_requests=1, max_queued_requests=0)) as (receiver, _):
            payload = spans_request().SerializeToString()
            held = asyncio.create_task(call(receiver.grpc_port, payload))
            await asyncio.wait_for(consumer.entered.wait(), 5)
            started = time.monotonic()
            error = await refused(receiver.grpc_port, payload)
            assert time.monotonic() - started < 1.0
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert retry_delay(error) >= 1.0
            consumer.release.set()
            await held
            labels = {"receiver": "otlp", "transport": "grpc", "reason": "concurrency"}
            deadline = time.monotonic() + 5  # the child reports its refusals once a second
            while receiver.settings.telemetry.value("receiver_refused_requests_total", labels) < 1:
                assert time.monotonic() < deadline, "refusal not counted"
                await asyncio.sleep(0.1)

    run(body())


def test_the_main_process_refusal_and_its_trailers_are_relayed():
    consumer = Raising(ResourceExhaustedError("memory limit reached", retry_after=2.5))

    async def body():
        async with running({Signal.TRACES: consumer}, config=process_config()) as (receiver, _):
            error = await refused(receiver.grpc_port, spans_request().SerializeToString())
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert error.details() == "memory limit reached"
            assert retry_delay(error) == 2.5

    run(body())


def test_tls_is_served_by_the_edge_process(tmp_path):
    pki = make_pki(tmp_path)
    spans = sdk_spans()
    config = process_config({"tls": {"cert_file": pki.server_cert, "key_file": pki.server_key,
                                     "client_ca_file": pki.ca}})

    async def body():
        async with running(config=config) as (receiver, sink):
            assert (await asyncio.to_thread(_export, grpc_exporter(pki, receiver.grpc_port, client_cert=True), spans)
                    ).name == "SUCCESS"
            assert sink.requests(Signal.TRACES) == [EXPECTED[Signal.TRACES](spans)]
            plain = await refused(receiver.grpc_port, spans_request().SerializeToString())
            assert plain.code() == grpc.StatusCode.UNAVAILABLE

    run(body())


def test_a_killed_edge_process_is_restarted_on_the_same_port(caplog):
    async def body():
        async with running(config=process_config()) as (receiver, sink):
            port = receiver.grpc_port
            children = edge_children()
            for child in children:
                child.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            while True:
                try:
                    await call(port, spans_request().SerializeToString(), timeout=1)
                    break
                except grpc.aio.AioRpcError:
                    assert time.monotonic() - killed < 5, "not serving again"
                    await asyncio.sleep(0.05)
            served_again = time.monotonic() - killed
            while len(restarted := edge_children()) < EDGE_PROCESSES:
                assert time.monotonic() - killed < 5, "not all restarted"
                await asyncio.sleep(0.05)
            assert not {c.pid for c in restarted} & {c.pid for c in children} and receiver.grpc_port == port
            assert served_again < 2.5, served_again

    with caplog.at_level(logging.INFO):
        run(body())
    assert edge_children() == []  # also when the shutdown came during a restart
    assert "exited (code -9); restarting it on port" in caplog.text
    assert "listening again" in caplog.text


def test_port_in_use_is_the_same_clear_error():
    async def body():
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(OSError, match=f"cannot listen for gRPC on 127.0.0.1:{port}"):
                async with running(config=process_config({"endpoint": f"127.0.0.1:{port}"})):
                    pass
        assert edge_children() == []
        async with running(config=process_config()) as (first, _):  # its children share the port
            with pytest.raises(OSError, match=f"cannot listen for gRPC on 127.0.0.1:{first.grpc_port}"):
                async with running(config=process_config({"endpoint": f"127.0.0.1:{first.grpc_port}"})):
                    pass
            assert len(edge_children()) == EDGE_PROCESSES

    run(body())


def test_the_memory_gate_measures_the_edge_process_too():
    async def body():
        async with running(config=process_config()):
            gate = MemoryGate()
            alone = psutil.Process().memory_info().rss
            used = gate.refresh()
            children = edge_children()
            assert {c.pid for c in children} <= {c.pid for c in gate._children}
            # its own pages count; the files it maps are ours too and count once (`footprint`)
            own_pages = sum(c.memory_info().rss - c.memory_info().shared for c in children)
            assert own_pages > 0 and used >= alone + own_pages - 2 * 1024 * 1024

    run(body())


def test_no_edge_process_outlives_a_sigkilled_scrubber(tmp_path):
    port = free_port()
    config = {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}", "edge": "process"}}}},
              "exporters": {"debug": {}},
              "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}}}
    with ScrubberProcess(config, tmp_path) as scrubber:
        assert scrubber.proc is not None
        children = edge_children(scrubber.proc.pid)
        assert len(children) == EDGE_PROCESSES
        asyncio.run(call(port, spans_request().SerializeToString()))
        for child in children:
            assert "--config" not in child.cmdline() and len(child.cmdline()) == 3  # settings came on stdin
        os.kill(scrubber.proc.pid, signal.SIGKILL)
        scrubber.proc.wait(10)
        for child in children:
            child.wait(timeout=5)  # raises psutil.TimeoutExpired if it stays
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nothing listens there any more


def test_the_edge_refuses_at_once_a_call_that_could_only_wait_out_the_queue_timeout():
    """At a drain rate of ~8/s and a 0.5 s queue_timeout, a call with 4 or more ahead of it can
    never get a place in time: the edge process refuses it at once rather than at 0.5 s."""
    async def fifth_call_waits(shed: bool) -> float:
        admission = Admission(AdmissionConfig(max_concurrent_requests=1, max_queued_requests=10, queue_timeout=0.5),
                              shed_hopeless=shed)
        until = time.monotonic() + 1.1  # the drain rate, measured under load
        while time.monotonic() < until:
            async with admission.slot("grpc"):
                await asyncio.sleep(0.125)
        release = asyncio.Event()

        async def take_a_place() -> None:
            async with admission.slot("grpc"):
                await release.wait()
        calls = [asyncio.create_task(take_a_place()) for _ in range(5)]  # one holds the place, four wait
        await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Refusal) as refused_call:
            async with admission.slot("grpc"):
                pass
        waited = time.monotonic() - started
        assert refused_call.value.retry_after is not None
        release.set()
        await asyncio.gather(*calls, return_exceptions=True)
        return waited

    assert run(fifth_call_waits(shed=True)) < 0.05
    assert run(fifth_call_waits(shed=False)) >= 0.45  # the thread edge: the whole queue_timeout


def test_several_edge_processes_share_the_port_and_a_taken_port_is_still_refused(monkeypatch):
    monkeypatch.setattr(receiver_module, "EDGE_PROCESSES", 2)

    async def body():
        async with running(config=process_config()) as (receiver, sink):
            children = edge_children()
            assert len(children) == 2
            for child in children:
                assert receiver.grpc_port in {c.laddr.port for c in child.net_connections("tcp")}
            await call(receiver.grpc_port, spans_request().SerializeToString())
            assert len(sink.requests(Signal.TRACES)) == 1
            with pytest.raises(OSError, match=f"cannot listen for gRPC on 127.0.0.1:{receiver.grpc_port}"):
                async with running(config=process_config({"endpoint": f"127.0.0.1:{receiver.grpc_port}"})):
                    pass
            assert len(edge_children()) == 2

    run(body())
    assert edge_children() == []
