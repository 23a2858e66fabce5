"""The fourth round of shortcuts in the name passes (issue 14) gives what each replaced, on every input.

- `ner._SENTENCE_END` gained a `(?<!\\S)` so `re` stops trying `\\S*` from inside words: the same
  matches (offsets and groups) as the pattern before.
- `names.cue_names` tries a frame only where its loose RE2 form matches (`names._matches`) instead of
  `finditer` from the first such place: the same matches as `regex.finditer(text)`.
- `gazetteer._longest_city` stops adding tokens once the name so far starts no city: the same longest
  city at every token.

Each is compared with what it replaced on corpus texts (tune, genai-chat), the edge cases of
`test_passes_equal` and random texts built from the characters and words the rules care about
(non-ASCII letters, a lone surrogate, punctuation, cue words). The digests of `test_passes_equal`
check all the passes together.
"""

from __future__ import annotations

import random
import re

import pytest

from scrubber.detection import gazetteer, names, ner
from scrubber.detection.lexicon import lexicon
from scrubber.detection.persons import tokenize
from tests.detection.test_passes_equal import EDGES, _corpus_texts

#: `ner._SENTENCE_END` before the shortcut
SENTENCE_END_BEFORE = re.compile(r"(\S*)[.!?]+[\"')\]]*\s+")

_WORDS = (
    "Mr Dr Mrs Hi Hello Dear I am I'm my name is This is Ask tell ping Bob Ana Müller Ünal Łukasz São Paulo "
    "Rio de Janeiro Saint-Denis Frankfurt am Main New York San Name: NAME: met main with and to for from "
    "lives said wrote Jr. PhD B.Eng. von der customer Customer 😀 é ß İ ﬁ \ud800 ( ) , . ! ? : ; \" ' - "
    "region cluster 35390 Regards, Thanks"
).split(" ")
_JOINS = ["", " ", " ", "  ", "\n", "\n\n", ", ", ". ", "\t", "\xa0"]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_WORDS) + rng.choice(_JOINS) for _ in range(rng.randint(0, 30))) for _ in range(n)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = _corpus_texts("tune") + _corpus_texts("genai-chat")
    return corpus + EDGES + _random_texts(4000, seed=14)


