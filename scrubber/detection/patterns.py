"""The pattern engine: one multi-pattern prefilter scan, then per-pattern extraction and validation.

Most strings in telemetry contain no candidate at all, and most that do contain
candidates for one or two of the ~30 patterns. So the engine first asks a
multi-pattern matcher "which patterns can match anywhere in this text?" in a
single pass (an RE2 `Set`, compiled once), and runs the exact Python `re`
extraction plus the validator only for those. The choice is measured in
`benchmarks/accuracy/regex_engines.py`: RE2 Set prefilter + `re` runs at ~6x
plain `re` and slightly ahead of a Hyperscan prefilter, whose per-match Python
callback costs more than RE2's scan; RE2 is also a runtime dependency already,
Hyperscan is not.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

import re2

from scrubber.detection import addresses
from scrubber.detection.builtin import BUILTIN
from scrubber.detection.config import DetectionConfig, PatternSpec
from scrubber.detection.context import ContextWords, compile_words, near
from scrubber.detection.finding import Finding
from scrubber.detection.phones import make_phone_validator
from scrubber.detection.re2_scan import Encoded, ascii_loose_re2, guided_matches, spaces_written_out
from scrubber.detection.validators import VALIDATORS, Validator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Compiled:
    spec: PatternSpec
    regex: re.Pattern[str]
    validator: Validator | None
    context: ContextWords | None
    #: the validator takes a fifth argument: is a context word near?
    validator_wants_context: bool = False
    #: the validator's cheap shape test (`value -> bool`), if it has one
    plausible: Validator | None = None
    #: an RE2 form matching wherever `regex` does (`re2_scan`): where to try `regex`; None: `finditer`
    loose: object | None = None


def active_specs(config: DetectionConfig) -> list[PatternSpec]:
    """The built-in table minus disabled rows, plus custom rows, filtered by enabled entity types."""
    disabled = set(config.disabled_patterns)
    specs = [s for s in BUILTIN if s.name not in disabled] + list(config.patterns)
    if config.entities is not None:
        wanted = set(config.entities)
        specs = [s for s in specs if s.entity in wanted]
    return specs


PREFILTER_MAX_MEM = 32 << 20
#: a pattern this long is read from where RE2 finds a start (`matches`): measured per pattern on the
#: first-seen paragraphs of world-multi-turn, world-rag-concat and genai-chat, `finditer` costs ~2-4x the
#: guided read for the street and city alternations (250+ characters of pattern), while for the short
#: ones (e-mail, phone, ids) the calls into RE2 cost more than `re`'s own scan
GUIDED_MIN_CHARS = 250


class Re2SetPrefilter:
    """Which patterns have at least one match in a text, in one RE2 `Set` scan.

    RE2's `\\b`, `\\d` and `\\w` are ASCII, as are ours (patterns compile with
    `re.ASCII`); its `\\s` lacks the vertical tab, so `\\s` is written out (`spaces_written_out`):
    the set never misses a pattern that `re` would match. A
    pattern RE2 cannot compile (look-around in a custom pattern) always runs.

    Why a DFA failure cannot read as "no match" (the binding drops `Set::Match`'s error, and a
    failed search returns nothing, which would skip every pattern): RE2's set compiler runs one DFA
    search and fails the compile when the DFA cannot work (a set has no NFA to fall back to), and
    a many-match search never bails out on a thrashing cache (`dfa.cc`: the bail-out is guarded by
    `kind_ != Prog::kManyMatch`); it flushes and goes on. So too small a budget fails here, at build
    time (below ~2 MB for the built-in table), and at the smallest budget that compiles, texts that
    thrash the cache get the same hits (`tests/detection/test_re2_scan.py`).
    """

    def __init__(self, regexes: Sequence[tuple[str, bool]]):
        self.always: set[int] = set()
        options = re2.Options()
        # RE2's default 8 MB budget is too small for the DFA of the whole table: it falls back to the NFA
        # and the scan gets ~15x slower (36 us/text instead of 2.3 on the dev corpus). 32 MB is a budget
        # for the state cache, not an allocation.
        options.max_mem = PREFILTER_MAX_MEM
        self._set = re2.Set.SearchSet(options)
        self._ids: list[int] = []
        for i, (regex, ignore_case) in enumerate(regexes):
            try:
                self._set.Add(("(?i)" if ignore_case else "") + spaces_written_out(regex))
            except Exception:  # re2 raises a bare error type per failure
                log.info("pattern outside RE2 syntax runs without prefilter")
                self.always.add(i)
                continue
            self._ids.append(i)
        self._compiled = bool(self._ids)
        if self._compiled:
            self._set.Compile()

    def hits(self, text: str, data: bytes | None = None) -> set[int]:
        """`data`: the text's bytes (`encode("utf-8", "surrogatepass")`), when the caller has them already."""
        found = set(self.always)
        if self._compiled:
            for j in self._set.Match(text.encode("utf-8", "surrogatepass") if data is None else data) or ():
                found.add(self._ids[j])
        return found


