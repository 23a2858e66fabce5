"""`python -m benchmarks.throughput.subjects_cost`: CPU per span of the pii processor with
and without `subjects`, in one process, on the same GenAI requests.

The end-to-end benchmark's spans/s follow whatever CPU share the machine leaves scrubber;
on a shared machine that noise is larger than the cost of subject keys. Here both
processors (same detection service, findings cache warm, subject keys cached in a SQLite
vault) scrub the same requests in alternating rounds, and the process CPU time of each
round (detection thread included) is compared: median and best round.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.throughput.workloads import generate
from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.detection import DetectionConfig
from scrubber.detection.service import InProcessDetection
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.processor import create_processor
from scrubber.service.telemetry import Telemetry


class _Host:
    def __init__(self, shared: dict):
        self.objects = shared

    def extension(self, _id):
        return None

    def shared(self, name, make):
        if name not in self.objects:
            self.objects[name] = make()
        return self.objects[name]

    def is_ready(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput.subjects_cost")
    parser.add_argument("--workload", default="genai-chat")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=16)
    args = parser.parse_args(argv)
    os.environ.setdefault("SCRUBBER_BENCH_KEY", os.urandom(16).hex())
    loop = asyncio.new_event_loop()
    detection = InProcessDetection(DetectionConfig())
    with tempfile.TemporaryDirectory(prefix="scrubber-subjects-cost-") as tmp:
        def processor(subjects: bool):
            body = {"keys": {"default": {"active": "k1", "keys": {"k1": {"env": "SCRUBBER_BENCH_KEY"}}}}}
            if subjects:
                body["subjects"] = {"vault": {"directory": f"{tmp}/vault"}, "receipts": f"{tmp}/receipts.jsonl"}
            settings = Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("bench"), Telemetry(), "traces")
            made = create_processor(settings, PIIProcessorConfig.model_validate(body), Signal.TRACES, SinkConsumer())
            loop.run_until_complete(made.start(_Host({"detection": detection})))
            return made

        batches = generate(args.workload, args.requests, 10, 7)
        spans = sum(b.spans for b in batches)
        procs = {False: processor(False), True: processor(True)}

        def round_cpu(p) -> float:
            began = time.process_time()
            for batch in batches:
                request = ExportTraceServiceRequest()
                request.ParseFromString(batch.payload)
                loop.run_until_complete(p.consume(Signal.TRACES, request))
            return time.process_time() - began

        for on in (False, True):  # warm: findings cache, subject keys created and cached
            round_cpu(procs[on])
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for i in range(args.rounds):
            for on in ((False, True) if i % 2 == 0 else (True, False)):
                cpu[on].append(round_cpu(procs[on]))
        for stat in (statistics.median, min):
            off, on = stat(cpu[False]), stat(cpu[True])
            print(f"{args.workload} {stat.__name__:>6}: {1e6 * off / spans:7.1f} us/span without subjects, "
                  f"{1e6 * on / spans:7.1f} with: {100 * (on / off - 1):+.1f}% CPU")
        for p in procs.values():
            loop.run_until_complete(p.shutdown(5))
            vault = getattr(p.engine.subjects, "vault", None)
            if vault is not None:
                loop.run_until_complete(vault.close())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
