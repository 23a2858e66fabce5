"""Spans and log records -> measurements, with dimensions from the allow-list only.

A dimension is looked up on the item first, then on its resource (where it
lands in the output too: `service.name` stays a resource attribute). GenAI
libraries disagree on keys, so a dimension has aliases: OpenInference's
`llm.model_name` counts as `gen_ai.request.model`, its span kind `LLM` as the
operation `chat`; OpenLLMetry's `gen_ai.usage.prompt_tokens` as input tokens.
Only scalar values become labels, vetted first (`labels.LabelVetter`: a safe shape
and no detector finding, else `{redacted}`), cut to `max_value_length`.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter, itemgetter, sub, truediv
from typing import Any, Callable, Iterable, Mapping, NamedTuple

import re2
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from scrubber.connectors.aggregates.config import LOG_SEVERITY, SPAN_KIND, SPAN_NAME, STATUS_CODE, AggregatesConfig
from scrubber.connectors.aggregates.labels import LabelVetter
from scrubber.connectors.aggregates.store import MetricDef, MetricKind, SeriesKey, Store
from scrubber.residency.model import ATTRIBUTE
from scrubber.residency.resolve import DECLARING_KEY, last_attributes

ALIASES: dict[str, tuple[str, ...]] = {
    "gen_ai.request.model": ("gen_ai.request.model", "llm.model_name", "embedding.model_name", "gen_ai.response.model"),
    "gen_ai.system": ("gen_ai.system", "llm.system"),
    # one provider label whichever convention the app used: OTel GenAI's current key, then
    # OpenInference's, then the deprecated gen_ai.system and OpenInference's llm.system
    "gen_ai.provider.name": ("gen_ai.provider.name", "llm.provider", "gen_ai.system", "llm.system"),
}
#: OpenInference span kinds -> GenAI operation names
OPENINFERENCE_OPERATIONS = {"LLM": "chat", "EMBEDDING": "embeddings", "TOOL": "execute_tool", "AGENT": "invoke_agent"}
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
TOKEN_TYPE = "gen_ai.token.type"
GENAI_MARKERS = ("gen_ai.operation.name", "gen_ai.request.model", "llm.model_name", "embedding.model_name")

SPAN_KINDS = ("SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
              "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER")
STATUS_CODES = ("STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR")
SEVERITIES = ("UNSPECIFIED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")

CALLS = MetricDef("traces.span.metrics.calls", MetricKind.SUM, "{call}", "Spans, by allow-listed dimensions.", is_int=True)
ERRORS = MetricDef("traces.span.metrics.errors", MetricKind.SUM, "{call}", "Spans with status ERROR.", is_int=True)
LOG_COUNT = MetricDef("log.record.count", MetricKind.SUM, "{record}", "Log records, by allow-listed dimensions.", is_int=True)
GENAI_REQUESTS = MetricDef("scrubber.gen_ai.requests", MetricKind.SUM, "{request}",
                           "GenAI operations (spans), by model and operation.", is_int=True)
GENAI_TOKENS = MetricDef("scrubber.gen_ai.token.usage", MetricKind.SUM, "{token}",
                         "GenAI tokens used, by model, operation and gen_ai.token.type.", is_int=True)


def scalar(any_value) -> object | None:
    kind = any_value.WhichOneof("value")
    if kind in ("string_value", "int_value", "bool_value", "double_value"):
        return getattr(any_value, kind)
    return None


def attributes(key_values, wanted: frozenset[str]) -> dict[str, object]:
    """Scalar values of the wanted keys only (the rest is never read)."""
    return {kv.key: v for kv in key_values if kv.key in wanted and (v := scalar(kv.value)) is not None}


def _any_key_pattern(keys: Iterable[str]):
    """An RE2 search for the serialized key field of any of `keys` (tag, length, name; every
    byte escaped, Latin-1 so each escape is one byte), or None for no keys. RE2 answers "none
    of them in these bytes" in one DFA pass, ~20x faster than a `re` alternation."""
    needles = [KeyValue(key=key).SerializeToString() for key in sorted(keys)]
    if not needles:
        return None
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(b"|".join(b"".join(b"\\x%02x" % byte for byte in needle) for needle in needles), options)


#: scope groups read key by key, without the byte check, after one that failed it (both reads
#: give the same dimensions; the check only costs where it fails)
SKIP_AFTER_MISS = 16