def test_sentence_end_matches_as_before(texts):
    rng = random.Random(7)
    chars = "ab .!?\"')]\n\t\xa0é"
    short = ["".join(rng.choice(chars) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    for text in texts + short:
        got = [(m.span(), m.group(1)) for m in ner._SENTENCE_END.finditer(text)]
        want = [(m.span(), m.group(1)) for m in SENTENCE_END_BEFORE.finditer(text)]
        assert got == want, repr(text)


def test_frames_tried_at_loose_matches_match_as_finditer(texts):
    framed = [(regex, loose) for regex, loose, *_ in names._FRAMES if loose is not None]
    assert len(framed) == len(names._FRAMES)  # every frame has its RE2 form: all go through `_matches`
    found = 0
    for text in texts:
        encoded = names._Encoded(text)
        for regex, loose in framed:
            got = [(m.span(), m.groups()) for m in names._matches(regex, loose, encoded)]
            want = [(m.span(), m.groups()) for m in regex.finditer(text)]
            assert got == want, repr(text)
            found += len(want)
    assert found > 1000  # the texts do hold frames, several per text and of every kind


def test_encoded_offsets_convert_both_ways_in_any_order():
    text = "Ünal ß 😀 \ud800 İstanbul, São Paulo"
    encoded = names._Encoded(text)
    assert not encoded.ascii
    for char in [0, 5, 3, len(text), 9, 1, 12, 12, 0]:
        byte = len(text[:char].encode("utf-8", "surrogatepass"))
        assert encoded.byte_of(char) == byte
        assert encoded.char_of(byte) == char


def test_longest_city_stops_early_with_the_same_answer(texts):
    table, starts = gazetteer.cities(), gazetteer.city_starts()
    tried = 0
    for text in texts + [e.lower() for e in EDGES] + [e.upper() for e in EDGES]:
        toks = tokenize(text)
        for i, tok in enumerate(toks):
            if tok.text.casefold() in starts:
                tried += 1
                assert gazetteer._longest_city(text, toks, i, table, starts) == \
                    gazetteer._longest_city(text, toks, i, table), repr(text)
    assert tried > 1000


def test_city_names_on_edges_unchanged():
    lex = lexicon()
    # several-word cities, joiners, hyphens, folded characters: each found whole, as before
    text = EDGES[0]
    spans = [text[a:b] for a, b, _ in gazetteer.city_names(text, tokenize(text), lex)]
    assert spans == ["Rio de Janeiro", "Saint-Denis", "Frankfurt am Main"]


def _looks_technical_before(span: str, text: str, start: int, end: int, casing: bool = True) -> bool:
    """`ner.looks_technical` before its verdicts were remembered, verbatim."""
    if not any(c.isalpha() for c in span):
        return True
    if ner._TECH_CHARS.search(span) or ner._CAMEL.search(span) or ner._HEXISH.match(span):
        return True
    if casing and (span.islower() or span.isupper() and len(span) > 3):
        return True
    if ner._DOTTED.search(span.replace(". ", " ")) and " " not in span:
        return True
    if any(w.lower().strip(".,'\"") in ner.TECH_WORDS for w in span.split()):
        return True
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    chunk = text[left:right if right != -1 else len(text)]
    if not casing and ner._MENTION.match(chunk):
        return False
    if span.islower() and ner._DOTTED.search(chunk):
        return True
    return bool(ner._CHUNK_TECH.search(chunk))


@pytest.mark.parametrize("memo_entries", [ner.TECH_MEMO_ENTRIES, 7])
def test_remembered_technical_verdicts_are_the_verdicts(texts, monkeypatch, memo_entries):
    """Every token, pair of tokens and cue span of the texts, both casings, asked twice (the second
    time from the memo); a tiny memo is cleared again and again on the way."""
    monkeypatch.setattr(ner, "TECH_MEMO_ENTRIES", memo_entries)
    monkeypatch.setattr(ner, "_tech_memo", {})
    technical = 0
    extra = ["see a@b.org\n\nJohn", "sys.path os.environ", "@haruto can you check", "x" * 200 + "John" + "y" * 90]
    for text in texts[:1000] + extra:
        toks = tokenize(text)
        spans = [(t.start, t.end) for t in toks] + [(a.start, b.end) for a, b in zip(toks, toks[1:])]
        spans += [(f.start, f.end) for f in names.cue_names(text)]
        for _ in range(2):
            for start, end in spans:
                for casing in (True, False):
                    span = text[start:end]
                    want = _looks_technical_before(span, text, start, end, casing)
                    assert ner.looks_technical(span, text, start, end, casing) == want, (text, start, end)
                    technical += want
    assert technical > 1000
    assert len(ner._tech_memo) <= memo_entries


def _tokenize_before(text: str, start: int = 0, end: int | None = None) -> list:
    """`persons.tokenize` before it built tokens without `Token.__init__`, verbatim."""
    from scrubber.detection.persons import _SENTENCE_OPENERS, _TOKEN, Token

    out = []
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        i = m.start() - 1
        while i >= 0 and text[i] in " \t'\"“‘":
            i -= 1
        opener = i < 0 or text[i] in _SENTENCE_OPENERS
        out.append(Token(m.group(), m.start() - start, m.end() - start, opener))
    return out


def test_tokens_are_the_tokens_before(texts):
    def fields(toks):
        return [(t.text, t.start, t.end, t.shape, t.opener) for t in toks]

    rng = random.Random(3)
    for text in texts + ["'\"“‘ Hi. “Bob” said: ‘ok’ (Ana) - • x", "\t'İstanbul'", "", "ß ẞ ǅ 漢字 ά"]:
        assert fields(tokenize(text)) == fields(_tokenize_before(text)), repr(text)
        for _ in range(3):  # spans cut anywhere, as `judge_span` and `is_personal_place` ask
            a = rng.randint(0, len(text))
            b = rng.randint(a, len(text))
            assert fields(tokenize(text, a, b)) == fields(_tokenize_before(text, a, b)), (text, a, b)
