"""Audit without values: what was found where, as counts.

A `ScrubReport` is what one batch produced: detections by (key, entity type,
operator, role, jurisdiction) and fail-closed events by reason. The processor
turns it into Prometheus counters (`pii_detections`, `pii_fail_closed`),
`scrubber scan` into its table. Per item, optional `scrubber.pii.*` summary
attributes follow the spirit of the Collector redaction processor's
`redaction.*` attributes. Nothing here ever holds a value or a key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from scrubber.processors.pii.walker import ItemAudit

DETECTED_COUNT = "scrubber.pii.detected_count"
DETECTED_TYPES = "scrubber.pii.detected_types"
SCRUBBED_KEYS = "scrubber.pii.scrubbed_keys"
FAIL_CLOSED_COUNT = "scrubber.pii.fail_closed_count"


@dataclass
class ScrubReport:
    #: (key label, entity type, operator, role, jurisdiction) -> count
    detections: Counter = field(default_factory=Counter)
    #: reason -> count of fields redacted whole
    fail_closed: Counter = field(default_factory=Counter)

    def add(self, other: "ScrubReport") -> None:
        self.detections.update(other.detections)
        self.fail_closed.update(other.fail_closed)

    def table(self) -> list[tuple[str, str, int, str]]:
        """(key, entity type, count, operator) rows, the most frequent first."""
        rows: Counter = Counter()
        for (label, entity, operator, _role, _j), count in self.detections.items():
            rows[(label, entity, operator)] += count
        return [(k, e, c, o) for (k, e, o), c in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))]


class AuditMetrics:
    """The Prometheus side: counters made once, incremented per batch."""

    def __init__(self, telemetry):
        self.detections = telemetry.counter(
            "pii_detections", "Personal data found and replaced, by entity type, field role, jurisdiction and operator.",
            ("entity_type", "role", "jurisdiction", "operator"))
        self.fail_closed = telemetry.counter(
            "pii_fail_closed", "Fields redacted whole because detection could not vouch for them.", ("reason",))

    def record(self, report: ScrubReport) -> None:
        rolled: Counter = Counter()
        for (_label, entity, operator, role, jurisdiction), count in report.detections.items():
            rolled[(entity, role, jurisdiction, operator)] += count
        for (entity, role, jurisdiction, operator), count in rolled.items():
            self.detections.labels(entity_type=entity, role=role, jurisdiction=jurisdiction, operator=operator).inc(count)
        for reason, count in report.fail_closed.items():
            self.fail_closed.labels(reason=reason).inc(count)


def write_item_attributes(item, audit: ItemAudit) -> None:
    """Summary attributes on one span or log record (only if anything was found)."""
    total = sum(audit.types.values())
    if not total and not audit.fail_closed:
        return
    _set(item.attributes, DETECTED_COUNT, AnyValue(int_value=total))
    types = AnyValue()
    types.array_value.values.extend(AnyValue(string_value=t) for t in sorted(audit.types))
    _set(item.attributes, DETECTED_TYPES, types)
    keys = AnyValue()
    keys.array_value.values.extend(AnyValue(string_value=k) for k in sorted(audit.keys))
    _set(item.attributes, SCRUBBED_KEYS, keys)
    if audit.fail_closed:
        _set(item.attributes, FAIL_CLOSED_COUNT, AnyValue(int_value=audit.fail_closed))


def _set(attributes, key: str, value: AnyValue) -> None:
    for kv in attributes:
        if kv.key == key:
            kv.value.CopyFrom(value)
            return
    attributes.append(KeyValue(key=key, value=value))