class ScopeDimensions:
    """`attributes(item.attributes, wanted)` for every item of a scope group, told from the
    group's bytes when they prove it: no wanted key but the residency stamp occurs in them, and
    the stamp occurs once per item, as each item's last attribute (what the residency processor
    leaves); then an item's dimensions are its stamp alone and nothing else of it is read.
    Plain spans carry no other allow-listed key, so this is their common case; any other group
    is read key by key. Serializing the group and one RE2 pass cost a fraction of that read."""

    def __init__(self, wanted: frozenset[str]):
        self.wanted = wanted
        self._stamp_wanted = ATTRIBUTE in wanted
        self._others = _any_key_pattern(wanted - {ATTRIBUTE})
        self._skip = 0  # groups left to read key by key without trying the bytes first

    def of(self, scope_group, items) -> list[dict[str, object]]:
        shared, each = self.read(scope_group, items)
        if each is not None:
            return each
        return [dict(shared or {}) for _ in items]

    def read(self, scope_group, items,
             lasts_of: Callable[[Any], list | None] = last_attributes) -> tuple[dict[str, object] | None,
                                                                             list[dict[str, object]] | None]:
        """`of`, as (dimensions every item has, None) when the bytes prove the items all have the
        same ones (a caller may then read each item's other fields only), else (None, `of`).
        `lasts_of`: how the items' last attributes are read (`last_attributes`, or `read_spans`')."""
        if self._skip:
            self._skip -= 1
        elif items:
            data = scope_group.SerializeToString()
            if self._others is None or self._others.search(data) is None:
                found = self._stamps_only(data, items, lasts_of)
                if isinstance(found, dict):
                    return found, None
                if found is not None:
                    return None, found
            # GenAI groups fail the check and are large to serialize: try again only later
            self._skip = SKIP_AFTER_MISS
        wanted = self.wanted
        return None, [attributes(item.attributes, wanted) for item in items]

    def read_spans(self, scope_group, spans) -> tuple[dict[str, object] | None, list[dict[str, object]] | None,
                                                      list[tuple] | None]:
        """`read` for a scope group of spans, with every span's `SPAN_ROW` when their dimensions
        are shared (for `Deriver.spans_shared`): read in the pass that reads their last
        attributes, which then creates each span's wrapper once instead of twice."""
        rows: list[tuple] | None = None

        def lasts_with_rows(items) -> list | None:
            nonlocal rows
            rows = list(map(_SPAN_ROW_AND_ATTRIBUTES, items))
            try:
                return list(map(_LAST, map(_ROW_ATTRIBUTES, rows)))
            except IndexError:  # a span without attributes
                return None

        shared, each = self.read(scope_group, spans, lasts_with_rows)
        if shared is None:
            return None, each, None
        return shared, None, rows if rows is not None else list(map(SPAN_ROW, spans))

    def _stamps_only(self, data: bytes, items, lasts_of: Callable[[Any], list | None] = last_attributes,
                     ) -> dict[str, object] | list[dict[str, object]] | None:
        """When no other wanted key is in `data`: the dimensions every item has (a dict), or each
        item's (a list); None if the bytes do not prove them (read them)."""
        stamps = data.count(DECLARING_KEY) if self._stamp_wanted else 0
        if stamps == 0:
            return {}
        if stamps != len(items):
            return None
        lasts = lasts_of(items)
        if lasts is None:
            return None
        first = lasts[0]
        # equal string stamps give equal dimensions: one comparison in C per item (a string,
        # because equality of other values, such as 0.0 and -0.0, is not sameness of labels)
        if (first.key == ATTRIBUTE and first.value.WhichOneof("value") == "string_value"
                and lasts.count(first) == len(lasts)):
            return {ATTRIBUTE: first.value.string_value}
        if any(kv.key != ATTRIBUTE for kv in lasts):
            return None
        return [{} if (value := scalar(kv.value)) is None else {ATTRIBUTE: value} for kv in lasts]


#: memoised span plans kept at most (distinct label combinations; beyond, start afresh)
MAX_PLANS = 4096
#: a span's fields that pick its plan and give its duration (`Deriver.spans_shared`), read in C
SPAN_ROW = attrgetter("name", "kind", "status.code", "start_time_unix_nano", "end_time_unix_nano")
#: `SPAN_ROW` and the span's attributes, whose last one `ScopeDimensions.read_spans` checks
_SPAN_ROW_AND_ATTRIBUTES = attrgetter("name", "kind", "status.code", "start_time_unix_nano", "end_time_unix_nano",
                                      "attributes")
