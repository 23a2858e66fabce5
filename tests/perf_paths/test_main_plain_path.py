"""The main process's cheaper per-span stages give exactly what the straightforward ones gave
(`main_references.py`, the code before them): the pii offload's content check, the residency
stamp, the router's one-jurisdiction read and the receiver's validation, on every fixture,
every benchmark workload and requests built to defeat the byte-level pre-checks (the key in
an event, in a value, twice, not last)."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from scrubber.connectors.residency_router.split import split_counted
from scrubber.pdata import Signal, clone, item_count, items
from scrubber.processors.pii import offload
from scrubber.processors.pii.offload import ContentCheck
from scrubber.processors.residency.config import ResidencyConfig
from scrubber.processors.residency.processor import make_resolver, stamp, stamp_reference
from scrubber.receivers.otlp import validate
from scrubber.receivers.otlp.status import Refusal
from scrubber.residency.resolve import DECLARING_KEY
from scrubber.testing.data import fixture_requests
from tests.perf_paths import main_references as before
from tests.perf_paths.engines import engine_config

J = "residency.jurisdiction"
TRICKY_TEXT = DECLARING_KEY.decode()  # a value whose bytes hold the key's serialized form


def _set(attributes, values: list[tuple[str, object]]) -> None:
    for key, value in values:
        kv = attributes.add(key=key)
        if isinstance(value, int):
            kv.value.int_value = value
        else:
            kv.value.string_value = value


def _traces(resource: list, spans: list[list], events: dict[int, list] | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    _set(group.resource.attributes, resource)
    scope = group.scope_spans.add()
    for n, attrs in enumerate(spans):
        span = scope.spans.add(name=f"s{n}", trace_id=bytes(16), span_id=n.to_bytes(8, "big"))
        _set(span.attributes, attrs)
        for event_attrs in (events or {}).get(n, []):
            _set(span.events.add(name="e").attributes, event_attrs)
    return request


def _logs(resource: list, records: list[list], bodies: bool = False) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    scope = request.resource_logs.add().scope_logs.add()
    _set(request.resource_logs[0].resource.attributes, resource)
    for attrs in records:
        record = scope.log_records.add()
        _set(record.attributes, attrs)
        if bodies:
            record.body.string_value = "hello"
    return request


def _metrics(resource: list, points: list[list]) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    scope = request.resource_metrics.add().scope_metrics.add()
    _set(request.resource_metrics[0].resource.attributes, resource)
    gauge, total = scope.metrics.add(name="g"), scope.metrics.add(name="c")
    for i, attrs in enumerate(points):
        point = (gauge.gauge if i % 2 else total.sum).data_points.add(as_int=i)
        _set(point.attributes, attrs)
    return request


def crafted() -> list[tuple[Signal, object]]:
    """Requests on which a byte-level shortcut would go wrong if it trusted the bytes alone."""
    http = [("http.request.method", "GET"), ("enduser.id", "u-1")]
    return [
        (Signal.TRACES, _traces([(J, "in")], [http, http, []])),
        (Signal.TRACES, _traces([("cloud.region", "eu-west-1")], [http, [*http, (J, "EU")], [(J, 7), *http]])),
        (Signal.TRACES, _traces([(J, "in")], [[*http, (J, "eu")], [*http, (J, "us")]])),  # two jurisdictions
        (Signal.TRACES, _traces([(J, "in")], [[(J, "eu"), *http, (J, "in")], [*http, (J, "in")]])),  # not the first
        (Signal.TRACES, _traces([(J, "in")], [[*http, (J, "in")], http], events={1: [[(J, "eu")]]})),  # in an event
        (Signal.TRACES, _traces([], [[*http, (J, "eu")], [("note", TRICKY_TEXT)]])),  # in a value
        (Signal.TRACES, _traces([], [[("note", TRICKY_TEXT)], [("note", TRICKY_TEXT)]])),
        (Signal.TRACES, _traces([(J, "in")], [[*http, (J, "  In ")], [*http, (J, "in")]])),
        (Signal.TRACES, _traces([(J, "in")], [[*http, (J, "not a valid id!")]])),
        (Signal.TRACES, _traces([(J, "in")], [[("gen_ai.input.messages", "[]")], http])),  # content
        (Signal.TRACES, _traces([(J, "in")], [http], events={0: [[("exception.message", "boom")]]})),
        (Signal.TRACES, _traces([("input.value", "x")], [http])),
        (Signal.TRACES, ExportTraceServiceRequest()),
        (Signal.LOGS, _logs([(J, "in")], [http, [*http, (J, "eu")]])),
        (Signal.LOGS, _logs([(J, "in")], [http, http], bodies=True)),
        (Signal.METRICS, _metrics([(J, "eu")], [[("region", "x")], [(J, "in")], [], [(J, "eu")]])),
        (Signal.METRICS, _metrics([(J, "eu")], [[("region", "x")], []])),
    ]


def _workload_requests() -> list[tuple[Signal, object]]:
    from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
    from benchmarks.throughput.loadgen import stamp as stamp_batch
    from benchmarks.throughput.workloads import WORKLOADS, generate

    out = []
    for workload in WORKLOADS:
        for batch in generate(workload, 2, min(SPANS_PER_REQUEST[workload], 20), 11):
            for stamped in (batch, stamp_batch(batch, "in")):
                signal = Signal(stamped.signal)
                out.append((signal, signal.new_request().FromString(stamped.payload)))
    return out


@pytest.fixture(scope="module")
def every_request() -> list[tuple[Signal, object]]:
    fixtures = [(signal, request) for signal in Signal for request in fixture_requests(signal)]
    return crafted() + fixtures + _workload_requests()


def _lookup():
    from scrubber.processors.pii.assemble import build_engine
    from scrubber.processors.pii.keys import KeyStore

    return build_engine(engine_config(), KeyStore({})).catalog.lookup


@pytest.mark.parametrize(("max_plain_keys", "chunk"), [(offload.MAX_PLAIN_KEYS, offload.CHUNK), (3, 1), (8192, 3)])
def test_the_content_check_with_plain_keys_kept_gives_the_verdicts_of_the_rule_per_key(
        every_request, monkeypatch, max_plain_keys, chunk):
    monkeypatch.setattr(offload, "MAX_PLAIN_KEYS", max_plain_keys)  # 3: the kept keys start afresh often
    monkeypatch.setattr(offload, "CHUNK", chunk)
    lookup = _lookup()
    check = ContentCheck(lookup)
    for round_ in ("cold", "warm"):
        verdicts = [check(request) for _, request in every_request]
        assert verdicts == [before.carries_content(request, lookup) for _, request in every_request], round_
    assert True in verdicts and False in verdicts
    assert len(check.plain) <= max(max_plain_keys, 1)
    assert offload.carries_content(every_request[0][1], lookup) == verdicts[0]


def _content_cases(every_request) -> list:
    """Trace requests whose spans share key lists with other spans but not their verdict: a
    content key in an event, the same keys in another order, an event with no attributes."""
    plain = [("http.request.method", "GET"), ("enduser.id", "u-1")]
    extra = [
        _traces([(J, "in")], [plain, plain], events={1: [[]]}),
        _traces([(J, "in")], [plain, list(reversed(plain))], events={0: [[("exception.type", "E")]]}),
        _traces([(J, "in")], [plain], events={0: [[("gen_ai.prompt", "hi")]]}),
        _traces([(J, "in")], [plain, plain, [*plain, ("gen_ai.completion", "x")]]),
        _traces([("llm.input_messages", "x")], [plain]),
    ]
    return [request for signal, request in every_request if signal == Signal.TRACES] + extra


@pytest.mark.parametrize(("max_plain_keys", "max_plain_spans"), [(offload.MAX_PLAIN_KEYS, offload.MAX_PLAIN_SPANS),
                                                                 (3, 1), (8192, 2)])
def test_the_content_check_from_span_key_blobs_gives_the_verdicts_of_the_rule_per_key(
        every_request, monkeypatch, max_plain_keys, max_plain_spans):
    """`ContentCheck.traces(bytes)` (keys read through `span_keys`, spans' key lists kept) decides
    every trace request as the rule per key did, cold and warm, with its memos starting afresh often."""
    monkeypatch.setattr(offload, "MAX_PLAIN_KEYS", max_plain_keys)
    monkeypatch.setattr(offload, "MAX_PLAIN_SPANS", max_plain_spans)
    lookup = _lookup()
    check = ContentCheck(lookup)
    requests = _content_cases(every_request)
    expected = [before.carries_content(request, lookup) for request in requests]
    for round_ in ("cold", "warm"):
        assert [check.traces(request.SerializeToString()) for request in requests] == expected, round_
    assert True in expected and False in expected
    assert len(check.plain_spans) <= max(max_plain_spans, 1)


def test_the_span_keys_schema_keeps_exactly_the_keys_the_content_check_reads(every_request):
    """Every key of a resource, scope, span and span event, in order, and nothing else (no value)."""
    from scrubber.processors.pii.span_keys import trace_keys

    for request in _content_cases(every_request):
        view = trace_keys(request.SerializeToString())
        assert len(view.resource_spans) == len(request.resource_spans)
        for group, ours in zip(request.resource_spans, view.resource_spans):
            assert [kv.key for kv in group.resource.attributes] == [k.key for k in ours.resource.attributes]
            for scope, our_scope in zip(group.scope_spans, ours.scope_spans, strict=True):
                assert [kv.key for kv in scope.scope.attributes] == [k.key for k in our_scope.scope.attributes]
                for span, our_span in zip(scope.spans, our_scope.spans, strict=True):
                    assert [kv.key for kv in span.attributes] == [k.key for k in our_span.attributes]
                    assert [[kv.key for kv in e.attributes] for e in span.events] == \
                        [[k.key for k in e.attributes] for e in our_span.events]
                    # the blob is the keys and nothing else: the same as a span built from the keys alone
                    alone = type(our_span)()
                    for kv in span.attributes:
                        alone.attributes.add(key=kv.key)
                    for event in span.events:
                        our_event = alone.events.add()
                        for kv in event.attributes:
                            our_event.attributes.add(key=kv.key)
                    assert our_span.SerializeToString() == alone.SerializeToString()


def _stamped_pair(request) -> tuple[object, object, dict, dict]:
    resolver = make_resolver(ResidencyConfig(default_jurisdiction="us"))
    fast, slow = clone(request), clone(request)
    return fast, slow, stamp(resolver, fast), stamp_reference(resolver, slow)


def test_the_stamp_with_the_byte_pre_check_writes_the_same_bytes_and_counts(every_request):
    for i, (_, request) in enumerate(every_request):
        fast, slow, fast_counts, slow_counts = _stamped_pair(request)
        assert fast.SerializeToString() == slow.SerializeToString(), f"request {i}"
        assert list(fast_counts.items()) == list(slow_counts.items()), f"request {i}"


def _parts(parts: dict) -> list:
    return [(j, part.SerializeToString(), count) for j, (part, count) in parts.items()]


def test_the_router_reads_the_same_jurisdictions_stamped_or_not(every_request):
    """After the stamp (its last-attribute shortcut) and on the raw requests (the full read)."""
    fast_paths = 0
    for i, (signal, request) in enumerate(every_request):
        stamped = _stamped_pair(request)[0]
        for candidate in (request, stamped):
            assert _parts(split_counted(signal, clone(candidate))) == \
                _parts(before.split_counted_reference(signal, clone(candidate))), f"request {i}"
        fast_paths += before.one_jurisdiction(stamped) is not None
    assert fast_paths > len(every_request) // 2


def _bad_spans() -> list:
    good = _traces([], [[("a", "b")]])
    cases = []
    for field, value in (("trace_id", bytes(15)), ("trace_id", b""), ("span_id", bytes(9)), ("parent_span_id", bytes(3)),
                         ("kind", 6), ("kind", -1)):
        bad = clone(good)
        setattr(bad.resource_spans[0].scope_spans[0].spans[0], field, value)
        cases.append((Signal.TRACES, bad))
    for status, link in ((3, None), (0, (bytes(16), bytes(7))), (0, (bytes(2), bytes(8))), (0, (bytes(16), bytes(8)))):
        bad = clone(good)
        span = bad.resource_spans[0].scope_spans[0].spans.add(trace_id=bytes(16), span_id=bytes(8))
        span.status.code = status
        if link:
            span.links.add(trace_id=link[0], span_id=link[1])
        cases.append((Signal.TRACES, bad))
    for field, value in (("trace_id", bytes(3)), ("span_id", bytes(16)), ("severity_number", 25), ("trace_id", bytes(16))):
        bad = _logs([], [[("a", "b")], [("a", "c")]])
        setattr(bad.resource_logs[0].scope_logs[0].log_records[1], field, value)
        cases.append((Signal.LOGS, bad))
    return cases


def _refusal(check, signal: Signal, request) -> str | None:
    try:
        check(signal, request)
    except Refusal as refusal:
        return str(refusal)
    return None


def test_validation_refuses_the_same_requests_with_the_same_words(every_request):
    cases = _bad_spans()
    refused = [_refusal(validate.check, signal, request) for signal, request in cases + every_request]
    assert refused == [_refusal(before.check, signal, request) for signal, request in cases + every_request]
    assert sum(r is not None for r in refused) == len(cases) - 2  # the last link and log cases are valid


def _wanted_sets() -> list[frozenset[str]]:
    from scrubber.connectors.aggregates.config import AggregatesConfig
    from scrubber.connectors.aggregates.derive import Deriver
    from scrubber.connectors.aggregates.store import Store

    default = Deriver(AggregatesConfig(), Store(100)).wanted
    return [default, default - {J}, frozenset({J}), frozenset()]


def _dimension_cases() -> list[tuple[Signal, object]]:
    """Every wanted key where the byte check must see it: first attribute, in an event, in a
    value, next to the stamp; and stamps twice, not last, not scalar."""
    cases = []
    for key in sorted(_wanted_sets()[0]):
        plain = [("http.route", "/a"), (J, "in")]
        cases.append((Signal.TRACES, _traces([], [[(key, "v"), *plain], plain])))
        cases.append((Signal.TRACES, _traces([], [plain, plain], events={1: [[(key, "v")]]})))
        cases.append((Signal.TRACES, _traces([], [plain, [("note", KeyValue(key=key).SerializeToString().decode()), *plain]])))
    kvlist = _traces([], [[("a", "b"), (J, "in")]])
    kvlist.resource_spans[0].scope_spans[0].spans[0].attributes[-1].value.kvlist_value.values.add(key="k")
    twice = _traces([], [[(J, "in"), ("a", "b"), (J, "in")], [("a", "b"), (J, "in")]])
    twice.resource_spans[0].scope_spans[0].spans[0].attributes[-1].value.kvlist_value.values.add(key="k")
    for first, second in ((0.0, -0.0), (-0.0, 0.0), (1.0, 1)):
        doubles = _traces([], [[("a", "b"), (J, "x")], [("a", "b"), (J, "x")]])
        for span, value in zip(doubles.resource_spans[0].scope_spans[0].spans, (first, second)):
            if isinstance(value, float):
                span.attributes[-1].value.double_value = value
            else:
                span.attributes[-1].value.int_value = value
        cases.append((Signal.TRACES, doubles))
    cases += [(Signal.TRACES, _traces([], [[(J, "in"), ("a", "b"), (J, "eu")], [("a", "b"), (J, "in")]])),
              (Signal.TRACES, _traces([], [[(J, "in"), ("a", "b")], [("a", "b"), (J, "in")]])),
              (Signal.TRACES, _traces([], [[(J, 3)], [(J, "in")], []])),
              (Signal.TRACES, kvlist), (Signal.TRACES, twice)]
    return cases


@pytest.mark.parametrize("skip_after_miss", [0, 16])
def test_scope_dimensions_from_the_bytes_equal_the_key_by_key_read(every_request, monkeypatch, skip_after_miss):
    from scrubber.connectors.aggregates import derive
    from scrubber.connectors.aggregates.derive import ScopeDimensions, attributes
    from scrubber.pdata import resource_groups, scope_groups, scope_items

    monkeypatch.setattr(derive, "SKIP_AFTER_MISS", skip_after_miss)  # 0: every group tries the bytes first

    shortcuts = 0
    for wanted in _wanted_sets():
        reader = ScopeDimensions(wanted)
        for i, (_, request) in enumerate(_dimension_cases() + every_request):
            for candidate in (request, _stamped_pair(request)[0]):
                for group in resource_groups(candidate):
                    for scope in scope_groups(group):
                        items = list(scope_items(scope))
                        got = [repr(list(d.items())) for d in reader.of(scope, items)]  # repr: 0.0 is not -0.0 nor 0
                        assert got == [repr(list(attributes(item.attributes, wanted).items())) for item in items], \
                            f"case {i}"
                        data = scope.SerializeToString()
                        shortcuts += (bool(items) and (reader._others is None or reader._others.search(data) is None)
                                      and reader._stamps_only(data, items) is not None)
    assert shortcuts > 100


def test_item_count_counts_what_visiting_every_item_counts(every_request):
    """`item_count` takes the length of each group's spans and log records instead of visiting them."""
    for _signal, request in every_request:
        assert item_count(request) == sum(1 for _ in items(request))


def test_last_attributes_in_c_gives_what_the_loop_gave(every_request):
    """`last_attributes` (two `map`s) against the loop it replaced: the same attributes, None
    as soon as one item has none (the router's and the aggregates' stamp proof)."""
    from scrubber.pdata import resource_groups, scope_groups, scope_items
    from scrubber.residency.resolve import last_attributes

    def loop(group_items):
        lasts = []
        for item in group_items:
            if not item.attributes:
                return None
            lasts.append(item.attributes[-1])
        return lasts

    nones = 0
    for _, request in every_request:
        for candidate in (request, _stamped_pair(request)[0]):
            for group in resource_groups(candidate):
                for scope in scope_groups(group):
                    group_items = list(scope_items(scope))
                    got, expected = last_attributes(group_items), loop(group_items)
                    assert (got is None) == (expected is None)
                    nones += got is None
                    if got is not None:
                        assert [kv.SerializeToString() for kv in got] == [kv.SerializeToString() for kv in expected]
    assert nones > 0


def test_scope_dimensions_shared_by_every_item_are_each_items_own(every_request, monkeypatch):
    """`ScopeDimensions.read` says "every item has these dimensions" only when the key-by-key
    read gives exactly them for each item (`Deriver.spans_shared` then reads no attribute)."""
    from scrubber.connectors.aggregates import derive
    from scrubber.connectors.aggregates.derive import SPAN_ROW, ScopeDimensions, attributes
    from scrubber.pdata import resource_groups, scope_groups, scope_items

    monkeypatch.setattr(derive, "SKIP_AFTER_MISS", 0)
    shared_groups = 0
    for wanted in _wanted_sets():
        reader = ScopeDimensions(wanted)
        for i, (_, request) in enumerate(_dimension_cases() + every_request):
            for candidate in (request, _stamped_pair(request)[0]):
                for group in resource_groups(candidate):
                    for scope in scope_groups(group):
                        group_items = list(scope_items(scope))
                        shared, each = reader.read(scope, group_items)
                        expected = [repr(list(attributes(item.attributes, wanted).items())) for item in group_items]
                        got = [repr(list(d.items())) for d in each] if shared is None \
                            else [repr(list(shared.items()))] * len(group_items)
                        assert got == expected, f"case {i}"
                        shared_groups += shared is not None and bool(group_items)
                        if hasattr(scope, "spans"):  # the spans' reading, with their rows
                            shared_too, each_too, rows = reader.read_spans(scope, scope.spans)
                            assert (repr(shared_too), each_too) == (repr(shared), each), f"case {i}"
                            assert (rows is None) == (shared is None)
                            if rows is not None:
                                assert [row[:5] for row in rows] == list(map(SPAN_ROW, group_items))
    assert shared_groups > 100


def test_the_aggregates_store_is_the_same_on_every_request(every_request):
    """The aggregates core, shared path and span by span (`memoised_spans = False`), on every
    trace request above, raw and stamped, each twice (memoised plans): the whole store."""
    import asyncio

    from benchmarks.throughput.routing_cost import Answered
    from tests.aggregates.test_aggregates_connector import make
    from tests.aggregates.test_shared_spans import _store_rows

    detection = Answered()
    traces = [request for signal, request in every_request if signal == Signal.TRACES]
    stores = []
    for memoised in (True, False):
        connectors, _sink, _settings = make()
        core = connectors[Signal.TRACES].core
        core.detection, core.memoised_spans = detection, memoised
        for request in traces:
            for candidate in (request, _stamped_pair(request)[0], request):
                asyncio.run(core.consume(Signal.TRACES, clone(candidate)))
        stores.append(_store_rows(core))
    assert stores[0] == stores[1]
    assert len(stores[0][0]) > 20
