"""The pattern pass per paragraph, reused wherever a paragraph recurs: exact, or not used.

Why: RAG instrumentation joins a system prompt and retrieved chunks with blank lines into one
message part, in a new combination each time, so the whole-text cache never hits while every
paragraph has been scanned before. `PatternUnits.detect(text)` returns exactly what
`PatternEngine.detect(text)` returns (the same findings in the same order), with the scan of
each paragraph answered from a bounded LRU of offsets, types and scores (never text).

Why it is exact. A text is cut only at runs of two or more newlines (`\\n\\n`, nothing else in
the run), so the characters on both sides of a cut are not newlines. A pattern is *local* when
its regex has no anchor but `\\b`/`\\B`, no look-around or back-reference, and no match can start
with a newline, end with one or hold two in a row (`junction_proof`, from the parsed regex).
A match overlapping a cut would do one of these three, so a local pattern's matches in the whole
text are the matches in each paragraph, shifted; `\\b` reads a newline beside the cut in the
whole text and the string's edge in the paragraph, which it treats alike. What a candidate
then reads around itself (its validator, `validators.LOOK_AROUND`; the context words within
`context_window`, `context.near`) is checked against the paragraph's edges: a candidate whose
reach stays inside is judged once, in the paragraph, and cached; one that reaches an edge is
kept as an *edge candidate* and judged again in the whole text every time (a phone number at
the end of a chunk whose next chunk may start with "phone:"). Addresses always are, since
`addresses.extend` grows them over line breaks. Patterns that are not local (`\\s*` between a
word and its value, `private_key`'s `[\\s\\S]*`, `^`) run on the whole text, behind their own
RE2 prefilter. `tests/detection/test_pattern_units.py` compares both paths on corpora and on
adversarial junctions.
"""

from __future__ import annotations

import hashlib
import re
import re._constants as _sre
import re._parser as _sre_parse
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from scrubber.detection.context import near
from scrubber.detection.finding import Finding
from scrubber.detection.patterns import encoded_for_re2, matches
from scrubber.detection.validators import LOOK_AROUND

if TYPE_CHECKING:
    from scrubber.detection.patterns import PatternEngine, _Compiled

#: paragraph results of this many distinct paragraphs are kept per engine (offsets only)
UNIT_ENTRIES = 20_000
#: a cut: two or more newlines and nothing else (see the module docstring for why nothing else)
_CUT = re.compile(r"\n{2,}")
_NL = ord("\n")


# -- which regexes cannot see across a cut ------------------------------------------------------

@dataclass(frozen=True)
class _Shape:
    """What a sub-pattern's matches can look like around newlines."""

    nullable: bool  # can match the empty string
    first: bool  # a match can start with a newline
    last: bool  # a match can end with one
    double: bool  # a match can hold two newlines in a row


_EMPTY = _Shape(True, False, False, False)
_ANY_SHAPE = _Shape(True, True, True, True)  # what we cannot read: assume the worst


class _Unsafe(Exception):
    """An anchor, look-around or back-reference: reads what a paragraph alone does not have."""


def junction_proof(regex: re.Pattern[str]) -> bool:
    """True when no match of `regex` can overlap a run of two or more newlines between two
    non-newline characters, and no match depends on what lies beyond the run."""
    return _junction_proof(regex.pattern, regex.flags)


@lru_cache(maxsize=1024)
def _junction_proof(pattern: str, flags: int) -> bool:
    """Cached per process: parsing the table's large regexes takes ~0.1 s."""
    try:
        shape = _seq(list(_sre_parse.parse(pattern, flags)), flags)
    except _Unsafe:
        return False
    except Exception:  # a parser detail we do not know: whole text, as before
        return False
    return not (shape.first or shape.last or shape.double)


def _seq(items: list, flags: int) -> _Shape:
    acc = _EMPTY
    for op, av in items:
        acc = _concat(acc, _node(op, av, flags))
    return acc


def _concat(a: _Shape, b: _Shape) -> _Shape:
    return _Shape(a.nullable and b.nullable, a.first or (a.nullable and b.first), b.last or (b.nullable and a.last),
                  a.double or b.double or (a.last and b.first))