_ROW_ATTRIBUTES, _LAST = itemgetter(5), itemgetter(-1)
_PLAN_FIELDS, _START, _END = itemgetter(0, 1, 2), itemgetter(3), itemgetter(4)
#: distinct (name, kind, status) of one scope group `spans_shared` groups at most (beyond: span by span)
MAX_SHARED_PLANS = 32


def memo_items(values: Mapping[str, object], leave_out: frozenset[str] = frozenset()) -> tuple:
    """`values` as a hashable memo key that tells `True`, `1` and `1.0` apart (they are equal
    in Python, but different labels)."""
    return tuple((k, v) if v.__class__ is str else (k, v.__class__, v) for k, v in values.items() if k not in leave_out)


class SpanPlan(NamedTuple):
    """The series of one distinct span shape (see `Deriver.span_memoised`), as `Store.series` gives them."""

    calls: tuple
    errors: tuple | None
    duration: tuple
    #: (requests series, ((token count keys, token series key), ...)), for GenAI spans; token
    #: series are made only when a span has a count, as `span` does
    genai: tuple | None


#: label values that come from scrubber's own tables, not from the data (never vetted)
STATIC_VALUES = frozenset((*SPAN_KINDS, *STATUS_CODES, *SEVERITIES, *OPENINFERENCE_OPERATIONS.values(), "input", "output"))


