"""The `aggregates` connector: traces, logs and metrics in; scrubbed metrics out.

The graph makes one instance per (connector id, input signal). They share one
`AggregatesCore` (through `Settings.shared`), so spans and logs of one id feed
one set of series, one flush loop and one scrape endpoint, and scrubber's own
counters (quarantine, egress guard, pii detections) are re-exported once. The
core runs while at least one instance is started; the last one to stop
flushes a final time.

Consuming never fails upstream: the aggregates are derived data, and a bug
here must not make an app retry spans that its regional backend accepted.

Before anything becomes a label, every dimension value and span name of the
request is vetted (`labels.py`) with the detection service the pii processors
use (`detection:` / `pool:` as theirs, shared by name through the host), in one
call per request; what fails is folded into `{redacted}`.
"""

from __future__ import annotations

import asyncio
import time
from operator import itemgetter
from typing import Any, Callable, Mapping

from scrubber.component import Host, Settings
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.connectors.aggregates.derive import STATIC_VALUES, Deriver, attributes, memo_items
from scrubber.connectors.aggregates.labels import LabelVetter
from scrubber.connectors.aggregates.otlp import to_request
from scrubber.connectors.aggregates.passthrough import Passthrough, resource_identity
from scrubber.connectors.aggregates.prometheus import make_registry, scrape_server
from scrubber.connectors.aggregates.store import MetricDef, MetricKind, Store
from scrubber.consumer import Consumer, FanoutConsumer
from scrubber.detection.pool import acquire_detection
from scrubber.pdata import Request, Signal, metric_data_points, resource_groups, scope_groups
from scrubber.service.telemetry import PREFIX


def _now() -> int:
    return time.time_ns()


def _label_key(label: str) -> str:
    """Telemetry labels as attribute keys: `jurisdiction` is the residency one, the rest
    are namespaced (`scrubber.entity_type`) so the egress guard's allow-list can name them."""
    return "residency.jurisdiction" if label == "jurisdiction" else f"scrubber.{label}"


