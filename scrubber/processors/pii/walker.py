"""Finds every string in an OTLP request that may carry personal data.

The walker changes nothing but dropping exemplars (when so configured): it turns a request into a flat list of
`Field`s (a string, its role, where it sits, its jurisdiction, and how to write
a replacement back), so that the engine can send all texts of a batch to
detection in one call. It covers resource and scope attributes; span names,
attributes, events (names, attributes), links and status messages; log
bodies, attributes and event names; metric data point attributes and
exemplars; AnyValue kvlists and arrays at any depth; and JSON held in strings
(parsed here, re-serialized by a finalizer once its leaves are replaced).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from scrubber.connectors.aggregates.normalize import normalize_route
from scrubber.pdata import Request, metric_data_points, resource_groups, scope_groups
from scrubber.processors.pii import structured, urls
from scrubber.processors.pii.catalog import Catalog, FieldNames, Role, Rule
from scrubber.processors.pii.config import OperatorSpec
from scrubber.processors.pii.keynames import probe_text
from scrubber.processors.pii.plans import IDENTIFIER, QUIET_CONTENT, QUIET_PATTERNS, URL, KeyPlans
from scrubber.processors.pii.prepass import Prepass, Quiet
from scrubber.pseudonym import TOKEN_RE
from scrubber.residency.resolve import read as read_jurisdiction

#: a number under a key whose *name* says identifier is one only from this size (a count is not)
MIN_INFERRED_NUMBER = 10_000


@dataclass(eq=False)
class ItemAudit:
    """What was found in one span or log record (counts and types only, never values)."""

    types: Counter = field(default_factory=Counter)
    keys: set = field(default_factory=set)
    fail_closed: int = 0


@dataclass(slots=True, eq=False)
class Field:
    text: str
    role: Role  # IDENTIFIER, CONTENT, PATTERNS or REDACT
    label: str  # where, for reports: "span:gen_ai.input.messages[*].parts[*].content"
    jurisdiction: str
    setter: Callable[[str], None] | None  # None: `setattr(target, slot, value)` (no closure per field)
    drop: tuple | None = None  # (container, key) of the attribute; None where nothing can be dropped
    entity: str = ""  # identifiers: the entity type
    operator: OperatorSpec | None = None  # a key rule's override
    audit: ItemAudit | None = None
    in_json: bool = False
    metric: bool = False  # a metric data point attribute
    target: Any = None
    slot: str = "string_value"
    sql: bool = False  # SQL text: string literals are findings too
    subject: str | None = None  # the data subject of its item (scrubber/subjects), when subjects are on
    probe: str | None = None  # what detection sees instead of `text` (same length): keys as words

    @property
    def ner(self) -> bool:
        return self.role is Role.CONTENT

    def set(self, value: str) -> None:
        if self.setter is None:
            setattr(self.target, self.slot, value)
        else:
            self.setter(value)


class Identify(Protocol):
    """The engine's replacement of a whole identifier value during the walk (engine.py `_identify`):
    (text, entity, report label, the key rule's operator or None, jurisdiction, item audit, metric
    attribute?, droppable?) -> the new text, or None when the operator drops a droppable attribute.
    An identifier's replacement needs nothing detection or propagation find, so doing it here
    spares the `Field` and its apply; the engine offers it only without subjects (a subject's key
    is resolved after the walk). It records in the report what `Engine._apply` would have."""

    def __call__(self, text: str, entity: str, label: str, operator: OperatorSpec | None, jurisdiction: str,
                 audit: ItemAudit | None, metric: bool, droppable: bool) -> str | None: ...


@dataclass(slots=True)
class Context:
    where: str
    jurisdiction: str
    audit: ItemAudit | None = None
    metric: bool = False
    renames: list | None = None  # JSON object keys to rename before the document is written back


class Walker:
    def __init__(self, catalog: Catalog, names: FieldNames, jurisdiction_attribute: str,
                 default_jurisdiction: str, scrub_exemplars: bool, audit_items: bool = True, subjects=None,
                 prepass: Prepass | None = None, plans: KeyPlans | None = None):
        self.catalog = catalog
        self.names = names
        self.jurisdiction_attribute = jurisdiction_attribute
        self.default_jurisdiction = default_jurisdiction
        self.scrub_exemplars = scrub_exemplars
        self.fields: list[Field] = []
        self.finalizers: list[Callable[[], None]] = []
        self.drops: dict[int, tuple[Any, set[str]]] = {}
        self.items: list[tuple[Any, ItemAudit]] = []  # spans / log records with their audit
        self.invalid_json: list[Field] = []
        #: (repeated KeyValue container, KeyValue, new key): applied by `rename_keys` after drops
        self.renames: list[tuple[Any, Any, str]] = []
        #: (old key, new key) of every key that held personal data: reports must not name the old one
        self.key_renames: list[tuple[str, str]] = []
        self.audit_items = audit_items  # ItemAudit per span / log record only when audit attributes are written
        self._labels: dict[tuple[str, str], str] = {}
        #: a scrubber.subjects SubjectResolver: each field then carries its item's subject
        self.subjects = subjects
        self.subject: str | None = None
        self._resource_subject: str | None = None
        #: fields detection would find nothing in (prepass.py): built only if the engine needs them
        self.prepass = prepass
        self.quiet: list[Quiet] = []
        #: per-key decisions kept across requests (plans.py); None: the generic path decides per attribute
        self.plans = plans
        #: the engine's `Identify` for this scrub, or None: identifier values of attributes and URL pieces
        #: then become `Field`s, replaced after detection (see `Identify`)
        self.identify: Identify | None = None
        #: (position in `fields`, text, entity) of each value `identify` replaced: the propagation's
        #: known values, in the order the generic path meets their fields
        self.identified: list[tuple[int, str, str]] = []
        #: (AnyValue, new text) of replaced attribute values: written by the engine where it applies
        #: the fields, so a request refused by detection is left as untouched as before
        self.writes: list[tuple[Any, str]] = []
        #: not None: identifier values the walk would give `identify` are listed here instead, and the
        #: engine replaces them all in one loop right after the walk (`Engine._identify_pending`), as
        #: `identify` would have, call for call; only where no operator drops an identifier (a drop
        #: must become a `Field` during the walk). Attribute values as (AnyValue, text, entity, label,
        #: operator, jurisdiction, audit, metric); URL pieces in `pending_pieces` as (Rebuild, Piece,
        #: entity, label, jurisdiction, audit, metric)
        self.pending: list[tuple] | None = None
        self.pending_pieces: list[tuple] = []

    def release(self) -> None:
        """Drop what the walk built, once the engine is done with it. Quiet entries hold bound
        methods of this walker and key fields closures over it, so everything a request's walk
        made (about 50 objects per plain span) was a reference cycle left to the cyclic
        collector: each gen-0 collection walked it again and it was promoted before it died."""
        for built in (self.fields, self.quiet, self.finalizers, self.invalid_json, self.items, self.renames,
                      self.key_renames, self.identified, self.writes, self.pending_pieces, self.pending or []):
            built.clear()
        self.drops.clear()
        self.identify = None

    # ---- request level -------------------------------------------------------------
    def walk(self, request: Request) -> None:
        for group in resource_groups(request):
            resource_j = self._jurisdiction(group.resource.attributes, self.default_jurisdiction)
            if self.subjects is not None:
                self._resource_subject = self.subjects.of(group.resource.attributes)
            self.subject = self._resource_subject
            self.attributes(group.resource.attributes, Context("resource", resource_j))
            for scope_group in scope_groups(group):
                self.subject = self._resource_subject
                self.attributes(scope_group.scope.attributes, Context("scope", resource_j))
                if hasattr(scope_group, "spans"):
                    for span in scope_group.spans:
                        self._span(span, resource_j)
                elif hasattr(scope_group, "log_records"):
                    for record in scope_group.log_records:
                        self._log(record, resource_j)
                else:
                    for metric in scope_group.metrics:
                        self._metric(metric, resource_j)

    def _jurisdiction(self, attributes, fallback: str) -> str:
        for kv in attributes:
            if kv.key == self.jurisdiction_attribute:  # read as residency reads it (normalized, else unknown)
                return read_jurisdiction(kv.value)
        return fallback

    def _enter_item(self, attributes) -> None:
        """The subject of the item walked next: its own attribute, else the resource's."""
        if self.subjects is not None:
            self.subject = self.subjects.of(attributes, self._resource_subject)

    def _span(self, span, resource_j: str) -> None:
        attributes = span.attributes
        self._enter_item(attributes)
        ctx = self._item_context("span", span, resource_j)
        self.attributes(attributes, ctx, item=True)
        name = span.name
        if name:  # `GET /users/ada-obi-42` -> `GET /users/{id}`
            if self.plans is None:
                span.name = name = normalize_route(name)
            else:
                normalized = self.plans.span_name(name)
                if normalized != name:  # written only when it changed
                    span.name = name = normalized
        self._text(span, "name", Role.CONTENT, "span:<name>", ctx, name)
        events, links = span.events, span.links
        # tested before iterating: an iterator over an empty repeated field costs more than its length
        for event in events if events else ():
            event_ctx = Context("span.event", ctx.jurisdiction, ctx.audit)
            self._text(event, "name", Role.CONTENT, "span.event:<name>", event_ctx)
            self.attributes(event.attributes, event_ctx)
        for link in links if links else ():
            self.attributes(link.attributes, Context("span.link", ctx.jurisdiction, ctx.audit))
        if span.status.message:
            self._text(span.status, "message", Role.CONTENT, "span:<status.message>", ctx)

    def _log(self, record, resource_j: str) -> None:
        self._enter_item(record.attributes)
        ctx = self._item_context("log", record, resource_j)
        self.attributes(record.attributes, ctx, item=True)
        if record.event_name:
            self._text(record, "event_name", Role.CONTENT, "log:<event_name>", ctx)
        if not record.HasField("body"):
            return
        body, rule = record.body, Rule(Role.CONTENT, label="<body>")
        if body.WhichOneof("value") == "string_value":  # a JSON body is scrubbed as JSON
            self._string(body.string_value, rule, "log:<body>", ctx, None, None, parse_json=True, target=body)
        else:
            self.value(body, rule, "log:<body>", ctx, None)

    def _metric(self, metric, resource_j: str) -> None:
        for point in metric_data_points(metric):
            self._enter_item(point.attributes)
            ctx = Context("metric", self._jurisdiction(point.attributes, resource_j), None, True)
            self.attributes(point.attributes, ctx)
            if "exemplars" not in point.DESCRIPTOR.fields_by_name:  # summary points have none
                continue
            if not self.scrub_exemplars:
                point.ClearField("exemplars")
                continue
            for exemplar in point.exemplars:
                self.attributes(exemplar.filtered_attributes, Context("metric.exemplar", ctx.jurisdiction, None, True))

    def _item_context(self, where: str, item, resource_j: str) -> Context:
        """The item's context; its jurisdiction is set by `attributes(..., item=True)`."""
        audit = None
        if self.audit_items:
            audit = ItemAudit()
            self.items.append((item, audit))
        return Context(where, resource_j, audit)

    def _text(self, message, name: str, role: Role, label: str, ctx: Context, text: str | None = None) -> None:
        """The string field `name` of `message` (`text`: its value, when the caller just read it)."""
        if text is None:
            text = getattr(message, name)
        if text:
            args = (text, role, label, ctx.jurisdiction, None, None, "", None, ctx.audit, False, False, message, name)
            if not self._quiet(text, role is Role.CONTENT, Field, args):
                self._add(Field(*args))

    def _add(self, f: Field) -> None:
        if self.subject is not None:
            f.subject = self.subject
        self.fields.append(f)

    def _quiet(self, text: str, ner: bool, build: Callable[..., Field], args: tuple) -> bool:
        """Keep the field as a `Quiet` (built later only if needed) when detection would find nothing in it."""
        if self.prepass is None or text[:1] == "<" or not self.prepass.clean(text, ner):
            return False  # `<`: a pseudonym token is never scanned, so never quiet either
        self.quiet.append((text, build, args, self.subject))
        return True

    def build_quiet(self, quiet: Quiet) -> Field:
        """The `Field` of a quiet entry, with the subject of its item."""
        _, build, args, subject = quiet
        f = build(*args)
        f.subject = subject
        return f

    # ---- attributes and AnyValues --------------------------------------------------
    def attributes(self, container, ctx: Context, item: bool = False) -> None:
        """Every non-safe attribute. For a span / log record (`item`), its own
        `residency.jurisdiction` is read in the same pass and set on `ctx` first."""
        if self.plans is not None:
            self._planned_attributes(container, ctx, item)
            return
        lookup, safe, jurisdiction_key = self.catalog.lookup, Role.SAFE, self.jurisdiction_attribute
        todo = []
        for kv in container:
            key = kv.key
            if item and key == jurisdiction_key:
                ctx.jurisdiction = read_jurisdiction(kv.value)
            rule = lookup(key)
            if rule.role is not safe:
                todo.append((kv, key, rule))
        for kv, key, rule in todo:
            self.value(kv.value, rule, self._label(ctx.where, rule.label), ctx, (container, key))
            if not rule.known:
                self._key(kv, container, ctx)

    def _planned_attributes(self, container, ctx: Context, item: bool) -> None:
        """`attributes` with the key's decisions read from its plan: a string value under a
        content, patterns, identifier or SQL rule becomes the same `Field` or `Quiet` entry the
        generic path (`value` -> `_string` -> `_quiet`) makes, without those calls, and one under
        a URL rule goes straight to `_url`; every other value takes the generic path."""
        plans = self.plans
        assert plans is not None  # only called with plans
        kvs = list(container)
        shape = plans.shape(ctx.where, tuple([kv.key for kv in kvs]), self.jurisdiction_attribute)
        if item and shape.jurisdiction >= 0:
            ctx.jurisdiction = read_jurisdiction(kvs[shape.jurisdiction].value)
        prepass, quiet, fields, subject, identify = self.prepass, self.quiet, self.fields, self.subject, self.identify
        jurisdiction, audit, metric, pending = ctx.jurisdiction, ctx.audit, ctx.metric, self.pending
        seen = prepass.seen if prepass is not None else ((), ())  # its memo, read before its call
        for index, key, plan in shape.todo:
            kv = kvs[index]
            value, fast = kv.value, plan.fast
            # a non-empty `string_value` is the set member of the oneof (no `WhichOneof` call); an
            # empty one, or another kind, takes the generic path, which does nothing for ""
            if fast >= URL and (text := value.string_value):
                if fast == URL:
                    self._url(text, plan.rule, plan.label, ctx, _attr_setter(value))
                elif fast == IDENTIFIER and pending is not None and text[:1] != "<":  # `_identified`, inlined
                    self.identified.append((len(fields), text, plan.entity))
                    pending.append((value, text, plan.entity, plan.label, plan.operator, jurisdiction, audit, metric))
                elif fast == IDENTIFIER and identify is not None and self._identified(
                        text, plan.entity, plan.label, plan.operator, jurisdiction, audit, metric, value):
                    pass
                else:
                    args: tuple[Any, ...] = (text, plan.role, plan.label, jurisdiction, None, (container, key), plan.entity,
                            plan.operator, audit, False, metric, value, "string_value", plan.sql)
                    if (fast >= QUIET_PATTERNS and prepass is not None and text[:1] != "<"
                            and (text in seen[fast == QUIET_CONTENT] or prepass.clean(text, fast == QUIET_CONTENT))):
                        quiet.append((text, Field, args, subject))
                    else:
                        f = Field(*args)
                        if subject is not None:
                            f.subject = subject
                        fields.append(f)
            elif fast < URL or value.WhichOneof("value") not in plan.inert:
                self.value(value, plan.rule, plan.label, ctx, (container, key))
            probe = plan.probe
            if probe is not None:
                if prepass is not None and probe[:1] != "<" and (probe in seen[1] or prepass.clean(probe, True)):
                    quiet.append((probe, self._key_field, (kv, container, ctx, probe), subject))
                else:
                    self._add(self._key_field(kv, container, ctx, probe))

    def _identified(self, text: str, entity: str, label: str, operator, jurisdiction: str, audit, metric: bool,
                    target) -> bool:
        """An identifier attribute's value replaced now (`Identify`), written later (`writes`); False:
        its operator drops the attribute, which only the engine's apply does (a `Field` then)."""
        if text[:1] == "<" and TOKEN_RE.fullmatch(text) is not None:  # a token already: left as it is
            self.identified.append((len(self.fields), text, entity))
            return True
        if self.pending is not None:  # replaced right after the walk, never dropped
            self.identified.append((len(self.fields), text, entity))
            self.pending.append((target, text, entity, label, operator, jurisdiction, audit, metric))
            return True
        assert self.identify is not None  # only called with one
        new = self.identify(text, entity, label, operator, jurisdiction, audit, metric, True)
        if new is None:
            return False
        self.identified.append((len(self.fields), text, entity))
        self.writes.append((target, new))
        return True

    # ---- keys ----------------------------------------------------------------------
    def _key(self, kv, container, ctx: Context) -> None:
        """A key no table names may itself be personal (`feature.flag.<name>`): scanned as text;
        a hit renames it (`rename_keys`, after drops, so a dropped attribute is still found)."""
        probe = _probe(kv.key)
        if not self._quiet(probe, True, self._key_field, (kv, container, ctx, probe)):
            self._add(self._key_field(kv, container, ctx, probe))

    def _key_field(self, kv, container, ctx: Context, probe: str) -> Field:
        def rename(new: str) -> None:
            self.renames.append((container, kv, new))
            self.key_renames.append((kv.key, new))
        return Field(kv.key, Role.CONTENT, self._label(ctx.where, "<key>"), ctx.jurisdiction, rename,
                     audit=ctx.audit, metric=ctx.metric, probe=probe)

    def _json_key(self, node: dict, name: str, label: str, ctx: Context) -> None:
        """A JSON object key, renamed (if it holds personal data) just before its document is written."""
        if ctx.renames is None:
            return
        probe = _probe(name)
        if not self._quiet(probe, True, self._json_key_field, (node, name, label, ctx, probe)):
            self._add(self._json_key_field(node, name, label, ctx, probe))

    def _json_key_field(self, node: dict, name: str, label: str, ctx: Context, probe: str) -> Field:
        renames = ctx.renames
        assert renames is not None  # `_json_key` builds none outside a JSON document

        def rename(new: str) -> None:
            renames.append((node, name, new))
            self.key_renames.append((name, new))
        return Field(name, Role.CONTENT, label + ".<key>", ctx.jurisdiction, rename, audit=ctx.audit,
                     in_json=True, probe=probe)

    def rename_keys(self) -> None:
        """Apply the key renames of attributes and kvlists (a new key never collides)."""
        for container, kv, new in self.renames:
            kv.key = _unique(new, {other.key for other in container})

    def _label(self, where: str, label: str) -> str:
        text = self._labels.get((where, label))
        if text is None:
            text = self._labels[(where, label)] = f"{where}:{label}"
        return text

    def value(self, any_value, rule: Rule, label: str, ctx: Context, drop) -> None:
        kind = any_value.WhichOneof("value")
        if kind == "string_value":
            self._string(any_value.string_value, rule, label, ctx, None, drop, target=any_value)
        elif kind in ("int_value", "double_value", "bool_value") and _numeric_identifier(rule, getattr(any_value, kind)):
            text = str(getattr(any_value, kind))
            self._string(text, rule, label, ctx, None, drop, target=any_value)
        elif kind == "array_value":
            for element in any_value.array_value.values:
                self.value(element, rule, label + "[*]", ctx, drop)
        elif kind == "kvlist_value":
            values = any_value.kvlist_value.values
            for kv in values:
                child = self._child_rule(kv.key, rule)
                if child.role is not Role.SAFE:
                    self.value(kv.value, child, f"{label}.{kv.key}", ctx, (values, kv.key))
                if not child.known:
                    self._key(kv, values, ctx)

    def _child_rule(self, name: str, parent: Rule) -> Rule:
        """The role of a field inside structured content: its own name decides if it is an
        identifier or safe, else it inherits (text inside structured content is content)."""
        if parent.role is Role.REDACT or (parent.role is Role.IDENTIFIER and not parent.inferred):
            return parent
        own = self.names.rule(name) or self.catalog.field_rule(name)
        if own is not None:
            return own
        if parent.role is Role.IDENTIFIER:  # `customer: {...}`: fields without a say of their own
            return Rule(parent.role, parent.entity, label=name, known=False, inferred=True)
        if parent.role in (Role.STRUCTURED, Role.CONTENT):
            return Rule(Role.CONTENT, label=name, known=False)
        return Rule(parent.role, label=name, known=False)

    def _string(self, text: str, rule: Rule, label: str, ctx: Context, setter, drop,
                in_json: bool = False, parse_json: bool = False, target=None) -> None:
        """One string value. Inside JSON (and in log bodies), text that is itself JSON (tool
        call arguments) is parsed and scrubbed as JSON; if it does not parse it is text."""
        if not text:
            return
        role = rule.role
        if role is Role.STRUCTURED:
            self._structured(text, rule, label, ctx, setter or _attr_setter(target), drop)
            return
        if role is Role.URL:
            self._url(text, rule, label, ctx, setter or _attr_setter(target))
            return
        if role is Role.CONTENT and (in_json or parse_json) and structured.looks_like_json(text):
            if self._json(text, label, ctx, setter or _attr_setter(target)):
                return
        args = (text, Role.PATTERNS if role is Role.SQL else role, label, ctx.jurisdiction, setter, drop,
                rule.entity, rule.operator or None, ctx.audit, in_json, ctx.metric, target, "string_value",
                role is Role.SQL)
        # SQL text is not quiet: its string literals are findings whatever detection says
        if role in _QUIET_ROLES and self._quiet(text, role is Role.CONTENT, Field, args):
            return
        self._add(Field(*args))

    def _url(self, text: str, rule: Rule, label: str, ctx: Context, setter) -> None:
        """A URL as pieces (urls.py): named parameter values by name, the rest scanned; a
        finalizer writes it back if a piece changed. A URL piece cannot be dropped alone."""
        raw, pieces = urls.split(text, query_only=rule.label in urls.QUERY_KEYS)
        rebuild = urls.Rebuild(raw, setter)
        self.finalizers.append(rebuild)
        prepass, quiet, subject, piece_field = self.prepass, self.quiet, self.subject, self._piece_field
        decided = self.plans.parameters if self.plans is not None else {}
        identify, pending_pieces = self.identify, self.pending_pieces if self.pending is not None else None
        seen = prepass.seen if prepass is not None else ((), ())  # its memo, read before its call
        for piece in pieces:
            _, text, kind, name = piece
            if name:
                role, entity, where = decided.get((label, name)) or self._parameter(label, name)
            elif kind == "userinfo":
                role, entity, where = Role.IDENTIFIER, "SECRET", label
            else:
                role, entity, where = Role.PATTERNS, "", label
            if role is Role.IDENTIFIER and identify is not None:
                if pending_pieces is not None and text[:1] != "<":  # `_identified_piece`, inlined
                    self.identified.append((len(self.fields), text, entity))
                    pending_pieces.append((rebuild, piece, entity, where, ctx.jurisdiction, ctx.audit, ctx.metric))
                else:
                    self._identified_piece(piece, entity, where, ctx, rebuild)
                continue
            args = (piece, role, where, ctx, rebuild, entity)
            # `_quiet`, inlined: a URL has several pieces, most of them quiet
            if (role in _QUIET_ROLES and prepass is not None and text[:1] != "<"
                    and (text in seen[role is Role.CONTENT] or prepass.clean(text, role is Role.CONTENT))):
                quiet.append((text, piece_field, args, subject))
            else:
                self._add(piece_field(*args))

    def _identified_piece(self, piece, entity: str, where: str, ctx: Context, rebuild) -> None:
        """An identifier piece of a URL replaced now (`Identify`; a drop redacts, as in any URL piece)."""
        text = piece.text
        self.identified.append((len(self.fields), text, entity))
        if text[:1] == "<" and TOKEN_RE.fullmatch(text) is not None:  # a token already: left as it is
            return
        if self.pending is not None:  # replaced right after the walk
            self.pending_pieces.append((rebuild, piece, entity, where, ctx.jurisdiction, ctx.audit, ctx.metric))
            return
        assert self.identify is not None  # only called with one
        new = self.identify(text, entity, where, None, ctx.jurisdiction, ctx.audit, ctx.metric, False)
        assert new is not None  # never None when nothing is droppable
        rebuild.raw[piece.index] = urls.encode(new, piece.kind)
        rebuild.changed = True

    def _parameter(self, label: str, name: str) -> tuple[Role, str, str]:
        """(role, entity, report label) of a named query parameter's value (kept in the plans)."""
        if self.plans is not None:
            known = self.plans.parameters.get((label, name))
            if known is not None:
                return known
        role, entity = self.names.url_parameter(name)
        decided = (role, entity, self._label(label, "?" + name))
        if self.plans is not None:
            self.plans.keep_parameter(label, name, decided)
        return decided

    @staticmethod
    def _piece_field(piece, role: Role, where: str, ctx: Context, rebuild, entity: str) -> Field:
        return Field(piece.text, role, where, ctx.jurisdiction, rebuild.piece_setter(piece), None, entity,
                     None, ctx.audit, False, ctx.metric)

    def _structured(self, text: str, rule: Rule, label: str, ctx: Context, setter, drop) -> None:
        """A key that holds JSON. Plain text (it does not start like JSON) is content;
        text that starts like JSON but does not parse fails closed."""
        if text.lstrip()[:1] not in ("{", "["):
            args = (text, Role.CONTENT, label, ctx.jurisdiction, setter, drop, "", None, ctx.audit, False, ctx.metric)
            if not self._quiet(text, True, Field, args):
                self._add(Field(*args))
            return
        if not self._json(text, label, ctx, setter):
            self.invalid_json.append(Field(text, Role.REDACT, label, ctx.jurisdiction, setter, drop, audit=ctx.audit))

    def _json(self, text: str, label: str, ctx: Context, setter) -> bool:
        try:
            document = structured.parse(text)
        except ValueError:
            return False
        style = structured.JSONStyle.of(text)
        holder = [document]
        doc_ctx = Context(ctx.where, ctx.jurisdiction, ctx.audit, ctx.metric, renames=[])

        def write_back() -> None:
            _rename_json_keys(doc_ctx.renames or [])
            setter(style.dumps(holder[0]))
        # registered before the walk, so that JSON nested inside (registered during it)
        # is finalized first when the engine runs finalizers in reverse
        self.finalizers.append(write_back)
        self._json_node(holder, 0, Rule(Role.STRUCTURED), label, doc_ctx)
        return True

    def _json_node(self, container, key, rule: Rule, label: str, ctx: Context) -> None:
        node = container[key]
        if isinstance(node, dict):
            for name in list(node):
                child = self._child_rule(name, rule)
                if child.role is not Role.SAFE:
                    self._json_node(node, name, child, f"{label}.{name}", ctx)
                if not child.known:  # after its value: the value's setter still finds the old key
                    self._json_key(node, name, label, ctx)
        elif isinstance(node, list):
            for index in range(len(node)):
                self._json_node(node, index, rule, label + "[*]", ctx)
        elif isinstance(node, str) or (isinstance(node, (int, float)) and not isinstance(node, bool)
                                       and _numeric_identifier(rule, node)):
            leaf_rule = Rule(Role.CONTENT, label=rule.label) if rule.role is Role.STRUCTURED else rule
            self._string(str(node), leaf_rule, label, ctx, _item_setter(container, key), None, in_json=True)


