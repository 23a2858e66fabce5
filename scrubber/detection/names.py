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
from typing import Iterator

import re2

from scrubber.detection.finding import Finding
from scrubber.detection.persons import NOT_NAME_WORDS
from scrubber.detection.re2_scan import Encoded as _Encoded
from scrubber.detection.re2_scan import guided_matches as _matches

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zà-öø-ÿß'’"
_WORD = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)*"
_PARTICLE = r"(?:von|van|der|den|de|da|di|del|della|dos|du|la|le|bin|al|ter)"
_DEGREE = r"(?:,?\s(?:Jr\.|Sr\.|II|III|PhD|MD|MBA|B\.\s?(?:Eng|Sc|A|Ed)\.|M\.\s?(?:Sc|A|Eng|Ed)\.|Dipl\.-\w+\.?))?"
_NAME = rf"{_WORD}(?:[ ](?:{_PARTICLE}[ ]){{0,2}}{_WORD}){{0,3}}{_DEGREE}"

_HONORIFIC = re.compile(
    rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|M|Sr|Sra|Srta|Sig|Sig\.ra|Dhr|Mevr|Shri|Smt|Sri|"
    rf"[Ss]eñor|[Ss]eñora|[Ss]enhor|[Ss]enhora|[Ss]ignor|[Ss]ignora|Monsieur|Madame|Don|Doña|Dona|"
    rf"[Mm]evrouw|[Mm]eneer)\.?[ ](?:{_PARTICLE}[ ](?:{_PARTICLE}[ ])?)?{_NAME}"
)
#: introductions and salutations that name the person next to them, in EN, DE, FR, ES, PT, IT, NL and
#: Hindi in Latin script: strong evidence, so even a word that is also a plain word is taken as a name
_STRONG_INTRO_WORDS = (
    r"I am|I'm|I’m|my name is|My name is|name is|Name is|this is|This is|Dear|Hi|Hello|Hey|signed|"
    r"Name:|name:|NAME:|record:|[Ii]ch heiße|[Ii]ch bin|[Mm]ein Name ist|Sehr geehrte|Sehr geehrter|Liebe|Lieber|Hallo|"
    r"[Jj]e m'appelle|[Jj]e m’appelle|[Jj]e suis|[Mm]on nom est|Bonjour|Cher|Chère|Salut|[Mm]e llamo|[Mm]i nombre es|"
    r"[Ss]oy|Hola|Estimado|Estimada|[Mm]eu nome é|[Mm]eu nome e|[Ee]u sou|Olá|Ola|Prezado|Prezada|[Mm]i chiamo|"
    r"[Ii]l mio nome è|[Ss]ono|Caro|Cara|Gentile|Ciao|[Mm]ijn naam is|[Ii]k ben|Beste|[Mm]era naam|[Mm]eri naam|"
    r"main|Namaste|Namaskar|[Ss]peak to|[Tt]alk to|[Ss]peak with|[Ss]houted at|[Yy]elled at|[Tt]hanks|[Tt]hank you|Regards,|"
    r"Cheers,|Best,|Sincerely,|Grüße,|Gruß,|Cordialement,|Saludos,|Atenciosamente,|Cordiali saluti,|Groeten,|"
    r"regards,|[Gg]rüßen,|[Ss]aludos,|[Cc]umprimentos,|[Gg]roet,|met|Met"
)
_STRONG_INTRO = re.compile(rf"(?:\b(?:{_STRONG_INTRO_WORDS})[ ,:\n]+)({_NAME})")
#: the same cues at the end of a text (`endpos` of a search): a name after them would be cued
STRONG_INTRO_BEFORE = re.compile(rf"\b(?:{_STRONG_INTRO_WORDS})[ ,:\n]+$")
#: asking someone to do something: "Ask Hope whether...", "tell Horst-Günter to..."
_REQUEST = re.compile(
    rf"\b(?:[Aa]sk|[Tt]ell|[Rr]emind|[Pp]ing|[Ee]mail|[Cc]all|[Nn]otify|[Ii]nform|[Ff]rag|[Ss]ag|[Dd]emander à|"
    rf"[Dd]ites à|[Pp]regunta a|[Pp]ergunte a|[Cc]hiedi a|[Vv]raag)[ ]({_NAME})"
    rf"(?=[ ,](?:to|whether|if|about|for|that|when|ob|dass|de|si|se|di|of|om)\b)"
)
_WEAK_INTRO = re.compile(
    rf"(?:\b(?:customer|Customer|client|Client|patient|Patient|contact|Contact|from|by|with|for|to|and|cc|"
    rf"mit|von|für|und|avec|pour|et|con|para|y|com|e|per|met|voor|en|aur|se|ko)[ ]+)({_NAME})"
)
_FOLLOWED = re.compile(
    rf"\b({_WORD}(?:[ ](?:{_PARTICLE}[ ])?{_WORD}){{0,3}}{_DEGREE})[ ,]+(?:lives|lived|was born|works|worked|"
    rf"wrote|writes|said|says|called|asked|placed|ordered|paid|booked|is a customer|shouted|yelled|told|"
    rf"complained|replied|is very|is my|is our|hat|ist|sagte|schrieb|a dit|a écrit|est|dijo|escribió|es|disse|"
    rf"escreveu|ha detto|ha scritto|zei|schreef|ne kaha|ne bola|ji|can I|can you|could you|(?:\())"
)
_WORD_RUN = re.compile(r"\S+")
#: the first letter of `_WORD`: each frame's name starts with one (case-sensitive frames, no IGNORECASE)
_CAPITAL = re.compile(rf"[{_UP}]")


