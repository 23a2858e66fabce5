"""Small shape helpers shared by the validators: digits of a value, its separators, its neighbours."""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"\D")
NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def consistent_separators(value: str) -> bool:
    """Separators, if any, are all the same character (`4111 1111-1111` is not a card)."""
    seps = {ch for ch in value if not ch.isalnum()}
    return len(seps) <= 1


def numeric_neighbours(text: str, start: int, end: int) -> bool:
    """True when the span continues a longer dotted/dashed number (`1.2.3.4.5`, `2024-01-15`)."""
    before = text[max(0, start - 2):start]
    after = text[end:end + 2]
    return (len(before) == 2 and before[1] in ".-" and before[0].isdigit()) or (
        len(after) == 2 and after[0] in ".-" and after[1].isdigit()
    )


def wants_context(fn):
    """Mark a validator that takes a fifth argument: whether a context word is near the span.

    The engine computes that once per candidate anyway (for the score boost), and some
    decisions depend on it: a Luhn-valid number of an unknown issuer is a card after the
    word "card"; a national phone number of any country is a phone after "tel".
    """
    fn.wants_context = True
    return fn
