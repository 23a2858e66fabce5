"""What users write under `processors: pii[/name]:` (see README.md for every key)."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from scrubber.config.types import Duration
from scrubber.detection.config import DetectionConfig
from scrubber.detection.pool import PoolChoice
from scrubber.processors.pii.keys import DEFAULT, JurisdictionKeys, check_keys
from scrubber.subjects.config import SubjectsConfig

OperatorName = Literal["pseudonymize", "redact", "mask", "drop", "keep"]
EntityName = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
RuleRole = Literal["identifier", "content", "structured", "url", "sql", "safe"]
OperatorRole = Literal["identifier", "content", "structured", "patterns"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _shorthand(value: object) -> object:
    """`redact` is short for `{operator: redact}`."""
    return {"operator": value} if isinstance(value, str) else value


class OperatorSpec(_Strict):
    operator: OperatorName
    #: mask: how many trailing characters stay visible
    keep_last: int = Field(default=4, ge=0, le=16)
    mask_char: str = Field(default="*", min_length=1, max_length=1)


Operator = Annotated[OperatorSpec, BeforeValidator(_shorthand)]


class RoleOperators(_Strict):
    default: Operator | None = None
    entities: dict[EntityName, Operator] = Field(default_factory=dict)


class Operators(_Strict):
    """Resolution, first match wins: roles.<role>.entities.<TYPE>, roles.<role>.default,
    entities.<TYPE>, default."""

    default: Operator = Field(default_factory=lambda: OperatorSpec(operator="pseudonymize"))
    entities: dict[EntityName, Operator] = Field(
        default_factory=lambda: {"SECRET": OperatorSpec(operator="redact"),
                                 "SQL_LITERAL": OperatorSpec(operator="redact")})
    roles: dict[OperatorRole, RoleOperators] = Field(default_factory=dict)

    def resolve(self, role: str, entity: str) -> OperatorSpec:
        by_role = self.roles.get(cast(OperatorRole, role))
        if by_role is not None:
            spec = by_role.entities.get(entity) or by_role.default
            if spec is not None:
                return spec
        return self.entities.get(entity) or self.default


class KeyRule(_Strict):
    """A user rule for an attribute key; overrides the shipped catalog."""

    key: str = Field(min_length=1)
    role: RuleRole
    #: entity type an identifier is pseudonymized as
    entity: EntityName = "USER_ID"
    #: operator for this key's whole value (identifiers only)
    operator: Operator | None = None


class StructuredFields(_Strict):
    """Extra field names inside JSON / kvlists, added to the shipped ones."""

    identifiers: dict[str, EntityName] = Field(default_factory=dict)
    safe: list[str] = Field(default_factory=list)


class MetricsOptions(_Strict):
    #: what happens to an identifier in a data point attribute; points that then share
    #: attributes are merged (sums added, gauges last, histograms bucket-wise)
    identifiers: Literal["pseudonymize", "drop", "redact"] = "pseudonymize"
    #: exemplars carry filtered attributes and trace links: drop them, or scrub their attributes
    exemplars: Literal["drop", "scrub"] = "drop"


class AuditOptions(_Strict):
    #: add scrubber.pii.* summary attributes (counts, types, keys; never values) to spans and logs
    attributes: bool = False


class PIIProcessorConfig(PoolChoice):
    # pool: / worker_pool: (detection and, with pool.scope requests, whole requests on worker
    # processes) come from PoolChoice (scrubber/detection/pool.py)

    #: keys per jurisdiction: {jurisdiction: {active: ID, keys: {ID: {env: VAR} | {file: PATH}}}}
    keys: dict[str, JurisdictionKeys] = Field(default_factory=dict)
    #: jurisdiction of items without a `residency.jurisdiction` attribute
    default_jurisdiction: str = DEFAULT
    jurisdiction_attribute: str = "residency.jurisdiction"
    #: hex digits of the HMAC in a token (48 bits by default)
    pseudonym_length: int = Field(default=12, ge=8, le=64)
    operators: Operators = Field(default_factory=Operators)
    #: with `pool.scope: requests`, which requests go to the workers whole: `all`, or
    #: `without_content`: only those with no content attribute (GenAI messages, prompts, documents,
    #: JSON) and no log body; the others stay here with only their texts on the pool, whose one
    #: findings cache in this process keeps hitting on recurring content (offload.py);
    #: `mostly_plain`: those in which fewer than half of the items (spans, log records, data
    #: points) carry content, so a service's plain spans with a few GenAI ones among them are
    #: walked on a worker too (`offload.MOSTLY_CONTENT_SHARE`)
    whole_requests: Literal["all", "without_content", "mostly_plain"] = "all"
    #: user key rules, before the shipped catalog
    rules: list[KeyRule] = Field(default_factory=list)
    #: keys declared safe (never scanned); `*` and `{i}` patterns allowed
    allow_keys: list[str] = Field(default_factory=list)
    #: string attributes in neither the catalog nor allow_keys: `patterns` (pattern detectors,
    #: no NER), `content` (patterns + NER) or `redact` (strict allow-list mode, fails closed)
    unknown_keys: Literal["patterns", "content", "redact"] = "patterns"
    use_shipped_catalog: bool = True
    structured_fields: StructuredFields = Field(default_factory=StructuredFields)
    #: a value found in one field of a batch (or an identifier value) is also replaced
    #: wherever else it appears verbatim in scanned text of the same batch
    propagate_values: bool = True
    #: a detection call that takes longer fails closed (fields redacted); below the SDKs' 10 s
    #: export timeout, so the client is answered before it gives up
    detection_timeout: Duration = 3.0
    #: the detectors: patterns, NER, thresholds, cache (see scrubber/detection)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    metrics: MetricsOptions = Field(default_factory=MetricsOptions)
    audit: AuditOptions = Field(default_factory=AuditOptions)
    #: per-subject keys (crypto-shredding on erasure): see scrubber/subjects/README.md; absent = off
    subjects: SubjectsConfig | None = None

    @field_validator("whole_requests")
    @classmethod
    def _only_with_request_scope(cls, value: str, info: ValidationInfo) -> str:
        pool = info.data.get("pool")
        if value != "all" and (pool is None or pool.scope != "requests"):
            raise ValueError(f"{value!r} needs pool: {{scope: requests}} (in scope texts every request is walked "
                             "in the main process)")
        return value

    def deployment_errors(self) -> list[str]:
        """Problems only the deployment shows (unset key variables, missing key files),
        each with its key path; the config loader calls this for `validate` and `run`."""
        if not self.keys:
            return ["keys: no pseudonymization key configured; add e.g. "
                    "keys: {default: {active: k1, keys: {k1: {env: SCRUBBER_PII_KEY}}}}"]
        errors = check_keys(self.keys)
        if DEFAULT not in self.keys and self.default_jurisdiction not in self.keys:
            errors.append(f"keys: no key for the default jurisdiction {self.default_jurisdiction!r} "
                          "and no 'default' key")
        if self.subjects is not None:
            errors += self.subjects.deployment_errors()
            if self.scope == "requests":
                errors.append("subjects: not available with pool.scope 'requests' (the vault is reached from "
                              "the main process); use scope 'texts'")
        return errors