class Deriver:
    def __init__(self, config: AggregatesConfig, store: Store, vetter: LabelVetter | None = None):
        self.store = store
        #: every attribute value passes it before it becomes a label (`prepare` ran for the batch)
        self.vetter = vetter or LabelVetter(STATIC_VALUES)
        self.dimensions = tuple(dict.fromkeys(config.dimensions))
        self.max_len = config.max_value_length
        self.duration = MetricDef("traces.span.metrics.duration", MetricKind.HISTOGRAM, "ms",
                                  "Span durations, by allow-listed dimensions.", bounds=tuple(config.histogram_buckets))
        aliases = [a for d in self.dimensions for a in ALIASES.get(d, (d,))]
        labelled = frozenset((*aliases, *GENAI_MARKERS, "openinference.span.kind"))
        self.wanted = labelled | frozenset((*INPUT_TOKENS, *OUTPUT_TOKENS))
        #: keys read only for their counts: they vary span by span, so no memo key holds them
        self.counts_only = self.wanted - labelled
        self.scope_dimensions = ScopeDimensions(self.wanted)
        self._plans: dict[tuple, SpanPlan] = {}
        self._plans_generation = self.vetter.generation

    # -- dimensions -------------------------------------------------------------
    def _cut(self, value: object) -> object:
        return value[: self.max_len] if isinstance(value, str) else value

    def _value(self, value: object) -> object:
        return self._cut(self.vetter.value(value))

    def key(self, item: Mapping[str, object], resource: Mapping[str, object],
            extra: Mapping[str, object], skip: Iterable[str] = ()) -> SeriesKey:
        """Allow-listed dimensions: pseudo-dimensions, then the item's, then the resource's."""
        on_resource, on_point = [], []
        for dim in self.dimensions:
            if dim in skip:
                continue
            if dim in extra:  # pseudo-dimensions: from tables, or a span name vetted already
                on_point.append((dim, self._cut(extra[dim])))
                continue
            aliases = ALIASES.get(dim, (dim,))
            if (found := next((item[a] for a in aliases if a in item), None)) is not None:
                on_point.append((dim, self._value(found)))
            elif (found := next((resource[a] for a in aliases if a in resource), None)) is not None:
                on_resource.append((dim, self._value(found)))
        return tuple(sorted(on_resource)), tuple(sorted(on_point))

    # -- spans --------------------------------------------------------------------
    def _span_dimensions(self, span, item: dict[str, object]) -> tuple[str, dict[str, object], object]:
        """(status, pseudo-dimensions, GenAI operation) of `span`; OpenInference's span kind is
        aliased into `item` as `gen_ai.operation.name`, so both conventions give one series."""
        status = STATUS_CODES[span.status.code] if span.status.code < len(STATUS_CODES) else STATUS_CODES[0]
        extra: dict[str, object] = {SPAN_NAME: self.vetter.span_name(span.name),
                                    SPAN_KIND: SPAN_KINDS[span.kind] if span.kind < len(SPAN_KINDS) else SPAN_KINDS[0],
                                    STATUS_CODE: status}
        kind = item.get("openinference.span.kind")
        operation = item.get("gen_ai.operation.name") or (OPENINFERENCE_OPERATIONS.get(kind) if isinstance(kind, str) else None)
        if operation:
            item["gen_ai.operation.name"] = operation
        return status, extra, operation

    def span(self, span, resource: Mapping[str, object], now: int) -> None:
        item = attributes(span.attributes, self.wanted)
        status, extra, operation = self._span_dimensions(span, item)
        key = self.key(item, resource, extra)
        self.store.add(CALLS, key, 1, now)
        if status == "STATUS_CODE_ERROR":
            self.store.add(ERRORS, key, 1, now)
        duration_ms = max(0, span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
        self.store.observe(self.duration, key, duration_ms, now)
        if operation or any(m in item for m in GENAI_MARKERS):
            self._genai(item, resource, extra, now)

    def _genai(self, item, resource, extra, now: int) -> None:
        resource_part, point_part = self.key(item, resource, extra, skip=(SPAN_NAME, SPAN_KIND, TOKEN_TYPE))
        self.store.add(GENAI_REQUESTS, (resource_part, point_part), 1, now)
        for token_type, keys in (("input", INPUT_TOKENS), ("output", OUTPUT_TOKENS)):
            count = next((item[k] for k in keys if k in item), None)
            if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
                continue
            typed = tuple(sorted((*point_part, (TOKEN_TYPE, token_type))))  # intrinsic to the metric
            self.store.add(GENAI_TOKENS, (resource_part, typed), int(count), now)

    # -- spans, memoised ------------------------------------------------------------
    def span_memoised(self, span, item: dict[str, object], resource: Mapping[str, object],
                      resource_memo: tuple, now: int) -> None:
        """`span` with `item = attributes(span.attributes, self.wanted)` read already: the same
        measurements, but the series keys (dimension lookups, vetting, sorting) are worked out
        once per distinct (resource, labelled attributes, name, kind, status) and then reused.
        Plain services repeat those few values on every span, so this is the per-span cost."""
        self.spans_memoised(((span, item),), resource, resource_memo, now)

    def spans_memoised(self, spans: Iterable[tuple[Any, dict[str, object]]], resource: Mapping[str, object],
                       resource_memo: tuple, now: int) -> None:
        """`span_memoised` for every (span, item) of one resource, in order, in one loop (a call
        and the look-ups of the store's methods per span are most of what is left per span)."""
        store, bounds, counts_only = self.store, self.duration.bounds, self.counts_only
        add_to, observe_in = store.add_to, store.observe_in
        for span, item in spans:
            memo = (resource_memo, memo_items(item, counts_only) if item else (), span.name, span.kind,
                    span.status.code)
            plan = self._plans.get(memo) if self._plans_generation == self.vetter.generation else None
            if plan is None:
                plan = self._plan(span, item, resource, memo, now)
            add_to(plan.calls, 1, now)
            if plan.errors is not None:
                add_to(plan.errors, 1, now)
            observe_in(bounds, plan.duration, max(0, span.end_time_unix_nano - span.start_time_unix_nano) / 1e6, now)
            if plan.genai is not None:
                self._genai_counts(plan.genai, item, now)

    def spans_shared(self, spans, rows: list[tuple], item: dict[str, object], resource: Mapping[str, object],
                     resource_memo: tuple, now: int) -> None:
        """`spans_memoised` for spans that all have the dimensions `item`, with `rows` their
        `SPAN_ROW`s (`ScopeDimensions.read_spans` proved and read both): each distinct (name, kind, status)
        gets its plan once, in the order `spans_memoised` would make them, then its spans are
        measured together in C. Same points, same values: each histogram still adds its spans'
        durations one by one in span order. Span by span where that order could change (two
        plans on one point: the overflow series, or names vetted into one label), where a plan
        needs each span's counts (GenAI) and for very varied groups."""
        plain_keys = list(map(_PLAN_FIELDS, rows))
        plans: dict[tuple, SpanPlan | None] = dict.fromkeys(plain_keys)
        if len(plans) > MAX_SHARED_PLANS:
            self.spans_memoised(zip(spans, repeat(item)), resource, resource_memo, now)
            return
        item_memo = memo_items(item, self.counts_only) if item else ()
        for fields in plans:
            memo = (resource_memo, item_memo, *fields)
            plan = self._plans.get(memo) if self._plans_generation == self.vetter.generation else None
            if plan is None:
                plan = self._plan(spans[plain_keys.index(fields)], item, resource, memo, now)
            plans[fields] = plan
        chosen = plans.values()
        if (any(plan.genai is not None for plan in chosen)  # type: ignore[union-attr]
                or len({id(plan.duration[0]) for plan in chosen}) < len(plans)):  # type: ignore[union-attr]
            self.spans_memoised(zip(spans, repeat(item)), resource, resource_memo, now)
            return
        durations = list(map(truediv, map(max, repeat(0), map(sub, map(_END, rows), map(_START, rows))), repeat(1e6)))
        if len(plans) == 1:
            self._measure(next(iter(chosen)), durations, now)  # type: ignore[arg-type]
            return
        per_plan: dict[tuple, list[float]] = {fields: [] for fields in plans}
        for fields, duration in zip(plain_keys, durations):  # each plan's spans in span order
            per_plan[fields].append(duration)
        for fields, plan_durations in per_plan.items():
            self._measure(plans[fields], plan_durations, now)  # type: ignore[arg-type]

    def _measure(self, plan: SpanPlan, durations: list[float], now: int) -> None:
        """What `spans_memoised` measures for spans of one plan (not GenAI) with these durations."""
        store, n = self.store, len(durations)
        store.add_to(plan.calls, n, now, n)
        if plan.errors is not None:
            store.add_to(plan.errors, n, now, n)
        store.observe_all_in(self.duration.bounds, plan.duration, durations, now)

    def _plan(self, span, item: dict[str, object], resource: Mapping[str, object], memo: tuple,
              now: int) -> "SpanPlan":
        """What `span` works out per span, kept when every label in it was vetted (a value
        not vetted yet is `{redacted}` now and may not be later)."""
        unvetted = self.vetter.unvetted
        item = dict(item)  # the operation alias must not reach the caller's counts
        status, extra, operation = self._span_dimensions(span, item)
        genai = None
        if operation or any(m in item for m in GENAI_MARKERS):
            resource_part, point_part = self.key(item, resource, extra, skip=(SPAN_NAME, SPAN_KIND, TOKEN_TYPE))
            genai = ((resource_part, point_part),
                     tuple((keys, (resource_part, tuple(sorted((*point_part, (TOKEN_TYPE, token_type))))))
                           for token_type, keys in (("input", INPUT_TOKENS), ("output", OUTPUT_TOKENS))))
        # the series are made here in the order `span` makes them: the store's output order
        key, store = self.key(item, resource, extra), self.store
        plan = SpanPlan(store.series(CALLS, key, now),
                        store.series(ERRORS, key, now) if status == "STATUS_CODE_ERROR" else None,
                        store.series(self.duration, key, now),
                        None if genai is None else (store.series(GENAI_REQUESTS, genai[0], now), genai[1]))
        if self.vetter.unvetted == unvetted:
            if self._plans_generation != self.vetter.generation or len(self._plans) >= MAX_PLANS:
                self._plans.clear()
                self._plans_generation = self.vetter.generation
            self._plans[memo] = plan
        return plan

    def _genai_counts(self, genai, item: Mapping[str, object], now: int) -> None:
        requests, token_keys = genai
        self.store.add_to(requests, 1, now)
        for keys, typed in token_keys:
            count = next((item[k] for k in keys if k in item), None)
            if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
                continue
            self.store.add(GENAI_TOKENS, typed, int(count), now)

    # -- logs ---------------------------------------------------------------------
    def log_records(self, records, resource: Mapping[str, object], now: int) -> None:
        """Count one scope's log records by severity and dimensions. Records with the same
        wanted attributes and severity (in a GenAI event stream, nearly all) share one series
        key, made once: the key was 6% of the main process on world-logs, one per record."""
        counts: dict[tuple, list] = {}
        for record in records:
            item = attributes(record.attributes, self.wanted)
            number = record.severity_number
            severity = SEVERITIES[(number - 1) // 4 + 1] if 1 <= number <= 24 else SEVERITIES[0]
            seen = counts.get(memo := (severity, *item.items()))
            if seen is None:
                counts[memo] = [self.key(item, resource, {LOG_SEVERITY: severity}), 1]
            else:
                seen[1] += 1
        for key, count in counts.values():
            self.store.add(LOG_COUNT, key, count, now)
