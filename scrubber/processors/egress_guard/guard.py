"""The check itself: which items of a request may leave for the global stack.

Every string an item carries is collected: its name, status message, body,
attribute values at any depth (inside kvlists and arrays, keys included; JSON
held in a string is decoded and its leaves and object keys collected, so an
escape such as `\u00a0` cannot hide a number from the detectors), event and
link attributes, and, shared by all its items, the resource and scope. One
batched call to the full detector (patterns with phone numbers of every
region, and NER) scans them all (pseudonym tokens are blanked out first: their
hex is not a phone number). Every top-level attribute key must be on the
allow-list; identifier keys (`enduser.id`...) pass only when their whole value
is a pseudonym token.

An item is dropped if it, or the resource or scope or metric it belongs to,
has a violation. A violation names where it was found by a label that cannot
hold personal data: the catalog or allow-list pattern the key matched
(`traceloop.association.properties.*`), a fixed label such as `body`, or the
shape of a key nobody listed (`<key holding PERSON>`), never a key verbatim
that no table names, never a value.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Iterable

from scrubber.detection import DetectionConfig, Detector
from scrubber.errors import ConfigError
from scrubber.pdata import Signal, metric_data_points, resource_groups, scope_groups
from scrubber.processors.egress_guard.config import EgressGuardConfig
from scrubber.processors.pii import structured
from scrubber.processors.pii.catalog import Catalog, Role, Rule, shipped_rules
from scrubber.processors.pii.keynames import probe_text
from scrubber.pseudonym import TOKEN_RE

KEY_NOT_ALLOWED = "key_not_allowed"
PATTERN = "pattern"
NOT_PSEUDONYMIZED = "not_pseudonymized"
EXEMPLAR = "exemplar"
SIGNAL_NOT_ALLOWED = "signal_not_allowed"
GUARD_ERROR = "guard_error"
NO_ENTITY = "none"
CANARY = "contact canary.check@example.com"
#: where a key no catalog or allow-list names is reported: its shape, never its text
UNLISTED_KEY = "<key not on the allow-list>"
KEY_TEXT = "<key>"  # owner label of a scanned unlisted key


@dataclass(frozen=True)
class Violation:
    reason: str
    entity_type: str
    where: str  # an allow-listed key or a fixed label; `key:` marks a key that was not allowed


def compile_keys(patterns: Iterable[str]) -> re.Pattern:
    """`*` is any non-empty suffix, `{i}` one integer index; the rest is literal."""
    bodies = []
    for pattern in patterns:
        parts = re.split(r"(\{i\}|\*)", pattern)
        bodies.append("".join(r"\d+" if p == "{i}" else ".+" if p == "*" else re.escape(p) for p in parts))
    return re.compile("(?:" + "|".join(bodies or ["(?!)"]) + r")\Z")


@dataclass
class _Scan:
    """Texts to scan and the violations found so far, by unit (resource, scope, metric, item)."""

    texts: list[str] = field(default_factory=list)
    owners: list[tuple[int, str]] = field(default_factory=list)
    keys: list[tuple[int, str]] = field(default_factory=list)
    violations: dict[int, Violation] = field(default_factory=dict)
    units: int = 0

    def unit(self) -> int:
        self.units += 1
        return self.units

    def text(self, unit: int, where: str, text: str) -> None:
        if text:
            self.texts.append(text)
            self.owners.append((unit, where))

    def violate(self, unit: int, violation: Violation) -> None:
        self.violations.setdefault(unit, violation)


@dataclass(frozen=True, slots=True)
class _KeyPlan:
    """The guard's verdicts on one attribute key, pure functions of the key (`Guard.key_plan`)."""

    label: str  # the name it may be logged under
    scan_key: bool  # matched by a pattern only: the key text itself is scanned
    pseudonym: bool  # an identifier key: its value must be a pseudonym token
    allowed: bool  # on the allow-list
    probe: str  # the key as words for the detectors


_DETECTORS: dict[str, Detector] = {}
_DETECTORS_LOCK = threading.Lock()


def guard_detector(config: DetectionConfig) -> Detector:
    """One full Detector (patterns and, unless switched off, NER) per distinct config, shared
    by every guard of the process (a guard per global pipeline would otherwise compile the
    same table three times and load the model three times). Detector.detect is thread-safe."""
    key = config.model_dump_json()
    with _DETECTORS_LOCK:
        detector = _DETECTORS.get(key)
        if detector is None:
            detector = _DETECTORS[key] = Detector(config)
        return detector