def _node(op, av, flags: int) -> _Shape:
    if op in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN):
        nl = _char_takes_newline(op, av, flags)
        return _Shape(False, nl, nl, False)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, high, body = av
        if high == 0:
            return _EMPTY
        inner = _seq(list(body), flags)
        return _Shape(low == 0 or inner.nullable, inner.first, inner.last,
                      inner.double or (high >= 2 and inner.last and inner.first))
    if op is _sre.SUBPATTERN:
        _group, add, delete, body = av
        return _seq(list(body), (flags | add) & ~delete)
    if op is _sre.ATOMIC_GROUP:
        return _seq(list(av), flags)
    if op is _sre.BRANCH:
        shapes = [_seq(list(b), flags) for b in av[1]]
        return _Shape(any(s.nullable for s in shapes), any(s.first for s in shapes), any(s.last for s in shapes),
                      any(s.double for s in shapes))
    if op is _sre.AT:
        if av in (_sre.AT_BOUNDARY, _sre.AT_NON_BOUNDARY):
            return _EMPTY
        raise _Unsafe
    if op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.GROUPREF, _sre.GROUPREF_EXISTS):
        raise _Unsafe
    return _ANY_SHAPE


_NEWLINE_CATEGORIES = {_sre.CATEGORY_SPACE, _sre.CATEGORY_NOT_DIGIT, _sre.CATEGORY_NOT_WORD, _sre.CATEGORY_LINEBREAK,
                       _sre.CATEGORY_UNI_SPACE, _sre.CATEGORY_UNI_NOT_DIGIT, _sre.CATEGORY_UNI_NOT_WORD,
                       _sre.CATEGORY_UNI_LINEBREAK, _sre.CATEGORY_LOC_NOT_WORD}
_NON_NEWLINE_CATEGORIES = {_sre.CATEGORY_NOT_SPACE, _sre.CATEGORY_DIGIT, _sre.CATEGORY_WORD, _sre.CATEGORY_NOT_LINEBREAK,
                           _sre.CATEGORY_UNI_NOT_SPACE, _sre.CATEGORY_UNI_DIGIT, _sre.CATEGORY_UNI_WORD,
                           _sre.CATEGORY_UNI_NOT_LINEBREAK, _sre.CATEGORY_LOC_WORD}


def _char_takes_newline(op, av, flags: int) -> bool:
    """Whether this one-character item can consume a newline (unknown items: yes)."""
    if op is _sre.LITERAL:
        return av == _NL
    if op is _sre.NOT_LITERAL:
        return av != _NL
    if op is _sre.ANY:
        return bool(flags & re.DOTALL)
    negate = bool(av) and av[0][0] is _sre.NEGATE
    inside = False
    for item_op, item in av:
        if item_op is _sre.NEGATE:
            continue
        if item_op is _sre.LITERAL:
            inside |= item == _NL
        elif item_op is _sre.RANGE:
            inside |= item[0] <= _NL <= item[1]
        elif item_op is _sre.CATEGORY and item in _NEWLINE_CATEGORIES:
            inside = True
        elif item_op is _sre.CATEGORY and item in _NON_NEWLINE_CATEGORIES:
            pass
        else:
            return True
    return inside != negate


# -- where a candidate reads ------------------------------------------------------------------

Reach = Callable[[str, int, int], tuple[int, int]]
#: a cut has two newlines at least: a validator reading this far beyond its paragraph reads only those
PAD = 2
_NEWLINES = "\n" * PAD
_UNKNOWN = object()
_UNBOUNDED = -(1 << 62)


def validator_reach(c: _Compiled) -> Reach | None:
    """The indices `PatternEngine._judge` may read for a candidate of `c`, the context words aside,
    or None: anywhere (an address grows over lines; a validator without a `LOOK_AROUND` entry)."""
    if c.spec.entity == "ADDRESS":
        return None
    if c.validator is None:
        return lambda text, start, end: (start, end)
    declared = LOOK_AROUND.get(c.spec.validator or "")
    if declared is None:
        return None
    if callable(declared):
        return declared
    back, fwd = declared
    return lambda text, start, end: (start - back, end + fwd)


def context_window(c: _Compiled, window: int) -> tuple[int, int] | None:
    """(before, after) the span that `context.near` reads for `c`, or None when it never asks."""
    if c.context is not None and (c.validator_wants_context or c.spec.score < 1.0):
        return window, window // 2
    return None


