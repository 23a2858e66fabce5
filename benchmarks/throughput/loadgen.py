"""A load-generator process: pre-built requests over OTLP/gRPC, closed or open loop.

Runs in its own process (multiprocessing), builds its requests before the clock
starts, then sends the serialized bytes as they are (no client-side protobuf
work in the measured part) with `grpc.aio`:

- closed loop (`rate=None`): `concurrency` callers, each sending the next request
  as soon as the previous one is answered: finds the maximum rate;
- open loop (`rate` requests/s): a request starts every 1/rate seconds whatever
  the answers do, so latency is measured without coordinated omission.

It reports counts by status code and every call's latency (seconds).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import grpc

from benchmarks.throughput.workloads import Batch, generate

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
EXPORTS = {"traces": EXPORT, "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export"}


@dataclass
class Plan:
    target: str
    workload: str
    seed: int
    n_requests: int
    spans_per_request: int
    duration: float
    rate: float | None = None  # requests/s of this process; None = closed loop
    concurrency: int = 8
    #: stamped as `residency.jurisdiction` on every resource (the federated config routes by it)
    jurisdiction: str | None = None


def run(plan: Plan, ready, go, results) -> None:
    """Process entry: build requests, say ready, wait for the common start (`go`), send, report."""
    batches = generate(plan.workload, plan.n_requests, plan.spans_per_request, plan.seed)
    if plan.jurisdiction:
        batches = [stamp(batch, plan.jurisdiction) for batch in batches]
    ready.put(plan.seed)
    go.wait()
    results.put(asyncio.run(_drive(plan, batches)))


def stamp(batch: Batch, jurisdiction: str) -> Batch:
    """The batch with `residency.jurisdiction` on every resource, as a regional app sets it."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    request = (ExportLogsServiceRequest if batch.signal == "logs" else ExportTraceServiceRequest)()
    request.ParseFromString(batch.payload)
    groups = request.resource_logs if batch.signal == "logs" else request.resource_spans
    for group in groups:
        group.resource.attributes.append(KeyValue(key="residency.jurisdiction",
                                                  value=AnyValue(string_value=jurisdiction)))
    return Batch(request.SerializeToString(), batch.spans, batch.signal)


async def _drive(plan: Plan, batches: list[Batch]) -> dict:
    options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
    async with grpc.aio.insecure_channel(plan.target, options=options) as channel:
        call = channel.unary_unary(EXPORTS[batches[0].signal], request_serializer=None, response_deserializer=None)
        await channel.channel_ready()
        stats = _Stats(len(batches))
        deadline = time.perf_counter() + plan.duration
        if plan.rate is None:
            await asyncio.gather(*(_closed(call, batches, stats, deadline) for _ in range(plan.concurrency)))
        else:
            await _open(call, batches, stats, deadline, plan.rate)
        stats.elapsed = plan.duration
        return stats.report()


class _Stats:
    def __init__(self, n: int):
        self.n = n
        self.next = 0
        self.wrapped = False
        self.ok_spans = self.ok_bytes = 0
        self.codes: dict[str, int] = {}
        self.latencies: list[float] = []
        self.elapsed = 0.0

    def take(self, batches: list[Batch]) -> Batch:
        batch = batches[self.next]
        self.next += 1
        if self.next == self.n:
            self.next, self.wrapped = 0, True
        return batch

    def report(self) -> dict:
        return {"ok_spans": self.ok_spans, "ok_bytes": self.ok_bytes, "codes": self.codes,
                "latencies": self.latencies, "elapsed": self.elapsed, "wrapped": self.wrapped}


async def _one(call, batch: Batch, stats: _Stats) -> None:
    began = time.perf_counter()
    try:
        await call(batch.payload, timeout=30)
        code = "OK"
    except grpc.aio.AioRpcError as exc:
        code = exc.code().name
    stats.codes[code] = stats.codes.get(code, 0) + 1
    if code == "OK":
        stats.latencies.append(time.perf_counter() - began)
        stats.ok_spans += batch.spans
        stats.ok_bytes += len(batch.payload)


async def _closed(call, batches: list[Batch], stats: _Stats, deadline: float) -> None:
    while time.perf_counter() < deadline:
        await _one(call, stats.take(batches), stats)


async def _open(call, batches: list[Batch], stats: _Stats, deadline: float, rate: float) -> None:
    interval = 1.0 / rate
    tasks = set()
    next_at = time.perf_counter()
    while next_at < deadline:
        task = asyncio.ensure_future(_one(call, stats.take(batches), stats))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    if tasks:
        await asyncio.wait(tasks, timeout=30)