class Guard:
    def __init__(self, config: EgressGuardConfig, detector: Detector | None = None):
        self.config = config
        self.detector = detector or guard_detector(config.detection)
        self._self_test(config.detection)
        allowed, pseudonym_keys = config.effective_allowed_keys(), config.effective_pseudonym_keys()
        self.allowed = compile_keys(allowed)
        self.pseudonym = compile_keys(pseudonym_keys) if pseudonym_keys else None
        self.int_floor = 10 ** (config.scan_integers_from_digits - 1)
        # what a key may be called in a log line: a catalog or allow-list pattern it matches
        self._catalog = Catalog([shipped_rules()], Rule(Role.PATTERNS), infer=False)
        self._patterns = [(p, compile_keys([p])) for p in (*pseudonym_keys, *allowed)]
        self._exact = frozenset(p for p in (*pseudonym_keys, *allowed) if "*" not in p and "{i}" not in p)
        self._labels: dict[str, str] = {}
        self._plans: dict[str, _KeyPlan] = {}

    def _self_test(self, detection: DetectionConfig) -> None:
        """Fail closed at build time: a guard whose detectors find nothing would let
        everything through while looking healthy."""
        if "email" in detection.disabled_patterns or (detection.entities is not None and "EMAIL_ADDRESS" not in detection.entities):
            return
        found = self.detector.detect([CANARY], [False])[0]
        if not any(f.entity_type == "EMAIL_ADDRESS" for f in found):
            raise ConfigError(["egress_guard: the pattern detectors did not find a test e-mail address; "
                               "refusing to run a guard that cannot see personal data"])

    # -- entry point ------------------------------------------------------------
    def inspect(self, signal: Signal, request) -> list[Violation | None]:
        """One verdict per item, in `scrubber.pdata.items` order (None: may leave), with the
        in-process detector."""
        scan, chains = self.collect(signal, request)
        texts = self.texts(scan)
        return self.judge(scan, chains, self.detector.detect(texts, [True] * len(texts)) if texts else [])

    def collect(self, signal: Signal, request) -> tuple[_Scan, list[tuple[int, ...]]]:
        """Every text to scan and, per item, the chain of units it belongs to."""
        scan = _Scan()
        return scan, list(self._walk(signal, request, scan))

    @staticmethod
    def texts(scan: _Scan) -> list[str]:
        """What goes to detection: the collected texts with pseudonym tokens blanked."""
        return [TOKEN_RE.sub(" ", t) for t in scan.texts]

    def judge(self, scan: _Scan, chains, findings: list[list]) -> list[Violation | None]:
        """Verdicts from the findings per text (from any detection service)."""
        if len(findings) != len(scan.texts):
            raise ValueError(f"detection answered {len(findings)} results for {len(scan.texts)} texts")
        self._record(scan, findings)
        verdicts = []
        for chain in chains:  # the item's own violation first, then metric, scope, resource
            verdicts.append(next((scan.violations[u] for u in reversed(chain) if u in scan.violations), None))
        return verdicts

    def _record(self, scan: _Scan, results: list[list]) -> None:
        for (unit, where), findings in zip(scan.owners, results):
            if not findings:
                continue
            entity = findings[0].entity_type
            if where == KEY_TEXT:  # an unlisted key holding personal data: say so, by its shape only
                scan.violations[unit] = Violation(KEY_NOT_ALLOWED, entity, f"<key holding {entity}>")
            else:
                scan.violate(unit, Violation(PATTERN, entity, where))

    def key_label(self, key: str) -> str:
        """A name for `key` that cannot hold personal data: the catalog or allow-list pattern
        it matches (the key itself only when a table lists it exactly), else its shape."""
        label = self._labels.get(key)
        if label is None:
            if len(self._labels) >= 4096:
                self._labels.clear()
            rule = None if key in self._exact else self._catalog.find(key)
            label = key if key in self._exact else rule.label if rule is not None else next(
                (p for p, regex in self._patterns if regex.match(key)), UNLISTED_KEY)
            self._labels[key] = label
        return label

    # -- walking ------------------------------------------------------------------
    def _walk(self, signal: Signal, request, scan: _Scan):
        for group in resource_groups(request):
            r = scan.unit()
            self._attributes(scan, r, group.resource.attributes, "resource:")
            for scope_group in scope_groups(group):
                s = scan.unit()
                scope = scope_group.scope
                scan.text(s, "scope.name", scope.name)
                scan.text(s, "scope.version", scope.version)
                self._attributes(scan, s, scope.attributes, "scope:")
                if signal == Signal.METRICS:
                    for metric in scope_group.metrics:
                        m = scan.unit()
                        for label in ("name", "description", "unit"):
                            scan.text(m, f"metric.{label}", getattr(metric, label))
                        for point in metric_data_points(metric):
                            yield (r, s, m, self._point(scan, point))
                else:
                    for item in (scope_group.spans if signal == Signal.TRACES else scope_group.log_records):
                        yield (r, s, (self._span if signal == Signal.TRACES else self._log)(scan, item))

    def _span(self, scan: _Scan, span) -> int:
        u = scan.unit()
        scan.text(u, "span.name", span.name)
        scan.text(u, "status.message", span.status.message)
        scan.text(u, "trace_state", span.trace_state)
        self._attributes(scan, u, span.attributes, "")
        for event in span.events:
            scan.text(u, "event.name", event.name)
            self._attributes(scan, u, event.attributes, "event:")
        for link in span.links:
            scan.text(u, "link.trace_state", link.trace_state)
            self._attributes(scan, u, link.attributes, "link:")
        return u

    def _log(self, scan: _Scan, record) -> int:
        u = scan.unit()
        scan.text(u, "severity_text", record.severity_text)
        scan.text(u, "event_name", record.event_name)
        self._value(scan, u, record.body, "body")
        self._attributes(scan, u, record.attributes, "")
        return u

    def _point(self, scan: _Scan, point) -> int:
        u = scan.unit()
        self._attributes(scan, u, point.attributes, "")
        if len(point.exemplars):
            scan.violate(u, Violation(EXEMPLAR, NO_ENTITY, "exemplars"))
        return u

    def key_plan(self, key: str) -> _KeyPlan:
        """What the allow-list and the pseudonym list say of `key`: the same keys recur in every
        item, so the label and the two regex verdicts are computed once per key (bounded)."""
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= 4096:
                self._plans.clear()
            label = self.key_label(key)
            plan = self._plans[key] = _KeyPlan(
                label, label != key, self.pseudonym is not None and bool(self.pseudonym.match(key)),
                bool(self.allowed.match(key)), probe_text(key))
        return plan

    def _attributes(self, scan: _Scan, unit: int, key_values, prefix: str) -> None:
        for kv in key_values:
            key = kv.key
            plan = self.key_plan(key)
            where = prefix + plan.label
            if plan.scan_key:  # matched by a pattern only: the rest of the key may be personal
                scan.text(unit, where, plan.probe)
                scan.text(unit, where, key)
            if plan.pseudonym:
                if not _is_token(kv.value):
                    scan.violate(unit, Violation(NOT_PSEUDONYMIZED, "IDENTIFIER", where))
                continue
            if not plan.allowed:
                scan.violate(unit, Violation(KEY_NOT_ALLOWED, NO_ENTITY, "key:" + where))
                scan.text(unit, KEY_TEXT, plan.probe)
                scan.text(unit, KEY_TEXT, key)
                continue
            self._value(scan, unit, kv.value, where)

    def _value(self, scan: _Scan, unit: int, value, where: str) -> None:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            self._string(scan, unit, value.string_value, where)
        elif kind == "int_value" and abs(value.int_value) >= self.int_floor:
            scan.text(unit, where, str(value.int_value))
        elif kind == "bytes_value":
            scan.text(unit, where, value.bytes_value.decode("utf-8", "replace"))
        elif kind == "array_value":
            for element in value.array_value.values:
                self._value(scan, unit, element, where)
        elif kind == "kvlist_value":
            for kv in value.kvlist_value.values:
                scan.text(unit, where, probe_text(kv.key))
                self._value(scan, unit, kv.value, where)

    def _string(self, scan: _Scan, unit: int, text: str, where: str) -> None:
        """A string; JSON in it is decoded, so its leaves and object keys are scanned as written."""
        if not structured.looks_like_json(text):
            scan.text(unit, where, text)
            return
        try:
            document = structured.parse(text)
        except (ValueError, RecursionError):
            scan.text(unit, where, text)  # not JSON after all (or too deep): scanned as it is
            return
        stack = [document]
        while stack:  # iterative: the document may be deep
            node = stack.pop()
            if isinstance(node, dict):
                for key, child in node.items():
                    scan.text(unit, where, probe_text(key))
                    stack.append(child)
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, str):
                scan.text(unit, where, node)
            elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= self.int_floor:
                scan.text(unit, where, str(node))


