"""Every label value is vetted before it reaches a series: names and phones never become labels.

An allow-listed dimension (`service.name`, `gen_ai.request.model`...) says which *key* may
become a label, not that its *value* is harmless: an app can put a customer's name in
`deployment.environment`, and span names are free text (`call Priya Raman`). So before a
value becomes a label:

- a dimension value must have a known safe shape: enum-like (letters, digits and `._:/+-`,
  no spaces, no `@`), at most 64 characters, no run of 9+ digits (an id, a phone number);
  anything else is folded into `{redacted}`;
- it then passes the same Detector the pii processor uses (patterns + NER, through the
  same detection service); a finding folds it into `{redacted}` too;
- a span name's route is normalised (`GET /users/{id}`), then every detected piece is
  replaced by its type (`call {person} at {phone_number}`), capitalised words next to a
  found person join it, runs of two or more capitalised words (the shape of a full name
  NER did not confirm) become `{name}`, and last the id rules of `normalize_span_name` run
  (detection first: digit rules would cut a phone number into pieces it no longer sees).

Verdicts are cached (bounded), so each distinct value costs one detection. Detection that
fails or times out folds the values of that batch (fail closed) without caching them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Iterable

from scrubber.connectors.aggregates.normalize import normalize_route, normalize_span_name
from scrubber.detection.service import DetectionServiceClosed

REDACTED = "{redacted}"
MAX_SAFE_LENGTH = 64
#: integers this large may be a phone number or an account number, not a status or a count
MAX_SAFE_INT = 10**6
_SAFE_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+\-]*")
_LONG_DIGITS = re.compile(r"\d{9,}")
_CAP = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿß'’\-]+"
_CAPITALISED_RUN = re.compile(rf"\b{_CAP}(?:[ ]+{_CAP})+\b")
_NEXT_TO_PERSON = re.compile(rf"(?:\b{_CAP}[ ]+)*\{{person\}}(?:[ ]+{_CAP}\b)*")


def safe_shape(value: str) -> bool:
    """Enum-like: a model, a service, an environment name. Not free text, not an id."""
    return (len(value) <= MAX_SAFE_LENGTH and _SAFE_SHAPE.fullmatch(value) is not None
            and _LONG_DIGITS.search(value) is None)


def _replace(text: str, findings) -> str:
    pieces, last = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < last:
            continue
        pieces += [text[last:f.start], "{" + f.entity_type.lower() + "}"]
        last = f.end
    return "".join(pieces) + text[last:]


class LabelVetter:
    """Cached verdicts for dimension values and span names (value -> label)."""

    def __init__(self, static: Iterable[str] = (), max_entries: int = 20_000, timeout: float = 10.0):
        self.static = frozenset(static)  # values from scrubber's own tables (span kinds, severities)
        self.values: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.max_entries = max_entries
        self.timeout = timeout
        self.fail_closed = 0  # values folded because detection failed
        #: lookups answered `{redacted}` only because the value was not vetted (yet): a series
        #: key built from such an answer may change once it is, so it is not memoised
        self.unvetted = 0
        #: bumped whenever verdicts are forgotten (the bound): memoised series keys go with them
        self.generation = 0

    # -- lookups (after `prepare`) -------------------------------------------------
    def value(self, value: object) -> object:
        """The label for a dimension value; an unvetted string is folded (fail closed)."""
        if isinstance(value, bool) or isinstance(value, float):
            return value
        if isinstance(value, int):
            return value if abs(value) < MAX_SAFE_INT else REDACTED
        if value in self.static:
            return value
        if not isinstance(value, str):
            return REDACTED
        label = self.values.get(value)
        if label is None:
            self.unvetted += 1
            return REDACTED
        return label

    def span_name(self, name: str) -> str:
        label = self.names.get(name)
        if label is None:
            self.unvetted += 1
            return REDACTED
        return label

    # -- vetting --------------------------------------------------------------------
    async def prepare(self, detection, values: Iterable[str], names: Iterable[str]) -> None:
        """Vet every value and span name not seen before, in one detection call."""
        todo_values = {v for v in values if v not in self.values and v not in self.static}
        todo_names = {n for n in names if n not in self.names}
        if not todo_values and not todo_names:
            return
        if len(self.values) + len(todo_values) > self.max_entries:
            self.values.clear()
            self.generation += 1
        if len(self.names) + len(todo_names) > self.max_entries:
            self.names.clear()
            self.generation += 1
        for v in [v for v in todo_values if not safe_shape(v)]:
            self.values[v] = REDACTED
            todo_values.discard(v)
        normalised = {n: normalize_route(n) for n in todo_names}
        texts = sorted(todo_values | set(normalised.values()))
        if not texts:
            return
        try:
            if detection is None:
                raise DetectionServiceClosed("no detection service")
            results = await asyncio.wait_for(detection.detect(texts, [True] * len(texts)), self.timeout)
            if len(results) != len(texts):
                raise ValueError("detection answered a different number of results")
        except Exception:  # noqa: BLE001 - fail closed: fold, do not cache
            self.fail_closed += len(todo_values) + len(todo_names)
            return
        found = dict(zip(texts, results))
        for v in todo_values:
            self.values[v] = REDACTED if found[v] else v
        for name, norm in normalised.items():
            label = _NEXT_TO_PERSON.sub("{person}", _replace(norm, found[norm]))
            self.names[name] = normalize_span_name(_CAPITALISED_RUN.sub("{name}", label))
