"""The key catalog: which attribute keys hold what kind of personal data.

The shipped table is data (`catalog.yaml`); users prepend their own rules in
config, which therefore override it. A lookup answers a `Rule` (role, entity
type for identifiers, optional operator) and the label under which findings
are reported (the pattern, so `llm.input_messages.{i}.message.content` is one
row in `scrubber scan`, not one per index). Lookups are cached: the same keys
repeat in every span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import yaml

from scrubber.processors.pii import keynames


class Role(StrEnum):
    IDENTIFIER = "identifier"  # the whole value names someone: pseudonymize, no detection
    CONTENT = "content"  # free text: patterns + NER
    STRUCTURED = "structured"  # JSON / kvlist: parse, scrub leaves, keep structure
    SAFE = "safe"  # never personal
    URL = "url"  # a URL / query string: named parameters by name, other pieces patterns (urls.py)
    SQL = "sql"  # SQL text: patterns, string literals replaced (urls.py)
    PATTERNS = "patterns"  # not in the catalog: pattern detection only (no NER)
    REDACT = "redact"  # not allowed in strict mode: whole value redacted


@dataclass(frozen=True, slots=True)
class Rule:
    role: Role
    entity: str = ""  # entity type of an identifier (USER_ID, EMAIL_ADDRESS...)
    operator: Any = None  # per-key OperatorSpec override (None = by entity / role)
    label: str = ""  # the catalog key that matched (for reports)
    known: bool = True  # False: no tier names the key (unknown or inferred); its name is scanned too
    inferred: bool = False  # the role comes from the key's name (keynames.py), not from a table


def _compile(pattern: str) -> re.Pattern:
    """`{i}` is one integer index; a trailing `*` any non-empty suffix."""
    parts = re.split(r"(\{i\}|\*)", pattern)
    body = "".join(r"\d+" if p == "{i}" else ".+" if p == "*" else re.escape(p) for p in parts)
    return re.compile(body + r"\Z")


def _is_pattern(key: str) -> bool:
    return "{i}" in key or "*" in key


class _Tier:
    """One list of rules: exact keys in a dict, patterns tried in order."""

    def __init__(self, rules: Iterable[tuple[str, Rule]]):
        self.exact: dict[str, Rule] = {}
        self.patterns: list[tuple[re.Pattern, Rule]] = []
        for key, rule in rules:
            rule = Rule(rule.role, rule.entity, rule.operator, key)
            if _is_pattern(key):
                self.patterns.append((_compile(key), rule))
            else:
                self.exact.setdefault(key, rule)

    def find(self, key: str) -> Rule | None:
        rule = self.exact.get(key)
        if rule is not None:
            return rule
        for pattern, rule in self.patterns:
            if pattern.match(key):
                return rule
        return None


class Catalog:
    """Tiers of rules, the user's before the shipped one: a user rule, exact or
    pattern, always overrides the shipped table; within a tier exact keys win,
    then the first matching pattern."""

    def __init__(self, tiers: Iterable[Iterable[tuple[str, Rule]]], unknown: Rule, infer: bool = True):
        self._tiers = [_Tier(rules) for rules in tiers]
        self._unknown = unknown
        self._memo: dict[str, Rule] = {}
        #: a key in no tier gets the role its name says (`app.customer.display_name` -> PERSON);
        #: not in strict mode, where every such value is redacted anyway (that is stronger)
        self._infer = infer and unknown.role is not Role.REDACT

    def lookup(self, key: str) -> Rule:
        """The rule for `key` (the unknown-key rule if none): a dict hit after the first time,
        since the same few keys repeat in every span (bounded: cleared when it grows large)."""
        rule = self._memo.get(key)
        if rule is None:
            if len(self._memo) >= 8192:
                self._memo.clear()
            rule = self._memo[key] = self._lookup(key)
        return rule

    def find(self, key: str) -> Rule | None:
        """The rule for `key`, or None if no tier has one."""
        for tier in self._tiers:
            rule = tier.find(key)
            if rule is not None:
                return rule
        return None

    def _lookup(self, key: str) -> Rule:
        for tier in self._tiers:
            rule = tier.find(key)
            if rule is not None:
                return rule
        return self._inferred(key) or Rule(self._unknown.role, label=key, known=False)

    def _inferred(self, key: str) -> Rule | None:
        said = keynames.classify(key) if self._infer else None
        if said is None:
            return None
        return Rule(Role(said[0]), said[1], label=key, known=False, inferred=True)

    def field_rule(self, name: str) -> Rule | None:
        """A field name inside structured content (JSON object or kvlist key): a tier's rule,
        else the role its name says (`first_name` -> PERSON), else None (inherit)."""
        return self.find(name) or self._inferred(name)


@dataclass(frozen=True)
class FieldNames:
    """Field names inside structured content (JSON objects, kvlists), and query
    parameter names of URLs (`url_parameters`: an entity type, or "content")."""

    identifiers: dict[str, str]
    safe: frozenset[str]
    url_parameters: dict[str, str] = field(default_factory=dict)
    #: schema names (`parts`, `arguments`...): values scanned as content, names never scanned
    #: (the shipped list unless given: it only spares well-known names the key scan)
    structure: frozenset[str] = field(default_factory=lambda: shipped_structure())

    def url_parameter(self, name: str) -> tuple[Role, str]:
        """(role, entity) of a query parameter's value: by the URL table, else by the
        identifier field names, else pattern-scanned."""
        entity = self.url_parameters.get(name) or self.identifiers.get(name)
        if not entity:
            return Role.PATTERNS, ""
        if entity == "content":
            return Role.CONTENT, ""
        return Role.IDENTIFIER, entity

    def rule(self, name: str) -> Rule | None:
        entity = self.identifiers.get(name) or self.identifiers.get(name.lower())
        if entity:
            return Rule(Role.IDENTIFIER, entity, label=name)
        if name in self.safe:
            return Rule(Role.SAFE, label=name)
        if name in self.structure:
            return Rule(Role.CONTENT, label=name)
        return None


@lru_cache(maxsize=1)
def shipped() -> dict:
    """The shipped catalog.yaml, parsed once."""
    text = resources.files("scrubber.processors.pii").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def shipped_rules() -> list[tuple[str, Rule]]:
    """The shipped key rules in catalog order (identifiers, content, structured, safe)."""
    data = shipped()
    rules = [(key, Rule(Role.IDENTIFIER, entity)) for key, entity in data["identifier"].items()]
    rules += [(key, Rule(Role.CONTENT)) for key in data["content"]]
    rules += [(key, Rule(Role.URL)) for key in data["url"]]
    rules += [(key, Rule(Role.SQL)) for key in data["sql"]]
    rules += [(key, Rule(Role.STRUCTURED)) for key in data["structured"]]
    rules += [(key, Rule(Role.SAFE)) for key in data["safe"]]
    return rules


def shipped_structure() -> frozenset[str]:
    return frozenset(shipped()["fields"].get("structure", ()))


def shipped_field_names() -> FieldNames:
    fields = shipped()["fields"]
    return FieldNames(dict(fields["identifier"]), frozenset(fields["safe"]), dict(shipped()["url_parameters"]))


def build_catalog(user_rules: Iterable[tuple[str, Rule]], allow_keys: Iterable[str], unknown: Role,
                  use_shipped: bool = True) -> Catalog:
    """User rules and allow-listed keys (as safe) first, then the shipped table."""
    user = list(user_rules) + [(key, Rule(Role.SAFE)) for key in allow_keys]
    return Catalog([user, shipped_rules() if use_shipped else []], Rule(unknown))