class AggregatesCore:
    def __init__(self, settings: Settings, config: AggregatesConfig):
        self.settings = settings
        self.config = config
        self.log = settings.logger
        self.store = Store(config.cardinality_limit)
        self.vetter = LabelVetter(STATIC_VALUES, timeout=config.detection_timeout)
        self.detection = None  # the shared detection service, from the host at start
        self.deriver = Deriver(config, self.store, self.vetter)
        self.passthrough = Passthrough(self.deriver, self.store, config.max_tracked_series)
        self.consumers: list[Consumer] = []
        # scrubber's own counters are copied in for the OTLP export to the global stack, but
        # not served on this scrape endpoint too: the own-metrics endpoint has them, and a
        # series on two endpoints doubles every sum() over it
        self.registry = make_registry(self.store, self._refresh_telemetry,
                                      skip=lambda definition: definition in self._counter_defs.values())
        self.server: Any = None  # the scrape server, with `prometheus:` (set at start)
        self._users = 0
        self._task: asyncio.Task | None = None
        self._counter_defs: dict[str, MetricDef] = {}
        telemetry = settings.telemetry
        self._dropped = telemetry.counter("connector_aggregates_dropped_points",
                                          "App metric points the aggregates connector could not re-aggregate.",
                                          ("connector", "reason"))
        self._failures = telemetry.counter("connector_aggregates_errors",
                                           "Items or flushes the aggregates connector failed on.", ("connector", "stage"))

    def add_consumers(self, consumers: Mapping[str, Consumer]) -> None:
        """Only metrics pipelines can take what this connector emits."""
        for name, consumer in consumers.items():
            if name.split("/")[0] == Signal.METRICS and all(c is not consumer for c in self.consumers):
                self.consumers.append(consumer)

    # -- input ----------------------------------------------------------------
    #: spans take the memoised path: a scope group whose spans the bytes prove to share their
    #: dimensions (plain services: the residency stamp alone) is measured per plan
    #: (`Deriver.spans_shared`), any other span by span (`Deriver.spans_memoised`, attributes
    #: read once per span); False: the straightforward path, the reference the tests compare with
    memoised_spans = True
    #: False: the memoised path without `spans_shared` (every group span by span), for timing it
    shared_spans = True

    async def consume(self, signal: Signal, request: Request) -> None:
        if signal == Signal.TRACES and self.memoised_spans:
            await self._consume_spans(request)
        else:
            await self._consume_items(signal, request)

    async def _vet(self, inputs: Callable[[], tuple[set[str], set[str]]]) -> None:
        """Vet every string `inputs()` gives (dimension values, span names) before it may become
        a label; what fails stays unvetted and is folded (fail closed)."""
        try:
            values, names = inputs()
            if self.detection is None:  # consumed before start (tests): a process-local service
                self.detection = await _local_detection(self.config)
            await self.vetter.prepare(self.detection, values, names)
        except Exception as exc:  # noqa: BLE001 - unvetted values are folded below
            self.log.error("aggregates %s: cannot vet labels: %s", self.settings.id, type(exc).__name__)
        self._count_vetting()

    async def _consume_items(self, signal: Signal, request: Request) -> None:
        """`consume` item by item, for every signal (and for spans the memoised path cannot read)."""
        await self._vet(lambda: self._label_inputs(signal, request))
        now = _now()
        try:
            for group in resource_groups(request):
                resource = attributes(group.resource.attributes, self.deriver.wanted)
                for scope in scope_groups(group):
                    self._scope(signal, group, scope, resource, now)
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            self._failures.labels(str(self.settings.id), "consume").inc()
            self.log.error("aggregates %s: cannot aggregate %s: %s", self.settings.id, signal, type(exc).__name__)
        self._count_dropped()

    async def _consume_spans(self, request: Request) -> None:
        """`consume` for spans, each span's attributes read once for vetting and deriving."""
        try:
            groups, values, names = self._read_spans(request)
        except Exception as exc:  # noqa: BLE001 - the straightforward path says what fails
            self.log.error("aggregates %s: cannot read spans: %s", self.settings.id, type(exc).__name__)
            await self._consume_items(Signal.TRACES, request)
            return
        await self._vet(lambda: (values, names))
        now = _now()
        try:
            for resource, resource_memo, runs in groups:
                for spans, rows, shared in runs:
                    if rows is None:
                        self.deriver.spans_memoised(spans, resource, resource_memo, now)
                    else:
                        self.deriver.spans_shared(spans, rows, shared, resource, resource_memo, now)
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            self._failures.labels(str(self.settings.id), "consume").inc()
            self.log.error("aggregates %s: cannot aggregate %s: %s", self.settings.id, Signal.TRACES, type(exc).__name__)

    def _read_spans(self, request: Request) -> tuple[list, set[str], set[str]]:
        """Per resource group: (resource dimensions, their memo key, runs), a run per scope group:
        (spans, their `SPAN_ROW`s, the dimensions all of them have) when the bytes proved those,
        else ([(span, span dimensions)], None, None); and every string that may become a label,
        as `_label_inputs` gives them."""
        wanted = self.deriver.wanted
        values: set[str] = set()
        names: set[str] = set()
        groups = []
        for group in resource_groups(request):
            resource = attributes(group.resource.attributes, wanted)
            values.update(v for v in resource.values() if isinstance(v, str))
            runs: list[tuple] = []
            for scope in group.scope_spans:
                scope_spans = scope.spans
                reader = self.deriver.scope_dimensions
                shared, each, rows = (reader.read_spans(scope, scope_spans) if self.shared_spans
                                      else (None, reader.of(scope, scope_spans), None))
                if shared is not None and rows is not None:
                    names.update(map(itemgetter(0), rows))
                    values.update(v for v in shared.values() if isinstance(v, str))
                    runs.append((scope_spans, rows, shared))
                    continue
                pairs = []
                for span, item in zip(scope_spans, each):  # type: ignore[arg-type]
                    names.add(span.name)
                    if item:
                        values.update(v for v in item.values() if isinstance(v, str))
                    pairs.append((span, item))
                runs.append((pairs, None, None))
            groups.append((resource, memo_items(resource), runs))
        return groups, values, names

    def _label_inputs(self, signal: Signal, request: Request) -> tuple[set[str], set[str]]:
        """Every string that may become a label: dimension values (item, resource, data point) and span names."""
        wanted = self.deriver.wanted
        values: set[str] = set()
        names: set[str] = set()

        def add(key_values) -> None:
            values.update(v for v in attributes(key_values, wanted).values() if isinstance(v, str))
        for group in resource_groups(request):
            add(group.resource.attributes)
            for scope in scope_groups(group):
                if signal == Signal.TRACES:
                    for span in scope.spans:
                        names.add(span.name)
                        add(span.attributes)
                elif signal == Signal.LOGS:
                    for record in scope.log_records:
                        add(record.attributes)
                else:
                    for metric in scope.metrics:
                        for point in metric_data_points(metric):
                            add(point.attributes)
        return values, names

    def _count_vetting(self) -> None:
        if self.vetter.fail_closed:
            self._failures.labels(str(self.settings.id), "label_detection").inc(self.vetter.fail_closed)
            self.vetter.fail_closed = 0

    def _scope(self, signal: Signal, group, scope, resource, now: int) -> None:
        if signal == Signal.TRACES:
            for span in scope.spans:
                self.deriver.span(span, resource, now)
        elif signal == Signal.LOGS:
            self.deriver.log_records(scope.log_records, resource, now)
        else:
            identity = resource_identity(group, scope)
            for metric in scope.metrics:
                self.passthrough.metric(metric, resource, scope.scope, identity, now)

    def _count_dropped(self) -> None:
        for reason, count in self.passthrough.dropped.items():
            self._dropped.labels(str(self.settings.id), reason).inc(count)
        self.passthrough.dropped.clear()

    # -- scrubber's own counters --------------------------------------------------
    def _refresh_telemetry(self) -> None:
        """Copy the configured telemetry counters (cumulative since start) into the store."""
        wanted = {PREFIX + name for name in self.config.telemetry_counters}
        now = _now()
        for family in self.settings.telemetry.registry.collect():
            if family.name not in wanted or family.type != "counter":
                continue
            definition = self._counter_def(family)
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    labels = tuple(sorted((_label_key(k), str(v)) for k, v in sample.labels.items()))
                    self.store.set(definition, ((), labels), sample.value, now)

    def _counter_def(self, family) -> MetricDef:
        definition = self._counter_defs.get(family.name)
        if definition is None:
            name = "scrubber." + family.name[len(PREFIX):]
            definition = MetricDef(name, MetricKind.SUM, "{item}", family.documentation, is_int=True)
            self._counter_defs[family.name] = definition
        return definition

    # -- output ---------------------------------------------------------------
    async def flush(self) -> int:
        """Send one export to every downstream metrics pipeline; the number of points sent."""
        self._refresh_telemetry()
        snapshot = self.store.collect(self.config.aggregation_temporality, _now())
        if not snapshot or not self.consumers:
            return 0
        request = to_request(snapshot, self.config.aggregation_temporality)
        target = self.consumers[0] if len(self.consumers) == 1 else FanoutConsumer(self.consumers)
        try:
            await target.consume(Signal.METRICS, request)
        except Exception as exc:  # noqa: BLE001 - cumulative totals go out again next time
            self._failures.labels(str(self.settings.id), "flush").inc()
            self.log.warning("aggregates %s: downstream refused %d points: %s",
                             self.settings.id, len(snapshot), type(exc).__name__)
        return len(snapshot)

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(self.config.metrics_flush_interval)
            await self.flush()

    # -- lifecycle ------------------------------------------------------------
    async def acquire(self, host: Host | None = None) -> None:
        self._users += 1
        if self.detection is None and host is not None:
            self.detection = acquire_detection(host, self.settings, self.config, self.config.detection)
            start = getattr(self.detection, "start", None)
            if start is not None:
                await start()
        if self._users > 1:
            return
        if self.config.prometheus is not None:
            self.server = scrape_server(self.registry, self.config.prometheus.endpoint)
            await self.server.start()
        self._task = asyncio.create_task(self._flush_every(), name=f"{self.settings.id}-flush")

    async def release(self, timeout: float) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0:
            await self.close(timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop the loop, flush once more, stop serving. Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.flush(), timeout=max(timeout, 0.1))
        except asyncio.TimeoutError:
            self.log.warning("aggregates %s: final flush timed out", self.settings.id)
        if self.server is not None:
            await self.server.stop()
            self.server = None


class AggregatesConnector:
    """One per (connector id, input signal); all of them drive the shared core."""

    mutates_data = False

    def __init__(self, settings: Settings, config: AggregatesConfig, signal_in: Signal,
                 consumers: Mapping[str, Consumer]):
        key = f"connector.aggregates/{settings.id}"
        core = settings.shared.get(key)
        if core is None:
            core = settings.shared[key] = AggregatesCore(settings, config)
        core.add_consumers(consumers)
        self.core = core
        self.signal_in = signal_in
        self._running = False

    async def start(self, host: Host | None = None) -> None:
        if not self._running:
            self._running = True
            await self.core.acquire(host)

    async def shutdown(self, timeout: float = 5.0) -> None:
        if self._running:
            self._running = False
            await self.core.release(timeout)

    async def consume(self, signal: Signal, request: Request) -> None:
        await self.core.consume(signal, request)


_LOCAL: dict[str, object] = {}


async def _local_detection(config: AggregatesConfig):
    from scrubber.detection.service import InProcessDetection

    key = config.detection.model_dump_json()
    if key not in _LOCAL:
        service = InProcessDetection(config.detection)
        await service.start()  # load the model before the first timed call
        _LOCAL[key] = service
    return _LOCAL[key]
