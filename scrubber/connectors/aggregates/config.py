"""What users write under `connectors: aggregates[/name]:` (see README.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from scrubber.config.types import Duration, parse_endpoint
from scrubber.detection.config import DetectionConfig
from scrubber.detection.pool import PoolChoice

#: span-derived pseudo-dimensions (the spanmetrics connector's names)
SPAN_NAME = "span.name"
SPAN_KIND = "span.kind"
STATUS_CODE = "status.code"
#: log-derived pseudo-dimension
LOG_SEVERITY = "log.severity"

DEFAULT_DIMENSIONS = (
    "service.name",
    SPAN_NAME,
    SPAN_KIND,
    STATUS_CODE,
    LOG_SEVERITY,
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    # gen_ai.system and llm.system count as gen_ai.provider.name (derive.ALIASES)
    "gen_ai.provider.name",
    "gen_ai.token.type",
    "residency.jurisdiction",
    "deployment.environment",
    "deployment.environment.name",
)

#: the spanmetrics connector's default duration buckets, in milliseconds
DEFAULT_BUCKETS_MS = (2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000)

#: counters of scrubber's own telemetry re-exported as aggregates (names without `scrubber_`
#: and `_total`); absent ones are skipped, so a pipeline without a guard costs nothing
DEFAULT_TELEMETRY_COUNTERS = (
    "quarantine_items",
    "quarantine_dropped_items",
    "egress_guard_dropped_items",
    "pii_detections",
    "pii_fail_closed",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _listen_endpoint(value: object) -> str:
    """`host:port` as everywhere, but port 0 (pick a free one) is allowed for listening."""
    if isinstance(value, str) and value.strip().endswith(":0"):
        return parse_endpoint(value.strip()[:-1] + "1")[:-1] + "0"
    return parse_endpoint(value)


class PrometheusConfig(_Strict):
    #: where `/metrics` is served; `127.0.0.1:0` picks a free port (tests)
    endpoint: Annotated[str, BeforeValidator(_listen_endpoint)] = "localhost:9464"


class AggregatesConfig(PoolChoice):
    # pool: / worker_pool: (label detection on worker processes, as the pii processor's) come
    # from PoolChoice (scrubber/detection/pool.py)

    #: the only attribute keys that may become labels (item first, then resource)
    dimensions: list[str] = Field(default_factory=lambda: list(DEFAULT_DIMENSIONS))
    #: distinct attribute sets per metric; the excess folds into `otel.metric.overflow="true"`
    cardinality_limit: int = Field(default=1000, ge=2)
    metrics_flush_interval: Duration = 15.0
    aggregation_temporality: Literal["cumulative", "delta"] = "cumulative"
    #: bounds of the span duration histogram, in milliseconds
    histogram_buckets: list[float] = Field(default_factory=lambda: [float(b) for b in DEFAULT_BUCKETS_MS])
    #: serve the aggregates for scraping as well (own registry, own port)
    prometheus: PrometheusConfig | None = None
    #: scrubber telemetry counters (quarantine, egress guard, pii) re-exported as aggregates
    telemetry_counters: list[str] = Field(default_factory=lambda: list(DEFAULT_TELEMETRY_COUNTERS))
    #: app metric series remembered to turn cumulative inputs into increments; beyond it
    #: new series are refused (counted) rather than mis-added
    max_tracked_series: int = Field(default=20_000, ge=1)
    #: a dimension value longer than this is cut (names, models are short; content is not)
    max_value_length: int = Field(default=128, ge=8)
    #: the detectors every label value passes (as the pii processor's `detection:`; the same
    #: settings share one detection service, and one NER model, with the pii processors)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    #: a label detection call that takes longer folds that request's new values (fail closed)
    detection_timeout: Duration = 3.0

    @field_validator("histogram_buckets")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if not value or any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("must be a non-empty, strictly increasing list of bounds")
        return value

    @field_validator("metrics_flush_interval")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value