def _clean(span: str) -> tuple[int, int, int] | None:
    r"""(start, end, words) of what is left of a frame's span once leading words that are not
    names are dropped, as offsets into `span`; None if nothing is left.

    Offsets, not a re-joined string: a frame's `\s` can take a newline or two spaces
    ("Hi Anna\nJr."), and a joined "Anna Jr." is then nowhere in the text."""
    words = list(_WORD_RUN.finditer(span))
    first = 0
    while first < len(words) and words[first].group().strip(",.").casefold() in NOT_NAME_WORDS:
        first += 1
    if first == len(words):
        return None
    return words[first].start(), words[-1].end(), len(words) - first


def cue_names(text: str) -> list[Finding]:
    """PERSON findings from honorific, introduction and `<Name> lives at` frames.

    `detector` is "honorific" for a title and the name after it (kept whole), "cue" for frames that name a person on their own (honorifics,
    introductions, salutations) and "cue-weak" for prepositions and role words
    ("with X", "customer X"), which only add evidence to a token that already looks
    like a name.
    """
    out: list[Finding] = []
    if not _CAPITAL.search(text):
        return out  # every frame names a capitalised word (`_WORD`): a text without a capital holds none
    encoded: _Encoded | None = None
    for regex, loose, group, multi, single, kind in _FRAMES:
        if loose is None:
            matches: Iterator[re.Match] = regex.finditer(text)
        else:
            if encoded is None:
                encoded = _Encoded(text)
            matches = _matches(regex, loose, encoded)
        for m in matches:
            start, end = m.span(group)
            if kind == "honorific":
                several = " " in text[start:end]
            else:
                kept = _clean(text[start:end])
                if kept is None:
                    continue
                start, end, several = start + kept[0], start + kept[1], kept[2] > 1
            if start >= end:
                continue
            score = multi if several else single
            if score > 0:
                out.append(Finding("PERSON", start, end, score, kind))
    return out


def loose_re2(regex: re.Pattern) -> re2._Regexp | None:
    """An RE2 regex that matches wherever `regex` does (and in more places), or None when this cannot
    be made sure of: word bounds left out, `\\s` and `\\w` read as any character (RE2's are ASCII),
    a look-ahead matched as text; only patterns without flags, whose character classes hold no escape
    but a newline, and with nothing else of `re`'s own.

    Why: the frames' `finditer` tries every position of every text against a hundred cue words and
    finds nothing in most texts. RE2 scans a text in linear time (falling back from its DFA to its NFA,
    never giving up), so a frame is skipped where it finds no match, and otherwise read from the
    first place one can start: `finditer` from there gives the same matches (its assertions still
    read the characters before)."""
    pattern = regex.pattern
    if regex.flags != re.UNICODE or "\\\\" in pattern or re.search(r"\[[^\]]*\\[^n]", pattern) \
            or re.search(r"\(\?<|\(\?[aiLmsux]|\\[^bswn.()\[\]{}?*+|-]|(?<!\\)\$|(?<![\\\[])\^", pattern):
        return None  # an escape in a class but a newline, a look-behind, a scoped flag, \d, \S, ^, $...
    loose = pattern.replace(r"\b", "").replace(r"\s", "(?s:.)").replace(r"\w", "(?s:.)").replace("(?=", "(?:")
    try:
        return re2.compile(loose)
    except Exception:  # noqa: BLE001 -- outside RE2's syntax: the frame is read whole
        return None


#: (regex, its loose RE2 prefilter, group, score of a name of several words, of one word, kind)
_FRAMES = tuple(
    (regex, loose_re2(regex), group, multi, single, kind)
    for regex, group, multi, single, kind in (
        (_HONORIFIC, 0, 0.9, 0.8, "honorific"), (_STRONG_INTRO, 1, 0.87, 0.7, "cue"), (_REQUEST, 1, 0.85, 0.7, "cue"),
        (_FOLLOWED, 1, 0.75, 0.7, "cue-weak"), (_WEAK_INTRO, 1, 0.6, 0.6, "cue-weak"))
)
