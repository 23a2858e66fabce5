"""Issue 13's load-and-fault run, bounded in time (about 3 minutes), behind the `slow` marker:
config/federated.yaml (memory_limiter `limit_mib` as shipped) as a real process, four real
backends, raw gRPC and HTTP clients.

1. compressed bursts: 20 then 40 concurrent gzip requests of ~40 KiB that inflate to one
   19 MiB attribute each; the RSS of scrubber and its workers stays within `limit_mib` plus
   MARGIN_MIB, and a good client is served within 5 s after each burst;
2. 10x overload: GenAI requests (IN, pseudonymized through the detection pool) offered at ten
   times the capacity measured just before, open loop, with the SDK's 10 s deadline, over gRPC
   (served by the receiver's edge processes, `edge: process` as shipped) and then over HTTP: at
   least 99% of the calls not accepted are refused within 1 s with RESOURCE_EXHAUSTED +
   RetryInfo (429 + Retry-After);
3. faults under load: a detection worker SIGKILLed every 3 s, the EU and IN backends down for
   10 s, and a client sending poison spans (3-byte trace ids) all along: every acknowledged
   span (EU, IN, US) reaches its regional backend (0 lost), every poison span is refused 400,
   and no planted e-mail reaches the global backend or IN's pseudonymized one (issue 13 item
   7's measurement; names and NER recall are the detection issue's).

Run: `.venv/bin/python -m pytest tests/e2e/test_hostile_load.py -m slow -s`; the figures are
printed and written to $SCRUBBER_LOAD_REPORT (JSON) when set; tests/fuzz/README.md has them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import signal as signals
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import psutil
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.throughput.procs import Monitor
from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal, otlpjson
from tests.fuzz.federated import METHODS, ROOT, Federated, _grpc_outcome
from tests.fuzz.overload import offer

LIMIT_MIB = yaml.safe_load((ROOT / "config" / "federated.yaml").read_text())["processors"]["memory_limiter"]["limit_mib"]
#: documented margin over limit_mib for the RSS of scrubber + workers (see tests/fuzz/README.md)
MARGIN_MIB = 512
MIB = 1 << 20


def _region(payload: bytes, region: str, prefix: str | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest.FromString(payload)
    for group in request.resource_spans:
        for kv in group.resource.attributes:
            if kv.key == "cloud.region":
                kv.value.string_value = region
        if prefix is not None:  # names may be rewritten by pii (fail closed): ids never are
            for scope in group.scope_spans:
                for i, span in enumerate(scope.spans):
                    span.name = f"{prefix}-{i}"
                    span.span_id = hashlib.blake2b(span.name.encode(), digest_size=8).digest()
    return request


def _bomb(region: str, i: int) -> bytes:
    request = _region(generate("plain", 1, 1, seed=i)[0].payload, region, f"bomb-{i}")
    text = ("the quick brown fox jumps over the lazy dog %d " % i) * (19 * MIB // 48)
    request.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="app.payload").value.string_value = text
    return gzip.compress(request.SerializeToString(), compresslevel=9)


def _good_client_delay(fed: Federated, deadline: float = 5.0) -> float:
    """Seconds until a small valid request is accepted (retrying as an SDK would, quickly)."""
    good = _region(generate("plain", 1, 1, seed=7)[0].payload, "eu-central-1", "good")
    started = time.monotonic()
    while time.monotonic() - started < deadline + 5:
        if fed.send("grpc", Signal.TRACES, good, timeout=5).kind == "ok":
            return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


def burst(fed: Federated, n: int) -> dict:
    bodies = [_bomb("ap-south-1" if i % 2 else "eu-central-1", i) for i in range(n)]
    with ThreadPoolExecutor(n) as threads:
        outcomes = list(threads.map(lambda b: fed.send_http(Signal.TRACES, b, timeout=30, **{"Content-Encoding": "gzip"}),
                                    bodies))
    return {"concurrency": n, "wire_kib": round(sum(map(len, bodies)) / n / 1024, 1),
            "outcomes": dict(Counter(o.kind for o in outcomes)), "good_client_s": round(_good_client_delay(fed), 2)}


def _calls(fed: Federated):
    return fed.channel.unary_unary(METHODS[Signal.TRACES], request_serializer=None, response_deserializer=None)


class Apps:
    """Many applications: one connection each (an HTTP/2 connection carries at most 100
    concurrent streams, and a real overload comes from many apps, not from one)."""

    def __init__(self, fed: Federated, n: int = 32):
        self.channels = [grpc.insecure_channel(f"127.0.0.1:{fed.grpc_port}",
                                               options=[("grpc.use_local_subchannel_pool", 1), ("grpc.channel_id", i)])
                         for i in range(n)]
        self.calls = [c.unary_unary(METHODS[Signal.TRACES], request_serializer=None, response_deserializer=None)
                      for c in self.channels]

    def __getitem__(self, i: int):
        return self.calls[i % len(self.calls)]

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


def capacity(apps: Apps, payloads: list[bytes], seconds: float = 8.0, clients: int = 32) -> float:
    """Requests accepted per second by enough concurrent clients to keep the pipeline busy
    (closed loop, within the receiver's concurrency limit)."""
    done, stop = Counter(), time.monotonic() + seconds

    def client(k: int) -> None:
        i = k
        while time.monotonic() < stop:
            try:
                apps[k](payloads[i % len(payloads)], timeout=10)
                done["ok"] += 1
            except grpc.RpcError:
                done["refused"] += 1
            i += clients
    with ThreadPoolExecutor(clients) as threads:
        list(threads.map(client, range(clients)))
    return max(done["ok"] / seconds, 1.0)


def overload(fed: Federated, payloads: list[bytes], rate: float, seconds: float = 30.0, transport: str = "grpc") -> dict:
    """Open loop from another process: one call every 1/rate s whatever the answers, 10 s deadline.
    gRPC over 32 connections (HTTP/2 multiplexes); HTTP/1.1 carries one request per connection at
    a time, so up to 512 connections: with fewer than the receiver admits and queues (64 + 256)
    the overload would wait in the client's own pool and never reach the server."""
    port, connections = (fed.http_port, 512) if transport == "http" else (fed.grpc_port, 32)
    results = offer(f"127.0.0.1:{port}", payloads, rate, seconds, connections, transport)
    kinds = Counter(kind for kind, _, _ in results)
    not_accepted = [(k, e) for k, e, _ in results if k != "ok"]
    fast = sum(1 for k, e in not_accepted if k == "retry" and e <= 1.0)
    return {"transport": transport, "offered_per_s": round(rate, 1), "calls": len(results), "outcomes": dict(kinds),
            "not_accepted": len(not_accepted), "refused_within_1s_with_retry_info": fast,
            "share_refused_fast": round(fast / len(not_accepted), 4) if not_accepted else 1.0,
            "p99_refusal_s": round(sorted(e for _, e in not_accepted)[int(0.99 * (len(not_accepted) - 1))], 3)
            if not_accepted else 0.0}


def _workers(pid: int) -> list[psutil.Process]:
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


def faults(fed: Federated, seconds: float = 30.0) -> dict:
    """Load with unique span names; worker kills, a backend outage and poison spans meanwhile."""
    call, stop = _calls(fed), threading.Event()
    acked: dict[str, list[bytes]] = {"eu": [], "in": [], "us": []}
    planted: list[str] = []
    counts, lock = Counter(), threading.Lock()
    base = generate("genai-chat", 16, 2, seed=11)

    def client(k: int) -> None:
        i = 0
        while not stop.is_set():
            jurisdiction = ("eu", "in", "us")[(i + k) % 3]
            prefix = f"ack-{k}-{i}"
            region = {"in": "ap-south-1", "eu": "eu-central-1", "us": "us-east-1"}[jurisdiction]
            request = _region(base[i % len(base)].payload, region, prefix)
            email = f"planted.{k}.{i}@example.com"  # US spans reach the global stack pseudonymized
            for span in request.resource_spans[0].scope_spans[0].spans:
                span.attributes.add(key="user.email").value.string_value = email
            try:
                call(request.SerializeToString(), timeout=10)
                with lock:
                    acked[jurisdiction].extend(span.span_id for span in request.resource_spans[0].scope_spans[0].spans)
                    planted.append(email)
                    counts["acknowledged_requests"] += 1
            except grpc.RpcError as error:
                with lock:
                    counts[f"client_{_grpc_outcome(error).kind}"] += 1
                time.sleep(0.2)
            i += 1

    def poison() -> None:
        bad = _region(base[0].payload, "eu-central-1", "poison")
        bad.resource_spans[0].scope_spans[0].spans[0].trace_id = b"\x01\x02\x03"
        while not stop.is_set():
            try:
                call(bad.SerializeToString(), timeout=10)
                counts["poison_accepted"] += 1
            except grpc.RpcError as error:
                counts[f"poison_{_grpc_outcome(error).kind}"] += 1
            time.sleep(0.2)

    def killer() -> None:
        rng = random.Random(3)
        while not stop.wait(3.0):
            workers = _workers(fed.process.proc.pid)
            if workers:
                os.kill(rng.choice(workers).pid, signals.SIGKILL)
                counts["workers_killed"] += 1

    def outage() -> None:
        if stop.wait(5.0):
            return
        for name in ("eu", "in"):
            fed.sinks[name].stop()
        stop.wait(10.0)
        for name in ("eu", "in"):
            fed.sinks[name].start()
        counts["backend_outage_s"] = 10

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    threads += [threading.Thread(target=f) for f in (poison, killer, outage)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(30)

    def arrived(name: str) -> set[bytes]:
        return {span.span_id for request in fed.sinks[name].requests[Signal.TRACES]
                for group in request.resource_spans for scope in group.scope_spans for span in scope.spans}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(set(acked[j]) - arrived(j) for j in acked):
        time.sleep(1.0)
    lost = {j: len(set(acked[j]) - arrived(j)) for j in acked}
    global_text = "".join(otlpjson.dumps(r) for signal in Signal for r in fed.sinks["global"].requests[signal])
    in_text = "".join(otlpjson.dumps(r) for r in fed.sinks["in"].requests[Signal.TRACES])
    return {**counts, "acknowledged_spans": {j: len(v) for j, v in acked.items()}, "lost_acknowledged_spans": lost,
            "planted_emails": len(planted), "planted_at_global": sum(e in global_text for e in planted),
            "planted_at_in_pseudonymized": sum(e in in_text for e in planted)}


def _config(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "config" / "federated.yaml").read_text())
    path = tmp_path / "federated.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _report(name: str, report: dict) -> None:
    print(json.dumps(report, indent=1))
    if os.environ.get("SCRUBBER_LOAD_REPORT"):
        path = Path(os.environ["SCRUBBER_LOAD_REPORT"])
        previous = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**previous, name: report}, indent=1))


