"""One batch through the pii policy: collect, detect once, replace, write back.

1. the walker lists every string field of the request with its role;
2. all texts that need detection go to the detection service in ONE call
   (deduplicated), so a pool behind it can micro-batch across requests;
3. values found in one field (and identifier values) are looked for in every
   other scanned field of the batch too (`propagate_values`): a name NER saw in
   one sentence is also replaced where NER missed it;
   keys no table names, JSON object and kvlist keys, span / event / log names are
   scanned fields too: a hit in a key renames the key (its value keeps the
   treatment its original key gave it), a hit in a name replaces that piece;
4. operators replace the findings; JSON documents are re-serialized, dropped
   attributes removed, audit attributes written, metric points re-aggregated.

Fail closed: if detection raises or times out, every field that needed it is
replaced whole by `<REDACTED>`; a key missing at run time redacts too. Both
are counted by reason; processing goes on.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any, Callable, NamedTuple, Protocol, Sequence

from scrubber.detection.persons import name_parts
from scrubber.errors import PermanentError, ResourceExhaustedError
from scrubber.pdata import Request, Signal
from scrubber.processors.pii import operators, urls
from scrubber.processors.pii.audit import ScrubReport, write_item_attributes
from scrubber.processors.pii.catalog import Catalog, FieldNames, Role
from scrubber.processors.pii.config import OperatorSpec, PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore, KeyUnavailable
from scrubber.processors.pii.merge import merge_points
from scrubber.processors.pii.plans import KeyPlans
from scrubber.processors.pii.prepass import Prepass
from scrubber.processors.pii.walker import Field, Walker
from scrubber.pseudonym import TOKEN_RE

MIN_PROPAGATED = 4  # shorter values are not searched for elsewhere (too many false hits)


class Detection(Protocol):
    async def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list]: ...


class Hit(NamedTuple):
    """One finding in a field's text. A tuple, not a dataclass: one is made per finding and per
    identifier of every span, and a frozen dataclass costs several times more to build."""

    entity: str
    start: int
    end: int


class Engine:
    def __init__(self, config: PIIProcessorConfig, catalog: Catalog, names: FieldNames, keys: KeyStore):
        self.config = config
        self.catalog = catalog
        self.names = names
        self.keys = keys
        self.operators = config.operators
        #: scrubber.subjects SubjectKeys when `subjects` is configured (set at start): the key per item
        self.subjects: Any = None
        #: skips the per-field work for fields detection would find nothing in (prepass.py); None: off
        self.prepass: Prepass | None = Prepass(config.detection)
        #: per-key decisions of the walk, kept across requests (plans.py); None: decided per attribute
        self.plans: KeyPlans | None = KeyPlans(catalog)
        self._metric_identifiers = OperatorSpec(operator=config.metrics.identifiers)
        #: (operator role, entity) -> `operators.resolve(...)`: the config never changes, and the
        #: resolution (two dict look-ups on pydantic models) was paid per finding
        self._resolved: dict[tuple[str, str], OperatorSpec] = {}
        #: identifier values replaced during the walk (`_identify`), not as `Field`s after it; only
        #: without subjects (False: every identifier a `Field`, the reference of the equality tests)
        self.identify_in_walk = True
        #: tokens remembered per request (`_token`); False: each one computed (the tests' reference)
        self.remember_tokens = True
        #: walk-time identifiers replaced in one loop after the walk (`_identify_pending`) rather than
        #: one `_identify` call each; only where no operator can drop one. False: the tests' reference
        self.identify_after_walk = not _may_drop_identifiers(config)

    async def scrub(self, signal: Signal, request: Request, detection: Detection) -> ScrubReport:
        """Scrub `request` in place; the report says what was found (never values)."""
        report = ScrubReport()
        #: this request's jurisdiction-key tokens by (jurisdiction, entity, value): a value recurs in
        #: a request (a user's id in `enduser.id` and in a URL), its token is the same; freed with it
        tokens: dict[tuple[str, str, str], str] | None = {} if self.remember_tokens else None
        walker = Walker(self.catalog, self.names, self.config.jurisdiction_attribute,
                        self.config.default_jurisdiction, self.config.metrics.exemplars == "scrub",
                        audit_items=self.config.audit.attributes,
                        subjects=self.subjects.resolver if self.subjects is not None else None,
                        prepass=self.prepass, plans=self.plans)
        if self.identify_in_walk and self.subjects is None:
            walker.identify = partial(self._identify, report, tokens)
            if self.identify_after_walk:
                walker.pending = []
        try:
            await self._scrub_with(walker, signal, request, detection, report, tokens)
        finally:
            walker.release()  # its entries point back at it: freed now, not by the cyclic collector
        return report

    async def _scrub_with(self, walker: Walker, signal: Signal, request: Request, detection: Detection,
                          report: ScrubReport, tokens: dict | None) -> None:
        walker.walk(request)
        if walker.pending is not None:
            self._identify_pending(walker, report, tokens)
        for f in walker.invalid_json:
            self._fail_closed(f, "invalid_json", report)
        hits = await self._detect(walker, detection, report)
        if self.config.propagate_values:
            self._propagate(walker, hits)
        subject_keys = await self._subject_keys(walker.fields)
        drops: dict[int, tuple] = {}
        for target, new in walker.writes:  # identifier values `_identify` replaced during the walk
            target.string_value = new
        for f in walker.fields:
            if self._apply(f, hits.get(id(f)), report, subject_keys, tokens) and f.drop is not None:
                container, key = f.drop
                drops.setdefault(id(container), (container, set()))[1].add(key)
        if walker.key_renames:
            _relabel(report, walker.items, walker.key_renames)
        for finalize in reversed(walker.finalizers):
            finalize()
        _remove_dropped(drops)
        walker.rename_keys()
        if self.config.audit.attributes:
            for item, audit in walker.items:
                write_item_attributes(item, audit)
        if signal is Signal.METRICS:
            merge_points(request)

    # ---- detection ----------------------------------------------------------------
    async def _detect(self, walker: Walker, detection: Detection, report: ScrubReport) -> dict[int, list[Hit]]:
        """Findings per field id, from one deduplicated detection call."""
        scanned = (Role.CONTENT, Role.PATTERNS)
        wanted = [f for f in walker.fields if f.role in scanned and not _is_token(f.text)]
        if not wanted:
            return {}
        index: dict[tuple[str, bool], int] = {}
        for f in wanted:
            index.setdefault((f.probe or f.text, f.ner), len(index))
        texts = [text for text, _ in index]
        ner = [flag for _, flag in index]
        try:
            results = await asyncio.wait_for(detection.detect(texts, ner), self.config.detection_timeout)
            if len(results) != len(texts):
                raise ValueError(f"detection answered {len(results)} results for {len(texts)} texts")
        except ResourceExhaustedError:
            raise  # the pool is saturated: refuse the whole request (RESOURCE_EXHAUSTED), forward nothing
        except PermanentError:
            # more distinct texts than the pool takes even when idle: refuse as permanent (400 /
            # INVALID_ARGUMENT), so the client neither retries it forever nor ships a husk of
            # redacted fields; a merged batch is resent request by request by `batch` (issue 13)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of detection fails closed
            reason = "timeout" if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) else "detector_error"
            for f in wanted + self._build_quiet(walker, walker.quiet):  # quiet fields fail closed too
                self._fail_closed(f, reason, report)
            return {}
        if self.prepass is not None:
            for (text, flag), result in zip(index, results):
                if not result:
                    self.prepass.learn(text, flag)
        per_text = [[Hit(x.entity_type, x.start, x.end) for x in result] for result in results]
        hits = {id(f): per_text[index[(f.probe or f.text, f.ner)]] for f in wanted}
        for f in wanted:
            if f.sql:
                literals = [Hit(urls.SQL_LITERAL, start, end) for start, end in urls.sql_literals(f.text)]
                if literals:
                    hits[id(f)] = _union(literals, hits[id(f)])
        return hits

    @staticmethod
    def _build_quiet(walker: Walker, quiet) -> list[Field]:
        """Fields for quiet entries after all (appended to the walker's fields, so they are applied)."""
        built = [walker.build_quiet(q) for q in quiet]
        walker.fields.extend(built)
        return built

    def _propagate(self, walker: Walker, hits: dict[int, list[Hit]]) -> None:
        """Add hits for values already known personal in this batch where detection missed them,
        also in quiet fields (built only when a known value is in them)."""
        fields, hits_of, identifier = walker.fields, hits.get, Role.IDENTIFIER
        known: dict[str, str] = {}
        for f in fields:
            if f.role is identifier:
                value = f.text.strip()
                if len(value) >= MIN_PROPAGATED:
                    known.setdefault(value, f.entity)
            for hit in hits_of(id(f), ()):
                value = (f.probe or f.text)[hit.start:hit.end]
                if len(value) >= MIN_PROPAGATED and self._operator(f, hit.entity).operator != "keep":
                    known.setdefault(value, hit.entity)
                    if hit.entity == "PERSON" and " " in value.strip():  # "Priya Raman" here, "Priya" there
                        for part in name_parts(value):
                            for variant in (part, part.lower(), part.upper()):
                                known.setdefault(variant, hit.entity)
        if walker.identified:
            self._add_identified(walker, hits, known)
        if not known:
            return
        finder = KnownValues(known)
        seen: dict[str, list[Hit]] = {}
        seen_of = seen.get
        for f in fields if hits else ():  # only fields detection was asked about have hits
            found = hits_of(id(f))
            if found is None:
                continue
            text = f.probe or f.text  # keys are searched as words (`Ada_Obi` holds `Ada Obi`)
            extra = seen_of(text)
            if extra is None:  # the same text (a path segment, a span name) repeats in a batch
                extra = seen[text] = finder.find(text)
            if extra:
                hits[id(f)] = _union(found, extra)
        for quiet in walker.quiet:
            text = quiet[0]
            extra = seen_of(text)
            if extra is None:
                extra = seen[text] = finder.find(text, keep=True)
            if extra:
                f = self._build_quiet(walker, [quiet])[0]
                hits[id(f)] = list(extra)

    def _add_identified(self, walker: Walker, hits: dict[int, list[Hit]], known: dict[str, str]) -> None:
        """The values `_identify` replaced during the walk, added to `known` as their `Field`s would
        have been: in field order, the first one giving a value deciding its entity. They are added
        after the fields; a value some field gave too (rare) is decided by who came first."""
        identified: dict[str, tuple[str, int]] = {}
        for position, text, entity in walker.identified:
            value = text.strip()
            if len(value) >= MIN_PROPAGATED and value not in identified:
                identified[value] = (entity, position)
        for value, (entity, position) in identified.items():
            given = known.get(value)
            if given is None:
                known[value] = entity
            elif given != entity and position <= self._first_giving(walker.fields, hits, value):
                known[value] = entity

    def _first_giving(self, fields: list[Field], hits: dict[int, list[Hit]], value: str) -> int:
        """The index of the first field that gives `value` to the known values (`_propagate`)."""
        for index, f in enumerate(fields):
            if f.role is Role.IDENTIFIER and f.text.strip() == value:
                return index
            for hit in hits.get(id(f), ()):
                found = (f.probe or f.text)[hit.start:hit.end]
                if len(found) < MIN_PROPAGATED or self._operator(f, hit.entity).operator == "keep":
                    continue
                if found == value:
                    return index
                if hit.entity == "PERSON" and " " in found.strip() and any(
                        value in (part, part.lower(), part.upper()) for part in name_parts(found)):
                    return index
        return len(fields)

    def _token(self, tokens: dict[tuple[str, str, str], str], jurisdiction: str, entity: str, value: str) -> str:
        """`operators.apply` of `pseudonymize` without a subject key, remembered for the request."""
        token = tokens.get((jurisdiction, entity, value))
        if token is None:
            try:
                token = self.keys.pseudonym(jurisdiction, entity, value)
            except KeyUnavailable as exc:
                raise operators.NoKey(str(exc)) from None
            tokens[(jurisdiction, entity, value)] = token
        return token

    def _identify(self, report: ScrubReport, tokens: dict[tuple[str, str, str], str] | None, text: str, entity: str,
                  label: str, operator: OperatorSpec | None, jurisdiction: str, audit, metric: bool,
                  droppable: bool) -> str | None:
        """What `_apply` makes of an identifier field (walker.py `Identify`), recorded alike: the
        operator of the key rule, else of metric identifiers, else of identifiers; no key fails
        closed. None: the operator drops a `droppable` attribute (left to a `Field`)."""
        if operator is not None:
            spec = operator
        else:
            spec = self._metric_identifiers if metric else self._resolve("identifier", entity)
        if spec.operator == "drop" and droppable:
            return None
        try:
            if tokens is not None and spec.operator == "pseudonymize":
                new = self._token(tokens, jurisdiction, entity, text)
            else:
                new = operators.apply(spec, entity, text, jurisdiction, self.keys)
        except operators.NoKey as missing:
            report.fail_closed[missing.reason] += 1
            if audit is not None:
                audit.fail_closed += 1
            return operators.REDACTED
        if new is operators.DROP:  # in a URL piece, where nothing can be dropped
            new = operators.redact(entity)
        report.detections[(label, entity, spec.operator, "identifier", jurisdiction)] += 1
        if audit is not None:
            audit.types[entity] += 1
            audit.keys.add(label)
        return new

    def _identify_pending(self, walker: Walker, report: ScrubReport, tokens: dict | None) -> None:
        """What `_identify` makes of each identifier the walk listed (`Walker.pending`), in one loop:
        the same operator, token, report and audit entries, without its calls per value (a plain
        span has about three). Attribute values go to `walker.writes`, as `_identify` had them
        written; URL pieces into their URL's pieces. Never a drop: only used where none can be."""
        resolve, metric_spec, writes = self._resolve, self._metric_identifiers, walker.writes
        for target, text, entity, label, operator, jurisdiction, audit, metric in walker.pending or ():
            spec = operator if operator is not None else metric_spec if metric else resolve("identifier", entity)
            writes.append((target, self._pending_text(spec, text, entity, label, jurisdiction, audit, report, tokens)))
        encode = urls.encode
        for rebuild, piece, entity, label, jurisdiction, audit, metric in walker.pending_pieces:
            spec = metric_spec if metric else resolve("identifier", entity)
            new = self._pending_text(spec, piece.text, entity, label, jurisdiction, audit, report, tokens)
            rebuild.raw[piece.index] = encode(new, piece.kind)
            rebuild.changed = True

    def _pending_text(self, spec: OperatorSpec, text: str, entity: str, label: str, jurisdiction: str, audit,
                      report: ScrubReport, tokens: dict | None) -> str:
        """`_identify`'s replacement of one listed value, with its report entries (never a drop)."""
        name = spec.operator
        if tokens is not None and name == "pseudonymize":  # `_token`, inlined: nearly every identifier
            token = tokens.get((jurisdiction, entity, text))
            if token is None:
                try:
                    token = self.keys.pseudonym(jurisdiction, entity, text)
                except KeyUnavailable:
                    return self._pending_no_key(operators.NoKey.reason, audit, report)
                tokens[(jurisdiction, entity, text)] = token
            new = token
        else:
            try:
                new = operators.apply(spec, entity, text, jurisdiction, self.keys)
            except operators.NoKey as missing:
                return self._pending_no_key(missing.reason, audit, report)
            if new is operators.DROP:  # a URL piece, where nothing can be dropped (no config here has one)
                new = operators.redact(entity)
        report.detections[(label, entity, name, "identifier", jurisdiction)] += 1
        if audit is not None:
            audit.types[entity] += 1
            audit.keys.add(label)
        return new

    @staticmethod
    def _pending_no_key(reason: str, audit, report: ScrubReport) -> str:
        report.fail_closed[reason] += 1
        if audit is not None:
            audit.fail_closed += 1
        return operators.REDACTED

    async def _subject_keys(self, fields: list[Field]) -> dict | None:
        """{(jurisdiction, subject): SubjectKey or UNAVAILABLE} for the subjects of this batch."""
        if self.subjects is None:
            return None
        pairs = {(f.jurisdiction, f.subject) for f in fields if f.subject is not None}
        return await self.subjects.resolve(pairs) if pairs else None

    # ---- replacement --------------------------------------------------------------
    def _operator(self, f: Field, entity: str) -> OperatorSpec:
        if f.role is Role.IDENTIFIER:
            if f.operator is not None:
                return f.operator
            if f.metric:
                return self._metric_identifiers
            return self._resolve("identifier", entity)
        return self._resolve("structured" if f.in_json else ("content" if f.role is Role.CONTENT else "patterns"), entity)

    def _resolve(self, role: str, entity: str) -> OperatorSpec:
        """`self.operators.resolve(role, entity)`, memoised (bounded by roles x entity types)."""
        spec = self._resolved.get((role, entity))
        if spec is None:
            spec = self._resolved[(role, entity)] = self.operators.resolve(role, entity)
        return spec

    def _apply(self, f: Field, hits: list[Hit] | None, report: ScrubReport, subject_keys: dict | None = None,
               tokens: dict | None = None) -> bool:
        """Replace what was found in `f`; True if the attribute is to be dropped."""
        if f.text is None:  # already failed closed
            return False
        if f.role is Role.IDENTIFIER:
            text = f.text
            if text[:1] != "<" or not _is_token(text):  # `_is_token`'s own first test, without its call
                return self._replace(f, [Hit(f.entity, 0, len(text))], report, subject_keys, tokens)
        elif f.role is Role.REDACT:
            self._record(f, "NOT_ALLOWED", "redact", report)
            f.set(operators.REDACTED)
        elif hits:
            return self._replace(f, hits, report, subject_keys, tokens)
        return False

    def _replace(self, f: Field, hits: list[Hit], report: ScrubReport, subject_keys: dict | None = None,
                 tokens: dict | None = None) -> bool:
        text, pieces, last, drop = f.text, [], 0, False
        subject_key = subject_keys.get((f.jurisdiction, f.subject)) if subject_keys and f.subject is not None else None
        try:
            for entity, start, end in hits:
                spec = self._operator(f, entity)
                if tokens is not None and subject_key is None and spec.operator == "pseudonymize":
                    new = self._token(tokens, f.jurisdiction, entity, text[start:end])
                else:
                    new = operators.apply(spec, entity, text[start:end], f.jurisdiction, self.keys, subject_key)
                if new is operators.DROP:
                    drop, new = True, operators.redact(entity)
                self._record(f, entity, spec.operator, report)
                pieces.append(text[last:start])
                pieces.append(new)
                last = end
        except operators.NoKey as missing:
            self._fail_closed(f, missing.reason, report)
            return False
        if drop and f.drop is not None:
            return True
        f.set("".join(pieces) + text[last:])
        return False

    def _record(self, f: Field, entity: str, operator: str, report: ScrubReport) -> None:
        role = "structured" if f.in_json else _ROLE_NAMES[f.role]
        report.detections[(f.label, entity, operator, role, f.jurisdiction)] += 1
        if f.audit is not None:
            f.audit.types[entity] += 1
            f.audit.keys.add(f.label)

    def _fail_closed(self, f: Field, reason: str, report: ScrubReport) -> None:
        f.set(operators.REDACTED)
        f.text = None  # type: ignore[assignment]  # nothing more to do for this field
        report.fail_closed[reason] += 1
        if f.audit is not None:
            f.audit.fail_closed += 1


def _may_drop_identifiers(config: PIIProcessorConfig) -> bool:
    """Whether any operator of `config` an identifier can get is `drop` (a key rule's, the
    operators for identifiers or any entity, the default, the metric identifiers')."""
    ops = config.operators
    specs = [ops.default, *ops.entities.values(), *(r.operator for r in config.rules)]
    for by_role in ops.roles.values():
        specs += [by_role.default, *by_role.entities.values()]
    return config.metrics.identifiers == "drop" or any(spec is not None and spec.operator == "drop" for spec in specs)


class KnownValues:
    """Finds known values as whole words in texts, without one regex per batch.

    Every run of word characters inside a value is a whole word run of any text where the
    value occurs as a whole word (the value is bounded by non-word characters there). So a
    text whose set of word runs does not contain a value's longest run cannot contain the
    value, and only the few texts that pass this set test are searched, with `str.find`.
    Values without a word character (rare) are searched in every text.
    """

    def __init__(self, known: dict[str, str]):
        self.known = known
        self.by_run: dict[str, list[str]] = {}
        self.unindexed: list[str] = []
        by_run = self.by_run
        texts = list(known)
        for value, runs in zip(texts, _word_runs_of_each(texts)):  # one per identifier of every span
            if not runs:
                self.unindexed.append(value)
                continue
            run = runs[0] if len(runs) == 1 else max(runs, key=len)
            values = by_run.get(run)
            if values is None:
                by_run[run] = [value]
            else:
                values.append(value)

    def find(self, text: str, keep: bool = False) -> list[Hit]:
        """Known values in `text`; `keep`: its word runs may be kept for the next requests (only for
        quiet texts, which the prepass memo keeps anyway: no text with findings outlives its request)."""
        runs = self.by_run.keys() & (_word_runs(text) if keep else set(word_runs(text)))
        candidates = [v for run in runs for v in self.by_run[run]] + self.unindexed
        if not candidates:
            return []
        found = []
        for value in candidates:
            start = text.find(value)
            while start >= 0:
                end = start + len(value)
                if (start == 0 or not _is_word(text[start - 1])) and (end == len(text) or not _is_word(text[end])):
                    found.append(Hit(self.known[value], start, end))
                start = text.find(value, start + 1)
        found.sort(key=lambda h: (h.start, h.start - h.end))  # leftmost, then longest
        chosen, last = [], 0
        for hit in found:
            if hit.start >= last:
                chosen.append(hit)
                last = hit.end
        return chosen


_WORD = re.compile(r"\w+")
#: an ASCII byte as itself if it is a word character (`\w`: letters, digits, `_`), else a space
_ASCII_WORD_BYTES = bytes(code if chr(code).isalnum() or code == 0x5F else 0x20 for code in range(256))


def word_runs(text: str) -> list[str]:
    r"""`_WORD.findall(text)`, the runs of word characters in order. For ASCII text (where `\w` is
    `[A-Za-z0-9_]`) as the words left when every other byte is a space: one C pass for the
    translation and one for the split, a third of the regex's cost on a long text (tested equal)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split()
    return _WORD.findall(text)

#: `_ASCII_WORD_BYTES` that keeps NUL, the separator of `_word_runs_of_each`
_ASCII_WORD_BYTES_NUL = b"\0" + _ASCII_WORD_BYTES[1:]


def _word_runs_of_each(texts: list[str]) -> list[list[str]]:
    """`[word_runs(text) for text in texts]`. ASCII texts without NUL are translated in one pass,
    joined by NUL (kept by the table, every other non-word byte a space) and split back there: a
    request's known values are hundreds of short ids and addresses, each a function call and four
    C calls before (tested equal)."""
    joined = "\0".join(texts)
    if not joined.isascii() or joined.count("\0") != len(texts) - 1:  # none, non-ASCII, or a NUL inside
        return [word_runs(text) for text in texts]
    parts = joined.encode("ascii").translate(_ASCII_WORD_BYTES_NUL).decode("ascii").split("\0")
    return [part.split() for part in parts]


#: a role's report name (`Role.value` reads through the enum's descriptor on every call)
_ROLE_NAMES = {role: role.value for role in Role}


#: quiet text -> its set of word runs: the quiet texts searched (hosts, path segments, span names)
#: recur in every request, the known values change (bounded; long texts are not kept)
_RUNS: dict[str, frozenset[str]] = {}


def _word_runs(text: str) -> frozenset[str]:
    runs = _RUNS.get(text)
    if runs is None:
        runs = frozenset(word_runs(text))
        if len(text) <= 256:
            if len(_RUNS) >= 8192:
                _RUNS.clear()
            _RUNS[text] = runs
    return runs


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_token(text: str) -> bool:
    """A pseudonym already (cheap first-character test before the regex)."""
    return text[:1] == "<" and TOKEN_RE.fullmatch(text) is not None


def _union(found: list[Hit], extra: list[Hit]) -> list[Hit]:
    """`found` plus the `extra` hits that overlap none of them (nor an extra taken before), sorted."""
    if len(found) * len(extra) > 16 and _disjoint_in_order(found) and _disjoint_in_order(extra):
        return _union_disjoint(found, extra)
    merged = list(found)
    for hit in extra:
        if all(hit.end <= h.start or hit.start >= h.end for h in merged):
            merged.append(hit)
    return sorted(merged, key=lambda h: h.start)


def _disjoint_in_order(hits: list[Hit]) -> bool:
    """Sorted by start, each ending where the next starts at the latest."""
    return all(a.end <= b.start and a.start <= a.end for a, b in zip(hits, hits[1:])) and all(
        h.start <= h.end for h in hits[-1:])


def _union_disjoint(found: list[Hit], extra: list[Hit]) -> list[Hit]:
    """`_union` of two lists `_disjoint_in_order`, in one sweep: an extra hit never overlaps an
    extra taken before (they are disjoint), and the found hits that might overlap it are the
    ones from the first whose end lies past its start (their ends ascend), so one test each."""
    kept, index, count = [], 0, len(found)
    for hit in extra:
        while index < count and found[index].end <= hit.start:
            index += 1
        if index == count or not (found[index].start < hit.end and hit.start < found[index].end):
            kept.append(hit)
    if not kept:
        return sorted(found, key=lambda h: h.start)
    return sorted(found + kept, key=lambda h: h.start)


def _verbatim(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for `re.sub` taken as it is (a key may hold a backslash)."""
    return lambda _match: text


def _relabel(report: ScrubReport, items, renames: list[tuple[str, str]]) -> None:
    """Labels are built from keys: where a key held personal data, say its new name instead."""
    patterns = [(re.compile(r"(?<=[:.])" + re.escape(old) + r"(?=$|[.\[])"), new) for old, new in renames]

    def fix(label: str) -> str:  # a label is `where:key` or `where:key.field[*].field`
        for pattern, new in patterns:
            label = pattern.sub(_verbatim(new), label)
        return label
    for key in list(report.detections):
        count = report.detections.pop(key)
        report.detections[(fix(key[0]), *key[1:])] += count
    for _, audit in items:
        audit.keys = {fix(label) for label in audit.keys}


def _remove_dropped(drops) -> None:
    for container, keys in drops.values():
        for index in reversed(range(len(container))):
            if container[index].key in keys:
                del container[index]