def _is_token(value) -> bool:
    """A pseudonym token, or a redaction placeholder `<TYPE>`: nothing left to identify."""
    if value.WhichOneof("value") != "string_value":
        return False
    text = value.string_value
    return bool(TOKEN_RE.fullmatch(text) or re.fullmatch(r"<[A-Z][A-Z0-9_]*>", text))


def remove_items(signal: Signal, request, keep: list[bool]) -> None:
    """Delete the items whose `keep` is False (in `items` order), then empty containers."""
    flags = iter(keep)
    for group in resource_groups(request):
        for scope_group in scope_groups(group):
            if signal == Signal.METRICS:
                for metric in scope_group.metrics:
                    _delete(metric_data_points(metric), flags)
                _delete_where(scope_group.metrics, lambda m: len(metric_data_points(m)) == 0)
            else:
                _delete(scope_group.spans if signal == Signal.TRACES else scope_group.log_records, flags)
        _delete_where(scope_groups(group), lambda sg: _empty_scope(signal, sg))
    _delete_where(resource_groups(request), lambda g: len(scope_groups(g)) == 0)


def _delete(repeated, flags) -> None:
    doomed = [i for i in range(len(repeated)) if not next(flags)]
    for i in reversed(doomed):
        del repeated[i]


def _delete_where(repeated, predicate) -> None:
    for i in reversed([i for i, x in enumerate(repeated) if predicate(x)]):
        del repeated[i]


def _empty_scope(signal: Signal, scope_group) -> bool:
    if signal == Signal.METRICS:
        return len(scope_group.metrics) == 0
    return len(scope_group.spans if signal == Signal.TRACES else scope_group.log_records) == 0