def encoded_for_re2(text: str) -> Encoded | None:
    """`text` with its UTF-8 bytes for `matches`, or None when it is no valid UTF-8 (lone surrogates):
    RE2 would read those bytes otherwise than `re` reads the characters."""
    try:
        return Encoded(text, text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def matches(c: _Compiled, text: str, encoded: Encoded | None = None) -> Iterator[re.Match]:
    """Exactly `c.regex.finditer(text)`: read from where `c.loose` can start a match when it can
    (`re2_scan.guided_matches`). `encoded`: `encoded_for_re2(text)`, when the caller made it already."""
    if c.loose is None:
        return c.regex.finditer(text)
    if encoded is None or encoded.text is not text:
        encoded = encoded_for_re2(text)
        if encoded is None:
            return c.regex.finditer(text)
    return guided_matches(c.regex, c.loose, encoded)


class PatternEngine:
    """Runs the active pattern table over texts. Stateless per call; not shared across threads."""

    def __init__(self, config: DetectionConfig):
        self.threshold = config.score_threshold
        self.boost = config.context_boost
        self.window = config.context_window
        regions = tuple(config.phone_regions)
        phones: dict[str, Validator] = {"phone": make_phone_validator(regions), "phone_bare": make_phone_validator(regions, bare=True)}
        guided = config.engine != "re"  # the `re` engine is the plain reference: no RE2 anywhere
        self.compiled = [self._compile(s, phones, guided) for s in active_specs(config)]
        self.prefilter = None
        if config.engine != "re":
            self.prefilter = Re2SetPrefilter([(c.spec.regex, c.spec.ignore_case) for c in self.compiled])

    @staticmethod
    def _compile(spec: PatternSpec, phones: dict[str, Validator], guided: bool = True) -> _Compiled:
        flags = re.ASCII | (re.IGNORECASE if spec.ignore_case else 0)
        validator = None
        if spec.validator:
            validator = phones.get(spec.validator) or VALIDATORS[spec.validator]
        wants = bool(getattr(validator, "wants_context", False))
        loose = ascii_loose_re2(spec.regex, spec.ignore_case) if guided and len(spec.regex) >= GUIDED_MIN_CHARS else None
        return _Compiled(spec, re.compile(spec.regex, flags), validator, compile_words(tuple(spec.context)), wants,
                         getattr(validator, "plausible", None), loose)

    def detect(self, text: str) -> list[Finding]:
        """Every validated candidate scoring at or above the threshold (overlaps not yet resolved)."""
        if not text:
            return []
        if not self.prefilter:
            return [f for c in self.compiled for f in self._run(c, text)]
        encoded = encoded_for_re2(text)
        indices = self.prefilter.hits(text, encoded.data if encoded is not None else None)
        out: list[Finding] = []
        for i in sorted(indices):
            out.extend(self._run(self.compiled[i], text, encoded))
        return out

    def _run(self, c: _Compiled, text: str, encoded: Encoded | None = None) -> list[Finding]:
        out = []
        plausible = c.plausible
        for m in matches(c, text, encoded):
            start, end = m.span(c.spec.group)
            if start >= end:
                continue
            if plausible is not None and not plausible(text[start:end]):
                continue  # cheap shape test first: most candidates end here, before the context search
            found = self._judge(c, text, start, end)
            if found is not None:
                out.append(found)
        return out

    def _judge(self, c: _Compiled, text: str, start: int, end: int, context: bool | None = None) -> Finding | None:
        """The finding of a candidate that passed the shape test, or None. Reads `text` only where
        `pattern_units` says (the validator's `LOOK_AROUND`, the context window). `context`: whether a
        context word is near, if the caller knows it already (None: looked for here when needed)."""
        value = text[start:end]
        # the context words are looked for only when needed: the validator wants them, or the score may rise
        if c.validator_wants_context and c.validator is not None:
            if context is None:
                context = near(c.context, text, start, end, self.window)
            if not c.validator(value, text, start, end, context):
                return None
        elif c.validator is not None and not c.validator(value, text, start, end):
            return None
        score = c.spec.score
        if score < 1.0:
            if context is None:
                context = near(c.context, text, start, end, self.window)
            if context:
                score = min(1.0, score + self.boost)
        if score < self.threshold:
            return None
        if c.spec.entity == "ADDRESS":  # the street line is an anchor: grow it into the whole block
            start, end = addresses.extend(text, start, end)
        return Finding(c.spec.entity, start, end, round(score, 4), "pattern")