@pytest.mark.slow
def test_compressed_bursts_and_faults_under_load(tmp_path):
    with Federated(tmp_path, config=_config(tmp_path)) as fed:
        monitor = Monitor(fed.process.proc.pid, interval=0.05)
        monitor.start()
        try:
            fed.send_grpc(Signal.TRACES, generate("genai-chat", 1, 2, seed=1)[0].payload, timeout=60)  # warm-up
            idle_rss = monitor.sample()[1] / MIB
            bursts = [burst(fed, n) for n in (20, 40)]
            faulted = faults(fed)
        finally:
            monitor.stop()
        alive = fed.process.proc.poll() is None
        stderr = fed.process.stderr()
    report = {"limit_mib": LIMIT_MIB, "margin_mib": MARGIN_MIB, "idle_rss_mib": round(idle_rss),
              "peak_rss_mib": round(monitor.peak_rss / MIB), "bursts": bursts, "faults": faulted,
              "process_alive": alive, "unexpected_errors_logged": stderr.count("unexpected")}
    _report("bursts_and_faults", report)
    assert alive and report["unexpected_errors_logged"] == 0
    assert report["peak_rss_mib"] <= LIMIT_MIB + MARGIN_MIB, report
    for row in bursts:
        assert row["good_client_s"] <= 5.0, row
        assert set(row["outcomes"]) <= {"ok", "retry", "too_large"}, row
    assert faulted["lost_acknowledged_spans"] == {"eu": 0, "in": 0, "us": 0}, faulted
    # e-mails are pattern-detected: with workers killed the pii path fails closed, never open
    assert faulted["planted_at_global"] == 0 and faulted["planted_at_in_pseudonymized"] == 0, faulted
    assert faulted.get("poison_accepted", 0) == 0 and faulted.get("poison_invalid", 0) > 0, faulted


