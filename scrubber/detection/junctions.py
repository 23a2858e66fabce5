"""Where a text can be cut so that `NerDetector`'s whole-text passes give the same findings per part.

Why: RAG instrumentation joins a system prompt and retrieved chunks with blank lines into one
message part, in a new combination each time. The cue frames, lexicon names, lower-case names
and the gazetteer (`NerDetector._combine`) cost more than spaCy on such texts once spaCy's runs
are cached (`RunCache`), and they too only look a few characters around each word. So they can
run once per paragraph and be reused (`cache.UnitCache`), provided no rule sees across the cut.

A cut is made at a blank line (only spaces, tabs and newlines between the paragraphs) when the
junction is inert: no rule that can look across a blank line would see something on the other
side. Each check below names the rules it covers; the rules that cannot cross (a single space
or `[ \\t]` between words, a line or sentence bound) need none. Where a check fails, the two
paragraphs stay one unit. Name-part propagation is not local at all: `NerDetector.assemble`
runs it over the whole text. `tests/detection/test_chunk_cache.py` compares the cut detector
with the uncut one on corpora and on adversarial junctions.
"""

from __future__ import annotations

import re

from scrubber.detection.names import STRONG_INTRO_BEFORE
from scrubber.detection.ner import _CHUNK_TECH, _DOTTED
from scrubber.detection.persons import _TOKEN, INFRA_WORDS

#: a blank line and what surrounds it, spaces, tabs and newlines only: the character before the next
#: paragraph is then a newline (after spaces or tabs), so a sentence or line opens there in both texts
_SEPARATOR = re.compile(r"[ \t]*\n[ \t]*\n[ \t\n]*")
#: what `persons.followed_by_infrastructure` reads after a span
_WORD_AFTER = re.compile(r"[\s\-]*([\w\-]+)")
#: characters that the before/after cues of lower-case names and the list separator allow between words
_LOWER_CUE_GAP = frozenset(":,.;&/+-*•!")
_LOOK_BACK = 64


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) of the parts of `text` that the whole-text passes may see alone, in order; the
    separators between them are left out. A text without an inert blank line is one unit."""
    paragraphs = _paragraphs(text)
    out = [paragraphs[0]]
    for right in paragraphs[1:]:
        left = out[-1]
        if inert(text, left, right):
            out.append(right)
        else:
            out[-1] = (left[0], right[1])
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SEPARATOR.finditer(text):
        if m.start() == 0 or m.end() == len(text):
            continue  # blank lines before or after all the text cut nothing
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def inert(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """True when no rule of the whole-text passes can see from one side of the blank line to the other."""
    last, first = _last_token(text, *left), _first_token(text, *right)
    if last is None or first is None:
        return False  # a part without words: the gap between its neighbours' words crosses two cuts
    return (_words_inert(text, last, first, left[1]) and _chunks_inert(text, left, right))


def _words_inert(text: str, last: re.Match, first: re.Match, cut: int) -> bool:
    gap = text[last.end():first.start()]
    # cue frames: "Regards,\n\nJohn", "Name:\n\nJohn" (`names._STRONG_INTRO`, `[ ,:\n]+` between)
    if STRONG_INTRO_BEFORE.search(text, max(0, last.start() - _LOOK_BACK), first.start()):
        return False
    # lower-case names: cues before ("hi\n\npriya", `\s+`), a list ("priya,\n\nchinedu")
    if _is_lower(first.group()) and all(c.isspace() or c in _LOWER_CUE_GAP for c in gap):
        return False
    # lower-case names: a verb after ("priya\n\nsaid", `\s+`)
    if _is_lower(last.group()) and gap.isspace():
        return False
    # a place or name before an infrastructure word ("Frankfurt\n\nregion", `[\s\-]*`)
    after = _WORD_AFTER.match(text, cut)
    if after is not None and _has_infrastructure_prefix(after.group(1)):
        return False
    return True


def _chunks_inert(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """`ner.looks_technical` reads the space-delimited chunk around a span, which runs across a blank
    line without spaces ("see a@b.org\\n\\nJohn"). Both sides' edge chunks must read the same alone
    as in the whole text."""
    a1, b1 = left
    a2, b2 = right
    space = text.rfind(" ", a1, b1)
    if space == -1 or text.find(" ", a2, b2) == -1:
        return False  # a paragraph without spaces is one chunk with its neighbours
    edge_left = text[space + 1:b1]
    whole_left = text[space + 1:_find_space(text, b1)]
    edge_right = text[a2:text.find(" ", a2, b2)]
    whole_right = text[text.rfind(" ", 0, a2) + 1:text.find(" ", a2, b2)]
    return _same_chunk(edge_left, whole_left) and _same_chunk(edge_right, whole_right)


def _same_chunk(alone: str, whole: str) -> bool:
    if not any(c.isalpha() for c in alone):
        return True  # no span can lie there: a span without letters is technical either way
    if "@" in whole:
        return False  # a chat mention reads differently with more text around it
    return (bool(_CHUNK_TECH.search(alone)) == bool(_CHUNK_TECH.search(whole))
            and bool(_DOTTED.search(alone)) == bool(_DOTTED.search(whole)))


def _find_space(text: str, at: int) -> int:
    i = text.find(" ", at)
    return len(text) if i == -1 else i


def _last_token(text: str, start: int, end: int) -> re.Match | None:
    """The last word token of text[start:end] (`persons.tokenize`'s tokens), whole: the scan starts
    right after a whitespace character, where no token can be cut."""
    back = _LOOK_BACK
    while True:
        lo = max(start, end - back)
        while lo > start and not text[lo - 1].isspace():
            lo -= 1
        last = None
        for last in _TOKEN.finditer(text, lo, end):  # noqa: B007 (the last one is wanted)
            pass
        if last is not None or lo == start:
            return last
        back *= 4


def _first_token(text: str, start: int, end: int) -> re.Match | None:
    return _TOKEN.search(text, start, end)


def _is_lower(word: str) -> bool:
    """`persons.Token`'s "lower" shape."""
    return not word.isupper() and not (word[0].isupper() or (word[0].isalpha() and not word[0].islower()))


def _has_infrastructure_prefix(word: str) -> bool:
    """`followed_by_infrastructure` reads at most 24 characters: any prefix of the word may be what it sees."""
    folded = word.casefold()
    return any(folded[:k] in INFRA_WORDS for k in range(1, len(folded) + 1))