#: roles whose fields detection alone decides (identifiers and redactions always change)
_QUIET_ROLES = (Role.CONTENT, Role.PATTERNS)
_PROBES: dict[str, str] = {}


def _probe(key: str) -> str:
    """`probe_text(key)`, memoized: the same keys recur in every span (bounded)."""
    probe = _PROBES.get(key)
    if probe is None:
        if len(_PROBES) >= 8192:
            _PROBES.clear()
        probe = _PROBES[key] = probe_text(key)
    return probe


def _numeric_identifier(rule: Rule, number) -> bool:
    """A number under an identifier key is pseudonymized as its text; under a key whose name
    only suggests an identifier, not a flag or a small count (`is_member`, `contacts: 3`)."""
    if rule.role is not Role.IDENTIFIER:
        return False
    if not rule.inferred:
        return True
    return not isinstance(number, bool) and abs(number) >= MIN_INFERRED_NUMBER


def _unique(new: str, taken: set[str]) -> str:
    if new not in taken:
        return new
    n = 2
    while f"{new}#{n}" in taken:
        n += 1
    return f"{new}#{n}"


def _rename_json_keys(renames: list) -> None:
    """Rename JSON object keys in place, keeping their order."""
    by_node: dict[int, tuple[dict, dict[str, str]]] = {}
    for node, old, new in renames:
        by_node.setdefault(id(node), (node, {}))[1][old] = new
    for node, names in by_node.values():
        items = list(node.items())
        node.clear()
        for key, value in items:
            key = names.get(key, key)
            node[_unique(key, set(node))] = value


def _attr_setter(target) -> Callable[[str], None]:
    def set_string(value: str) -> None:
        target.string_value = value
    return set_string


def _item_setter(container, key) -> Callable[[str], None]:
    def set_item(value: str) -> None:
        container[key] = value
    return set_item
