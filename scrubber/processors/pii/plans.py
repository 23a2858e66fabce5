"""Key plans: what the walker decides about an attribute key once per processor, not once per span.

The keys of ordinary services repeat in every span (`http.request.method`, `server.address`,
`db.system.name`...), and what the walk does with each is a function of the key and where it
sits alone: its catalog rule, the label findings are reported under, whether its name is
scanned too and as which probe text. `KeyPlans` keeps that per (where, key), so the walker's
attribute loop reads one dict entry per attribute and handles the common values (a string
under a content, patterns, identifier, SQL or URL rule) without the generic `value` / `_string` /
`_label` / `_key` calls. What it builds is exactly what the generic path builds (the same
`Field` arguments, the same `Quiet` entries, in the same order): `tests/perf_paths/
test_plans.py` checks bytes and reports against the engine without plans.

Nothing in a plan depends on a value or on what detection learned: the prepass is still asked
per value (its memo changes), so detection fails closed exactly as before. Bounded: the keys a
processor sees are open-ended (a key may carry an id), so each table is cleared when full.
"""

from __future__ import annotations

from typing import NamedTuple

from scrubber.connectors.aggregates.normalize import normalize_route
from scrubber.processors.pii.catalog import Catalog, Role, Rule
from scrubber.processors.pii.keynames import probe_text

#: plans kept per `where` (resource, span, log...), and span names kept normalized
MAX_KEYS = 4096
MAX_NAMES = 4096
#: attribute lists' shapes kept (`KeyPlans.shape`), and the longest list whose shape is kept
MAX_SHAPES = 4096
MAX_SHAPE_KEYS = 128

#: `Plan.fast` values: how the walker's attribute loop treats a string value under the key.
#: From IDENTIFIER on, a string value becomes one `Field` (or `Quiet` entry) made in the loop itself;
#: an IDENTIFIER one is replaced in the loop instead when the walker has an `identify` (walker.py);
#: from QUIET_PATTERNS on, it may be quiet (patterns only, or with NER)
SKIP, GENERIC, URL, IDENTIFIER, FIELD, QUIET_PATTERNS, QUIET_CONTENT = range(7)
_FAST = {Role.SAFE: SKIP, Role.URL: URL, Role.SQL: FIELD, Role.IDENTIFIER: IDENTIFIER, Role.PATTERNS: QUIET_PATTERNS,
         Role.CONTENT: QUIET_CONTENT}


class Plan(NamedTuple):
    rule: Rule
    label: str  # `where:rule label`, the field's report label
    fast: int  # SKIP, GENERIC, URL, IDENTIFIER, FIELD, QUIET_PATTERNS or QUIET_CONTENT
    probe: str | None  # the key as words when its name is scanned too (no tier names it), else None
    #: the `Field` a string value becomes (IDENTIFIER, FIELD and the quiet ones), as `Walker._string` makes it:
    #: its role (SQL text is scanned for patterns), entity, operator override, and whether it is SQL
    role: Role
    entity: str
    operator: object
    sql: bool
    #: the `WhichOneof` kinds of a value the generic `Walker.value` does nothing with under this rule
    #: (no string, or an empty one; bytes; numbers, unless the rule is an identifier's)
    inert: frozenset


class Shape(NamedTuple):
    """What the walker does with one attribute list, given its keys in order (`KeyPlans.shape`)."""

    #: (position, key, plan) of every attribute whose plan is not SKIP, in order
    todo: tuple
    #: position of the last attribute named as the jurisdiction attribute, -1 if none
    jurisdiction: int


_INERT = frozenset({None, "string_value", "bytes_value"})
_INERT_NUMBERS = _INERT | {"int_value", "double_value", "bool_value"}


class KeyPlans:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._by_where: dict[str, dict[str, Plan]] = {}
        self._names: dict[str, str] = {}
        #: (URL key label, query parameter name) -> (role, entity, report label); see `Walker._parameter`
        self.parameters: dict[tuple[str, str], tuple[Role, str, str]] = {}
        self._shapes: dict[tuple[str, str, tuple[str, ...]], Shape] = {}

    def table(self, where: str) -> dict[str, Plan]:
        """The plans of one `where`, filled by `plan` (read with `.get(key)` in the hot loop)."""
        table = self._by_where.get(where)
        if table is None:
            table = self._by_where[where] = {}
        return table

    def plan(self, where: str, key: str) -> Plan:
        """Decide for `key` under `where` and keep it."""
        rule = self.catalog.lookup(key)
        sql = rule.role is Role.SQL
        plan = Plan(rule, f"{where}:{rule.label}", _FAST.get(rule.role, GENERIC), None if rule.known else probe_text(key),
                    Role.PATTERNS if sql else rule.role, rule.entity, rule.operator or None, sql,
                    _INERT if rule.role is Role.IDENTIFIER else _INERT_NUMBERS)
        return _kept(self.table(where), key, plan, MAX_KEYS)

    def shape(self, where: str, keys: tuple[str, ...], jurisdiction_key: str) -> Shape:
        """The `Shape` of an attribute list under `where` with these `keys`, kept: a service sends
        the same few key lists in every span, so the per-key loop (a plan look-up and two tests
        per attribute, SKIP ones included) runs once per list, not once per span."""
        found = self._shapes.get((where, jurisdiction_key, keys))
        if found is not None:
            return found
        table, todo, jurisdiction = self.table(where), [], -1
        for index, key in enumerate(keys):
            if key == jurisdiction_key:
                jurisdiction = index
            plan = table.get(key) or self.plan(where, key)
            if plan.fast != SKIP:
                todo.append((index, key, plan))
        shape = Shape(tuple(todo), jurisdiction)
        if len(keys) <= MAX_SHAPE_KEYS:
            _kept(self._shapes, (where, jurisdiction_key, keys), shape, MAX_SHAPES)
        return shape

    def span_name(self, name: str) -> str:
        """`normalize_route(name)`, kept: span names are few and recur in every request."""
        normalized = self._names.get(name)
        return normalized if normalized is not None else _kept(self._names, name, normalize_route(name), MAX_NAMES)

    def keep_parameter(self, label: str, name: str, decided: tuple[Role, str, str]) -> None:
        _kept(self.parameters, (label, name), decided, MAX_KEYS)

    def __len__(self) -> int:
        return sum(len(table) for table in self._by_where.values())


def _kept(table: dict, key, value, limit: int):
    """`table[key] = value`, the table cleared first when it holds `limit` entries; `value`."""
    if len(table) >= limit:
        table.clear()
    table[key] = value
    return value
