"""Cue-based person names: what the small spaCy model misses in chat prompts.

`en_core_web_sm` tags "Sigrid Blümel" as ORG and misses "Tabea Söding" in
"Customer record: Tabea Söding lives at ...". Prompts and support tickets name
people in a handful of fixed frames ("I am X", "Dear X", "Mr X", "X lives
at"), so these rules find a capitalised name in such a frame. They run only
where NER runs (content fields), report detector "ner", and pass the same
technical-token filter as spaCy's results.
"""

from __future__ import annotations

import re

from scrubber.detection.finding import Finding

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zà-öø-ÿß'’"
_WORD = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)*"
_PARTICLE = r"(?:von|van|der|den|de|da|di|del|della|dos|du|la|le|bin|al|ter)"
_DEGREE = r"(?:,?\s(?:Jr\.|Sr\.|II|III|PhD|MD|MBA|B\.\s?(?:Eng|Sc|A|Ed)\.|M\.\s?(?:Sc|A|Eng|Ed)\.|Dipl\.-\w+\.?))?"
_NAME = rf"{_WORD}(?:[ ](?:{_PARTICLE}[ ])?{_WORD}){{0,3}}{_DEGREE}"

_HONORIFIC = re.compile(
    rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Shri|Smt|Sig|Sig\.ra)\.?[ ]{_NAME}"
)
_INTRO = re.compile(
    rf"(?:\b(?:I am|I'm|I’m|my name is|My name is|name is|this is|This is|Dear|Hi|Hello|Hey|signed|"
    rf"Regards,|Cheers,|Thanks,|Best,|customer|Customer|client|Client|patient|Patient|record:|Name:|name:)"
    rf"[ ,:]+)({_NAME})"
)
_WEAK_INTRO = re.compile(rf"(?:\b(?:contact|Contact|from|by|with|for|to|and)[ ]+)({_NAME})")
_FOLLOWED = re.compile(
    rf"\b({_WORD}(?:[ ](?:{_PARTICLE}[ ])?{_WORD}){{1,3}}{_DEGREE})[ ](?:lives|lived|was born|works|worked|"
    rf"wrote|writes|said|says|called|asked|placed|ordered|paid|booked|is a customer|(?:\())"
)
_NOT_NAMES = frozenset(
    "The This That These Those There Here Team All Everyone Support Sir Madam Please Thanks Thank Customer "
    "Client Patient Hello Hi Dear Yes No Ok Okay Sure Sorry Not Just We You They It He She Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday January February March April May June July August September "
    "October November December Order Refund Account Service Services Admin Manager Agent User Users Context "
    "Record Name Email Phone Address Best Regards Kind Cheers Question Answer Assistant System Document "
    "I I'm I’m My Our Your Can Could Would Will".split()
)


def _clean(span: str) -> str | None:
    words = span.split()
    while words and words[0].strip(",.") in _NOT_NAMES:
        words = words[1:]
    return " ".join(words) if words else None


def cue_names(text: str) -> list[Finding]:
    """PERSON findings from honorific, introduction and `<Name> lives at` frames."""
    out = []
    for regex, group, multi, single in ((_HONORIFIC, 0, 0.9, 0.8), (_INTRO, 1, 0.87, 0.6), (_FOLLOWED, 1, 0.75, 0.0), (_WEAK_INTRO, 1, 0.6, 0.0)):
        for m in regex.finditer(text):
            start, end = m.span(group)
            name = _clean(text[start:end])
            if not name:
                continue
            start = text.index(name, start)
            end = start + len(name)
            score = multi if " " in name else single
            if score > 0:
                out.append(Finding("PERSON", start, end, score, "ner"))
    return out
