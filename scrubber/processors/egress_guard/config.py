"""What users write under `processors: egress_guard[/name]:` (see README.md)."""

from __future__ import annotations

from typing import Literal

import phonenumbers
from pydantic import Field, field_validator

from scrubber.config.types import Duration
from scrubber.detection import DetectionConfig
from scrubber.detection.pool import PoolChoice

#: national phone numbers are accepted if valid in any region (a German number in a US prompt)
ALL_PHONE_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)

#: keys any global payload may carry: resource identity, GenAI model/usage, HTTP shape,
#: the jurisdiction, OTel's own and scrubber's own. `*` is any suffix, `{i}` an index.
BASE_KEYS = (
    "service.name", "service.namespace", "service.version", "service.instance.id",
    "deployment.environment", "deployment.environment.name",
    "telemetry.sdk.*", "telemetry.distro.*", "otel.*", "scrubber.*",
    "cloud.provider", "cloud.platform", "cloud.region", "cloud.availability_zone",
    "k8s.cluster.name", "k8s.namespace.name", "k8s.deployment.name", "os.type", "host.arch",
    "process.runtime.name", "process.runtime.version",
    "residency.jurisdiction",
    "span.name", "span.kind", "status.code", "log.severity",
    "gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.token.type", "gen_ai.usage.*", "gen_ai.response.finish_reasons",
    "gen_ai.request.temperature", "gen_ai.request.max_tokens", "gen_ai.request.top_p",
    "llm.system", "llm.provider", "llm.model_name", "llm.token_count.*", "embedding.model_name",
    "openinference.span.kind",
    "http.request.method", "http.response.status_code", "http.route", "rpc.system", "rpc.service",
    "rpc.method", "error.type", "server.address", "server.port",
)

#: keys whose content the pii processor pseudonymizes: allowed in `pseudonymized` mode,
#: still scanned by the pattern detectors
CONTENT_KEYS = (
    "gen_ai.*", "llm.*", "embedding.*", "retrieval.documents.*", "reranker.*", "tool.*",
    "input.value", "input.mime_type", "output.value", "output.mime_type",
    "traceloop.entity.*", "traceloop.span.kind", "traceloop.workflow.name",
    "exception.type", "exception.message", "exception.stacktrace", "event.name",
    "code.*",  # source locations the OTel logging handler adds to every record
)

#: identifier keys: allowed in `pseudonymized` mode only when the whole value is a token
PSEUDONYM_KEYS = (
    "enduser.id", "enduser.pseudo.id", "user.id", "user.name", "user.full_name", "user.email", "user.hash",
    "session.id", "gen_ai.user", "gen_ai.conversation.id", "client.address", "traceloop.association.properties.*",
)


class EgressGuardConfig(PoolChoice):
    # pool: / worker_pool: (detection on worker processes, NER off the main process) come from
    # PoolChoice (scrubber/detection/pool.py); absent = a detector in a thread of this process

    #: `aggregates`: only metrics may leave, a span or log record is itself a violation;
    #: `pseudonymized`: spans and logs may leave once the pii processor has pseudonymized them
    mode: Literal["aggregates", "pseudonymized"] = "aggregates"
    #: replaces the mode's default allow-list when set (patterns: `*` suffix, `{i}` index)
    allowed_keys: list[str] | None = None
    #: added to the allow-list (default or replaced)
    additional_allowed_keys: list[str] = Field(default_factory=list)
    #: keys allowed only with a pseudonym token as the whole value (`pseudonymized` mode)
    pseudonym_keys: list[str] | None = None
    #: the detectors' config (`scrubber.detection`): by default every pattern, phone numbers of
    #: every region libphonenumber knows, and NER (the last look before the global stack)
    detection: DetectionConfig = Field(default_factory=lambda: DetectionConfig(phone_regions=ALL_PHONE_REGIONS))
    #: a pool detection call that takes longer drops the batch (fail closed)
    detection_timeout: Duration = 3.0
    #: integers with at least this many digits are scanned as text too (card numbers as ints)
    scan_integers_from_digits: int = Field(default=9, ge=1, le=19)

    @field_validator("allowed_keys", "additional_allowed_keys", "pseudonym_keys")
    @classmethod
    def _non_empty_keys(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not k or not k.strip() for k in value):
            raise ValueError("keys must be non-empty strings")
        return value

    def effective_allowed_keys(self) -> list[str]:
        if self.allowed_keys is not None:
            base = list(self.allowed_keys)
        else:
            base = list(BASE_KEYS) + (list(CONTENT_KEYS) if self.mode == "pseudonymized" else [])
        return base + list(self.additional_allowed_keys)

    def effective_pseudonym_keys(self) -> list[str]:
        if self.mode != "pseudonymized":
            return []
        return list(PSEUDONYM_KEYS if self.pseudonym_keys is None else self.pseudonym_keys)