# -- the per-paragraph pass and its cache -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Edge:
    """A candidate that reads beyond its paragraph: judged again in each whole text (offsets only)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Split:
    """A candidate whose verdict depends on a few known things beyond its paragraph: whether a cut
    or the text's edge lies before and after it (its validator reads at most `PAD` characters past
    the paragraph: at a cut, newlines) and whether a context word is near in the whole text. Each
    case is judged in the paragraph the first time a text needs it, then remembered: `scores`, keyed
    (cut before, cut after, context word near), None in a place that does not matter, holds the
    score (None: rejected). Lazily, because judging a case no text needs can cost more than the
    whole text (a phone number with a context word is tried in all 245 regions)."""

    start: int
    end: int
    before: bool
    after: bool
    by_context: bool
    scores: dict[tuple[bool | None, bool | None, bool | None], float | None]


#: per pattern index (ascending), what the paragraph contributes: findings and candidates, in order
_UnitResult = tuple[tuple[int, tuple["Finding | _Edge | _Split", ...]], ...]


def cuts(text: str) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs between runs of two or more newlines; a run at the very start
    or end cuts nothing and stays with its paragraph."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _CUT.finditer(text):
        if m.start() == 0 or m.end() == len(text):
            continue
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


class PatternUnits:
    """`PatternEngine.detect` with each paragraph's scan reused across texts (see module docstring)."""

    def __init__(self, engine: PatternEngine, fingerprint: str = "", max_entries: int = UNIT_ENTRIES):
        self.engine = engine
        self.fingerprint = fingerprint
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[tuple[str, bytes], _UnitResult] = OrderedDict()
        #: paragraphs seen once, in texts of which no paragraph was known: a text is scanned per paragraph
        #: (and its paragraphs cached) from the second time one of its paragraphs shows up
        self._seen: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        self._ready = False

    def _prepare(self) -> None:
        """Classify the patterns on the first text with paragraphs: most detectors never see one."""
        from scrubber.detection.patterns import Re2SetPrefilter

        engine = self.engine
        compiled = engine.compiled
        self.local = [junction_proof(c.regex) for c in compiled]
        self.reach = [validator_reach(c) for c in compiled]
        self.windows = [context_window(c, engine.window) for c in compiled]
        #: the patterns that run on the whole text, with a prefilter of their own
        self.whole = [i for i, local in enumerate(self.local) if not local]
        self._whole_prefilter = None
        if engine.prefilter is not None and self.whole:
            self._whole_prefilter = Re2SetPrefilter([(compiled[i].spec.regex, compiled[i].spec.ignore_case)
                                                     for i in self.whole])
        self._ready = True

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses}

    def __len__(self) -> int:
        return len(self._data)

    def detect(self, text: str) -> list[Finding]:
        """Exactly `self.engine.detect(text)`."""
        bounds = cuts(text) if "\n\n" in text else None
        if bounds is None or len(bounds) == 1:
            return self.engine.detect(text)
        if self.max_entries <= 0:
            return self.engine.detect(text)
        keys = [(self.fingerprint, hashlib.sha256(text[start:end].encode("utf-8", "surrogatepass")).digest())
                for start, end in bounds]
        if not any(key in self._data or key in self._seen for key in keys):
            self._note_seen(keys)  # nothing recurs (yet): the whole text costs less than its paragraphs
            return self.engine.detect(text)
        if not self._ready:
            self._prepare()
        per_pattern: dict[int, list[Finding]] = {}
        last = len(bounds) - 1
        for k, ((start, end), key) in enumerate(zip(bounds, keys)):
            for i, entries in self._unit(key, text[start:end]):
                self._place(i, entries, text, start, end, k > 0, k < last, per_pattern.setdefault(i, []))
        for i in self._whole_hits(text):
            per_pattern[i] = self.engine._run(self.engine.compiled[i], text)
        return [f for i in sorted(per_pattern) for f in per_pattern[i]]

    def _place(self, i: int, entries, text: str, offset: int, unit_end: int, cut_before: bool, cut_after: bool,
               out: list[Finding]) -> None:
        """The paragraph's contribution to pattern `i` at `offset` in `text`, appended to `out` in order."""
        engine = self.engine
        c = engine.compiled[i]
        for e in entries:
            kind = type(e)
            if kind is Finding:
                out.append(Finding(e.entity_type, e.start + offset, e.end + offset, e.score, e.detector)
                           if offset else e)
                continue
            start, end = e.start + offset, e.end + offset
            if kind is _Edge:
                found = engine._judge(c, text, start, end)
                if found is not None:
                    out.append(found)
                continue
            score = self._split_score(i, e, text, offset, unit_end, cut_before, cut_after)
            if score is not None:
                out.append(Finding(c.spec.entity, start, end, score, "pattern"))

    def _split_score(self, i: int, e: _Split, text: str, offset: int, unit_end: int, cut_before: bool,
                     cut_after: bool) -> float | None:
        """The score of a `_Split` candidate where its paragraph stands in `text` (see `_Split`)."""
        left = cut_before if e.before else None
        right = cut_after if e.after else None
        context: bool | None = None
        if e.by_context:
            if_not, if_near = e.scores.get((left, right, False), _UNKNOWN), e.scores.get((left, right, True), _UNKNOWN)
            if if_not is not _UNKNOWN and if_not == if_near:
                return if_not  # type: ignore[return-value]
            c = self.engine.compiled[i]
            context = near(c.context, text, e.start + offset, e.end + offset, self.engine.window)
        key = (left, right, context)
        if key not in e.scores:
            e.scores[key] = self._judge_case(i, text[offset:unit_end], e.start, e.end, left, right, context)
            if e.by_context and not self.engine.compiled[i].validator_wants_context:
                # a validator that does not read the context decides alike in both cases: judge the other too,
                # so that texts where both agree need no context search at all
                other = (left, right, not context)
                e.scores[other] = self._judge_case(i, text[offset:unit_end], e.start, e.end, left, right, not context)
        return e.scores[key]

    def _judge_case(self, i: int, unit: str, start: int, end: int, left: bool | None, right: bool | None,
                    context: bool | None) -> float | None:
        """The candidate judged in its paragraph with what lies beyond it made known: `PAD` newlines on a
        side where a cut is, nothing at the text's edge, and whether a context word is near."""
        view = (_NEWLINES if left else "") + unit + (_NEWLINES if right else "")
        shift = PAD if left else 0
        found = self.engine._judge(self.engine.compiled[i], view, start + shift, end + shift, context)
        return None if found is None else found.score

    def _whole_hits(self, text: str) -> list[int]:
        if self._whole_prefilter is None:
            return self.whole
        return [self.whole[j] for j in sorted(self._whole_prefilter.hits(text))]

    def _note_seen(self, keys: list[tuple[str, bytes]]) -> None:
        for key in keys:
            self._seen[key] = None
            self._seen.move_to_end(key)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)

    def _unit(self, key: tuple[str, bytes], unit: str) -> _UnitResult:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
            self.hits += 1
            return value
        self.misses += 1
        value = self._data[key] = self._scan(unit)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
        return value

    def _scan(self, unit: str) -> _UnitResult:
        """The local patterns on one paragraph, each candidate judged here as far as the paragraph tells."""
        engine = self.engine
        encoded = encoded_for_re2(unit) if engine.prefilter else None
        indices = engine.prefilter.hits(unit, encoded.data if encoded is not None else None) if engine.prefilter \
            else range(len(engine.compiled))
        out = []
        for i in sorted(indices):
            if not self.local[i]:
                continue
            c = engine.compiled[i]
            entries: list[Finding | _Edge | _Split] = []
            for m in matches(c, unit, encoded):
                start, end = m.span(c.spec.group)
                if start >= end:
                    continue
                if c.plausible is not None and not c.plausible(unit[start:end]):
                    continue
                entry = self._candidate(i, unit, start, end)
                if entry is not None:
                    entries.append(entry)
            if entries:
                out.append((i, tuple(entries)))
        return tuple(out)

    def _candidate(self, i: int, unit: str, start: int, end: int) -> Finding | _Edge | _Split | None:
        """What a candidate contributes: its finding when the paragraph decides it, else what the whole
        text must still tell (`_Split`: a few known facts; `_Edge`: anything)."""
        reach = self.reach[i]
        if reach is None:
            return _Edge(start, end)
        lo, hi = reach(unit, start, end)
        size = len(unit)
        if lo < -PAD or hi > size + PAD:
            return _Edge(start, end)
        window = self.windows[i]
        by_context = window is not None and (start - window[0] < 0 or end + window[1] > size)
        before, after = lo < 0, hi > size
        if not (by_context or before or after):
            return self.engine._judge(self.engine.compiled[i], unit, start, end)
        return _Split(start, end, before, after, by_context, {})