@pytest.mark.slow
def test_ten_times_overload_is_refused_within_a_second(tmp_path):
    """gRPC, then HTTP, each at ten times the capacity measured over gRPC just before. It measures
    the machine too: on the shared 2-core machine crowded by other work (load average 6-7.5) both
    transports have fallen short together (figures in tests/fuzz/README.md)."""
    with Federated(tmp_path, config=_config(tmp_path)) as fed:
        apps = Apps(fed)
        genai = [_region(b.payload, "ap-south-1").SerializeToString() for b in generate("genai-unique", 40, 4, seed=5)]
        for payload in genai:  # warm-up: models loaded, every payload seen once (cached from now on)
            fed.send_grpc(Signal.TRACES, payload, timeout=30)
        measured = capacity(apps, genai)
        apps.close()
        rows = []
        for transport in ("grpc", "http"):
            loaded = overload(fed, genai, rate=10 * measured, transport=transport)
            rows.append({**loaded, "good_client_after_s": round(_good_client_delay(fed), 2)})
        alive = fed.process.proc.poll() is None
    _report("overload", {"capacity_per_s": round(measured, 1), "runs": rows})
    assert alive and all(row["good_client_after_s"] <= 5.0 for row in rows), rows
    assert all(row["share_refused_fast"] >= 0.99 for row in rows), rows
