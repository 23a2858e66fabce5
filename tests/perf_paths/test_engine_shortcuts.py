"""The engine's small shortcuts give what the code they replaced gave, on random input:
`word_runs` is `\\w+` findall (the ASCII translation and the regex for other text), and `_union`
of hits sorted and disjoint (the one-sweep merge) is the pairwise overlap test of before."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from scrubber.processors.pii.engine import Hit, _union, _word_runs_of_each, word_runs

_WORD = re.compile(r"\w+")
_CHARS = st.sampled_from(list("aZ09_ -.@:/<>'\t\n\x1f\x85\xa0éß’—中😀") + [chr(c) for c in range(0, 128, 7)])


@settings(max_examples=3000, deadline=None)
@given(st.text(_CHARS, max_size=40) | st.text(max_size=40))
def test_word_runs_are_the_regex_word_runs(text):
    assert word_runs(text) == _WORD.findall(text)


def test_word_runs_of_every_ascii_character():
    for code in range(128):
        text = f"a{chr(code)}b {chr(code)}{chr(code)}"
        assert word_runs(text) == _WORD.findall(text), code


def _union_before(found: list[Hit], extra: list[Hit]) -> list[Hit]:
    """`_union` as it was: each extra hit tested against every hit taken so far."""
    merged = list(found)
    for hit in extra:
        if all(hit.end <= h.start or hit.start >= h.end for h in merged):
            merged.append(hit)
    return sorted(merged, key=lambda h: h.start)


def _hits(draw_spans, entity: str) -> list[Hit]:
    return [Hit(entity, start, start + length) for start, length in draw_spans]


_SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 6)), max_size=12)


def _disjoint(spans: list[tuple[int, int]], entity: str) -> list[Hit]:
    """Greedy leftmost, as `KnownValues.find` chooses them: sorted and disjoint."""
    chosen, last = [], 0
    for start, length in sorted(spans):
        if start >= last:
            chosen.append(Hit(entity, start, start + length))
            last = start + length
    return chosen


@settings(max_examples=3000, deadline=None)
@given(_SPANS, _SPANS, st.booleans(), st.booleans())
def test_union_is_the_pairwise_union(found, extra, found_disjoint, extra_disjoint):
    a = _disjoint(found, "A") if found_disjoint else _hits(found, "A")
    b = _disjoint(extra, "B") if extra_disjoint else _hits(extra, "B")
    assert _union(a, b) == _union_before(a, b)


_BRACKETED = st.builds(lambda body, left, right: left + body + right,
                       st.text(st.sampled_from(list("AZaz09_.~:-<>%/@?#&= é")), max_size=30),
                       st.sampled_from(["<", "", "x"]), st.sampled_from([">", "", "y"]))


@settings(max_examples=3000, deadline=None)
@given(_BRACKETED, st.sampled_from(["path", "query", "host", "fragment", "userinfo"]))
def test_a_token_in_a_url_piece_is_encoded_as_quote_encodes_it(text, kind):
    """`urls.encode`'s shortcut for `<...>` texts of token characters is `quote`."""
    from urllib.parse import quote

    from scrubber.processors.pii import urls

    assert urls.encode(text, kind) == quote(text, safe=urls._SAFE.get(kind, ""))


def test_every_token_shape_takes_the_shortcut():
    from scrubber.processors.pii import urls

    for token in ("<EMAIL_ADDRESS:eu-2026a:5f1c9e07b2a4>", "<USER_ID:s-0123456789abcdef:0a1b2c3d>", "<REDACTED>"):
        assert urls._TOKEN_BODY.fullmatch(token, 1, len(token) - 1)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=20) | st.text(st.sampled_from("ab_-.@\0 9"), max_size=12), max_size=12))
def test_word_runs_of_each_are_the_word_runs_of_each(texts):
    """`KnownValues`' word runs of all known values in one translation: a NUL inside a value, a
    non-ASCII one, empty values and no values at all take the per-value path, with the same runs."""
    assert _word_runs_of_each(texts) == [_WORD.findall(text) for text in texts]
