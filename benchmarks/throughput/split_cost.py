"""`python -m benchmarks.throughput.split_cost`: where the pii work of a request runs, as CPU per
span, with `whole_requests: without_content` (offload.py) against everything in the main process.

`texts` (every request walked here, only detection in the workers): the main process runs the
engine. `auto` (`pool: {scope: requests}, whole_requests: without_content`): the main process
asks `carries_content`; a request without content is serialized, scrubbed by the worker's engine
(parse, walk, rewrite, serialize: timed apart as the worker's share) and parsed back; a request
with content is scrubbed here as in `texts`. Detection is answered from a dict filled on a first
pass (as when the caches answer), so the rounds time the walk, rewrite and transfer alone.
Both sides run in alternating rounds on the same requests, the outputs (bytes and reports) are
checked equal, and the best round of each is kept (the least disturbed by other load). What is
loaded is frozen out of the collector's generations first, as both processes do. The pool's
pipe (pickling the bytes) is not in the figures.

    .venv/bin/python -m benchmarks.throughput.split_cost [--workloads plain,world-mixed] [--requests 20]
"""

from __future__ import annotations

import asyncio
import gc
import time

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.prepass_cost import Answered, engine_cli
from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.offload import ContentCheck, collector_paused


class Side:
    """One way to scrub: CPU seconds of the main process and of the worker, and the outputs."""

    def __init__(self, engine, worker_engine, detection: Answered, auto: bool):
        self.engine, self.worker_engine, self.detection, self.auto = engine, worker_engine, detection, auto
        self.carries_content = ContentCheck(engine.catalog.lookup)  # kept across requests, as the processor keeps it

    def round(self, signal: Signal, payloads: list[bytes]) -> tuple[float, float, list]:
        return asyncio.run(self._all(signal, payloads))

    async def _all(self, signal: Signal, payloads: list[bytes]) -> tuple[float, float, list]:
        main = worker = 0.0
        outs = []
        gc.collect()
        for data in payloads:
            request = signal.new_request()
            request.ParseFromString(data)  # the receiver's parse: the same on both sides, not timed
            began = time.process_time()
            if self.auto and not self.carries_content(request):
                sent = request.SerializeToString()
                handed = time.process_time()
                scrubbed, report = await self._worker(signal, sent)
                back = time.process_time()
                request.ParseFromString(scrubbed)
                main += (handed - began) + (time.process_time() - back)
                worker += back - handed
            else:
                report = await self.engine.scrub(signal, request, self.detection)
                main += time.process_time() - began
            outs.append((request.SerializeToString(), dict(report.detections), dict(report.fail_closed)))
        return main, worker, outs

    async def _worker(self, signal: Signal, data: bytes):
        """What `RequestScrubber.run` does in the worker (offload.py), the collector paused alike."""
        with collector_paused():
            request = signal.new_request()
            request.ParseFromString(data)
            report = await self.worker_engine.scrub(signal, request, self.detection)
            return request.SerializeToString(), report


def measure(workload: str, n_requests: int, rounds: int, detection: Answered, config: PIIProcessorConfig) -> dict:
    batches = generate(workload, n_requests, SPANS_PER_REQUEST[workload], 7)
    signal = Signal(batches[0].signal)
    payloads = [b.payload for b in batches]
    keys = KeyStore.load(config.keys, config.pseudonym_length, None)
    texts = Side(build_engine(config, keys), None, detection, auto=False)
    auto = Side(build_engine(config, keys), build_engine(config, keys), detection, auto=True)
    _, _, reference = texts.round(signal, payloads)  # fills the detection dict
    gc.collect()
    gc.freeze()  # what the main process (after start) and every pool worker (after a build) do
    best = {"texts": (float("inf"), 0.0), "auto": (float("inf"), float("inf"))}
    for _ in range(rounds):
        for name, side in (("texts", texts), ("auto", auto)):
            main, worker, outs = side.round(signal, payloads)
            if outs != reference:
                raise AssertionError(f"{workload}: the {name} side changed the output")
            if main < best[name][0]:
                best[name] = (main, worker)
    spans = sum(b.spans for b in batches)
    offloaded = sum(not texts.carries_content(signal.new_request().FromString(p))
                    for p in payloads)
    per_span = {name: (main / spans * 1e6, worker / spans * 1e6) for name, (main, worker) in best.items()}
    return {"workload": workload, "per_span_us": per_span, "offloaded": offloaded, "requests": len(payloads)}


def main(argv: list[str] | None = None) -> int:
    args, workloads, config, detection = engine_cli("benchmarks.throughput.split_cost", __doc__, argv,
                                                    workloads="plain,world-mixed,world-logs,genai-chat", requests=20, rounds=5)
    for workload in workloads:
        r = measure(workload, args.requests, args.rounds, detection, config)
        (t_main, _), (a_main, a_worker) = r["per_span_us"]["texts"], r["per_span_us"]["auto"]
        print(f"{workload:<17} CPU per span: texts main {t_main:6.1f} us | auto main {a_main:6.1f} us + worker "
              f"{a_worker:6.1f} us (main x{t_main / a_main:.2f}; {r['offloaded']}/{r['requests']} requests sent whole; "
              "outputs identical)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
