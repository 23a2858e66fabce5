"""The words around a lower-case name in chat, as data, in EN, DE, FR, ES, PT, IT, NL and Hindi in Latin script.

Chat is written in lower case ("ask priya about it", "danke lukas", "chiedi a giulia se...",
"rohit bhai ne kaha"), so a name's case says nothing there and its surroundings must. Three kinds:

- STRONG_BEFORE: words that address or introduce the next word as a person (thanks, greetings,
  apologies, requests such as "ask"/"frag mal"/"demande à", "my husband", "who is", "@"). After
  them a name that is also a word ("mark", "hans") still counts.
- WEAK_BEFORE: prepositions and role words ("with", "to", "mit", "avec", "com o") that also
  precede things; only a token that reads as a name by the lexicon's wide margin takes them.
- AFTER: a verb or particle that follows a person ("said", "is out", "hat", "a dit", "disse",
  "ne kaha", "bhai"), or a speaker's colon at the start of a line ("nadia: the export is ready").

Each regex is matched against the text just before (ending at the token) or just after it.
"""

from __future__ import annotations

import itertools
import re

_THANKS = (
    r"thanks|thank you|thx|ty|cheers|danke|danke dir|vielen dank|merci|merci beaucoup|gracias|muchas gracias|"
    r"obrigad[oa]|valeu|grazie|grazie mille|bedankt|dank je|dankjewel|dank u|shukriya|dhanyavaad|dhanyavad"
)
_GREETINGS = (
    r"hi|hey|hello|hallo|moin|servus|bonjour|salut|coucou|hola|buenas|buenos días|oi|olá|ola|ciao|salve|"
    r"buongiorno|hoi|dag|goedemorgen|namaste|namaskar|good morning|morning|dear|liebe|lieber|cher|chère|"
    r"querid[oa]|car[oa]|beste|sorry|pardon|désolée?|perdón|perdona|desculpa|scusa|scusami|sorry"
)
_REQUESTS = (
    r"ask|tell|ping|remind|call|email|e-mail|text|message|msg|cc|loop in|looped in|spoke to|spoke with|"
    r"talked to|talk to|speak to|speak with|chat with|meeting with|meet with|call with|lunch with|lunch w/|"
    r"met with|met|meet|heard from|got a (?:call|voicemail|message|mail) from|voicemail from|message from|"
    r"assign(?: it)? to|assigned to|hand(?: it)? over to|forward(?: it)? to|shoutout to|shout out to|"
    r"frag|frag mal|fragt|sag|sag mal|sagt|ruf|ruf mal|schreib|schreib mal|mit|termin mit|gespräch mit|"
    r"demande à|demandez à|dis à|dites à|appelle|appelez|écris à|avec|j'ai vu|j’ai vu|"
    r"pregunta a|pregúntale a|preguntale a|dile a|díselo a|llama a|escríbele a|habla con|hablé con|"
    r"fala com|fale com|falei com|falar com|pergunta (?:a|ao|à|pra|pro)|pergunte (?:a|ao|à)|diz (?:a|ao|à)|"
    r"liga (?:pra|para)|manda (?:pra|para)|"
    r"chiedi a|chiedi al|chiedete a|di' a|dì a|dillo a|chiama|scrivi a|parla con|ho parlato con|"
    r"vraag(?: het)?(?: even)? aan|vraag|zeg(?: het)?(?: even)? tegen|bel|mail|app|met|gesproken met"
)
_IDENTITY = (
    r"i'?m|i’m|i am|im|this is|it's|it’s|here is|my name is|my name's|name is|name's|under the name|"
    r"named|called|identified as|signed|ich bin|ich heiße|ich heisse|hier ist|hier spricht|mein name ist|"
    r"je suis|je m'appelle|je m’appelle|c'est|c’est|moi c'est|me llamo|soy|mi nombre es|aquí|aqui é|aqui é o|"
    r"aqui é a|eu sou|sou|meu nome é|sono|mi chiamo|il mio nome è|ik ben|mijn naam is|hier is|mera naam|"
    r"meri naam|mera naam hai|main|mai"
)
_RELATIONS = (
    r"(?:my|our) (?:husband|wife|partner|son|daughter|kid|mum|mom|mother|dad|father|brother|sister|uncle|aunt|"
    r"cousin|grandma|grandpa|grandmother|grandfather|friend|colleague|coworker|co-worker|teammate|manager|boss|"
    r"neighbour|neighbor|landlord|tenant|assistant|lawyer|accountant|doctor|nanny|client)|"
    r"(?:mein|meine) (?:mann|frau|sohn|tochter|bruder|schwester|vater|mutter|kollege|kollegin|chef|chefin|"
    r"freund|freundin|nachbar|nachbarin)|"
    r"(?:mon|ma) (?:mari|femme|fils|fille|frère|sœur|soeur|père|mère|collègue|chef|cheffe|ami|amie|voisin|voisine)|"
    r"(?:mi) (?:marido|esposo|esposa|mujer|hijo|hija|hermano|hermana|padre|madre|jefe|jefa|amigo|amiga|"
    r"compañero|compañera|vecino|vecina)|"
    r"(?:meu|minha) (?:marido|esposa|mulher|filho|filha|irmão|irmã|pai|mãe|chefe|amigo|amiga|colega|vizinho|vizinha)|"
    r"(?:mio|mia) (?:marito|moglie|figlio|figlia|fratello|sorella|padre|madre|capo|collega|amico|amica)|"
    r"(?:mijn) (?:man|vrouw|zoon|dochter|broer|zus|vader|moeder|collega|baas|vriend|vriendin|buurman|buurvrouw)|"
    r"(?:mera|meri|mere) (?:bhai|behen|dost|pati|patni|beta|beti|boss|manager|colleague)"
)
_QUESTIONS = r"who is|who's|wer ist|qui est|quién es|quem é|chi è|wie is"

#: the cue words of STRONG_BEFORE without the spaces after them
_STRONG_WORDS = rf"(?:{_THANKS}|{_GREETINGS}|{_REQUESTS}|{_IDENTITY}|{_RELATIONS}|{_QUESTIONS})[:,.!]?"
_STRONG_CUE = rf"(?:^|[^\w'’]){_STRONG_WORDS}"
#: a person's name comes next (the regex ends where the token starts)
STRONG_BEFORE = re.compile(rf"(?:{_STRONG_CUE}[ \t]+|@)$", re.IGNORECASE)
#: a reply that turns to the person: "Sure, hamza." (with its comma: "ok mark the task done" is no address)
_REPLIES = (
    r"sure|ok|okay|yes|yep|yeah|no worries|no problem|of course|got it|noted|absolutely|great|perfect|"
    r"klar|natürlich|genau|gerne|bien sûr|d'accord|parfait|claro|por supuesto|vale|perfecto|certo|"
    r"com certeza|beleza|certamente|perfetto|zeker|prima|oké|haan|ji haan|theek hai|thik hai"
)
_REPLY_WORDS = rf"(?:{_REPLIES}),"
_REPLY_CUE = rf"(?:^|[^\w'’]){_REPLY_WORDS}"
REPLY_BEFORE = re.compile(rf"{_REPLY_CUE}[ \t]+$", re.IGNORECASE)
#: these precede names and things alike; one-letter words only in lower case ("com o joão", "a fernanda
#: disse"), and never across a line break ("Tesla Model Y\ntowing capacity")
_WEAK_WORDS = (
    r"(?:(?i:with|w/|to|from|by|for|cc|attn|owner|assignee|reviewer|mit|von|für|an|avec|pour|"
    r"par|de|con|para|por|com|per|da|met|aan|voor|van|door|ko|se|ke|ki|ka|"
    r"says|said|wrote|asked|sagt|dit|dice|diz|dijo|disse|zegt)|o|a)[:,]?"
)
_WEAK_CUE = rf"(?:^|[^\w'’]){_WEAK_WORDS}"
WEAK_BEFORE = re.compile(rf"{_WEAK_CUE}[ \t]+$")
#: what follows a person (the regex starts right after the token)
AFTER = re.compile(
    r"(?:'s\b|’s\b|\s+(?:said|says|asked|called|wrote|told|wants|wanted|needs|replied|mentioned|complained|"
    r"will|has|had|is|was|did|does|can|could|would|should|made|sent|left|joined|approved|signed|paid|booked|"
    r"ordered|thinks|knows|keeps|owns|confirmed|agreed|reported|promised|here|there|"
    r"sagt|sagte|hat|hatte|ist|war|meinte|schrieb|will|kann|wird|braucht|"
    r"a dit|dit|a écrit|est|était|veut|peut|m'a|m’a|"
    r"dijo|dice|escribió|quiere|puede|está|tiene|ha|"
    r"disse|diz|escreveu|quer|pode|está|tem|"
    r"ha detto|dice|ha scritto|vuole|può|è|"
    r"zei|zegt|schreef|wil|kan|heeft|"
    r"ne|ko|ki|ka|ke|ji|bhai|didi|sahab|sir|madam|se|bola|boli|kaha)\b)",
    re.IGNORECASE,
)
#: "nadia: the export is ready", "aditi - blocked on api keys": a speaker or a list item heads its line
SPEAKER_AFTER = re.compile(r"[ \t]*(?::|[ \t]-)[ \t]+\S")
LINE_START_BEFORE = re.compile(r"(?:^|\n|[;.!?]\s|:\s)[ \t]*$")


# -- searching only the end of the text before a token --------------------------------------------

def widest(pattern: str, flags: int = 0) -> int | None:
    """The most characters `pattern` can match, None when unbounded or unknown (then a search reads all)."""
    try:
        width = re._parser.parse(pattern, flags).getwidth()[1]  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 -- an internal of `re`: without it, nothing is cut short
        return None
    return width if width < 1000 else None


#: non-ASCII characters that Python's case-insensitive matching equates with ASCII letters (ı, ſ, K, İ):
#: a cue holding one could match ASCII text that `CueEnds` would not compare equal
_ASCII_LOOK_ALIKES = frozenset("\u0131\u017f\u212a\u0130")


def _spelled(pattern: str, flags: int = 0, limit: int = 50_000) -> list[str] | None:
    """Every string `pattern` matches, assertions (`^`, `\\b`) read as nothing; None when the pattern is
    not a finite set of at most `limit` strings made of literals, small classes, alternations and
    bounded repeats (a negated class, a category such as `\\w`, an unbounded repeat)."""
    try:
        tree = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 -- an internal of `re`: without it, no gate
        return None
    return _spell(tree, limit)


def _spell(sequence, limit: int) -> list[str] | None:
    parser = re._parser  # type: ignore[attr-defined]
    out = [""]
    for op, arg in sequence:
        options: list[str] | None
        if op is parser.LITERAL:
            options = [chr(arg)]
        elif op is parser.IN:
            options = []
            for kind, value in arg:
                if kind is parser.LITERAL:
                    options.append(chr(value))
                elif kind is parser.RANGE and value[1] - value[0] < 64:
                    options.extend(chr(c) for c in range(value[0], value[1] + 1))
                else:
                    return None
        elif op is parser.BRANCH:
            options = []
            for branch in arg[1]:
                spelled = _spell(branch, limit)
                if spelled is None:
                    return None
                options += spelled
        elif op is parser.SUBPATTERN:
            options = _spell(arg[3], limit)
        elif op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[1] <= 3:
            once = _spell(arg[2], limit)
            if once is None:
                return None
            options = ["".join(p) for k in range(arg[0], arg[1] + 1) for p in itertools.product(once, repeat=k)]
        elif op is parser.AT:
            options = [""]  # an assertion reads no character: the strings without it are a superset
        else:
            return None
        if options is None:
            return None
        out = [a + b for a in out for b in options]
        if len(out) > limit:
            return None
    return out


#: how many of a spelling's last characters `CueEnds` compares: enough to tell most words apart
SPELLING_END = 12


class CueEnds:
    """Whether a cue of a known, finite set of spellings can end at a position: the spellings' last
    `SPELLING_END` characters (spaces included), in lower case, compared with the text just before it.

    Why: the searches for a cue before a lower-case name candidate (`ends_with_cue`) cost ~10 us each
    against a few hundred cue words, and the word before a candidate is rarely a cue. A match of the
    cue that ends at `end` ends with its spelling's end, so where none ends there (case-insensitively),
    no search can succeed. Compared only where those characters are ASCII: there Python's
    case-insensitive matching is ASCII lower case (`_ASCII_LOOK_ALIKES` aside, refused at build), and a
    chunk with other characters cannot match; elsewhere the answer is "maybe"."""

    __slots__ = ("longest", "_by_length")

    def __init__(self, chunks: frozenset[str], longest: int):
        """`chunks`: the ASCII spelling ends; `longest`: the longest end of any spelling, ASCII or not
        (the window read: where it is ASCII, no end with another character can match)."""
        by_length: dict[int, set[str]] = {}
        for chunk in chunks:
            by_length.setdefault(len(chunk), set()).add(chunk)
        self._by_length = tuple((n, frozenset(by_length[n])) for n in sorted(by_length))
        self.longest = longest

    @classmethod
    def of(cls, pattern: str, flags: int = 0) -> CueEnds | None:
        """The gate of a cue pattern (without what comes after it), or None when it cannot be made sure of."""
        spellings = _spelled(pattern, flags)
        if not spellings or any(c in _ASCII_LOOK_ALIKES for s in spellings for c in s):
            return None
        if any(s[-1:].isspace() for s in spellings):
            return None  # its match could end inside the run of spaces after it, not where that run starts
        ends = {s[-SPELLING_END:] for s in spellings}
        ascii_ends = frozenset(end.lower() for end in ends if end.isascii())  # "" (an empty spelling) lets all by
        return cls(ascii_ends, max(map(len, ends)))

    def may_end_at(self, text: str, end: int) -> bool:
        window = text[max(0, end - self.longest):end]
        if not window.isascii():
            return True
        window = window.lower()
        size = len(window)
        for n, chunks in self._by_length:
            if n > size:
                return False
            if window[size - n:] in chunks:
                return True
        return False


def ends_with_cue(regex: re.Pattern, cue_width: int | None, before: str, spaces: str | None = " \t",
                  gate: CueEnds | None = None) -> bool:
    """`regex.search(before)` for a regex that is a cue of at most `cue_width` characters, then a run of
    `spaces` (None: any whitespace, `\\s`), then `$`; the same answer, from the end of `before` only.

    Why: such a search tries every position of the 40 characters before each lower-case name candidate
    against a few hundred cue words, and almost all fail. `$` matches at the end or before a final
    newline; the run of spaces ends there and starts where the cue ends, so the cue starts at most
    `cue_width` characters before that run; `search(before, pos)` still sees the characters before
    `pos` (`^` only at 0, and the cue's own first character is inside the window)."""
    tail = before[:-1] if before.endswith("\n") and spaces is not None else before
    if not tail or not (tail[-1] in spaces if spaces is not None else tail[-1].isspace()):
        return False
    cue_end = len(tail.rstrip(spaces))
    if gate is not None and not gate.may_end_at(tail, cue_end):
        return False  # no spelling of the cue ends where the spaces start (`CueEnds`)
    if cue_width is None:
        return regex.search(before) is not None
    return regex.search(before, max(0, cue_end - cue_width)) is not None


_STRONG_WIDTH = widest(_STRONG_CUE, re.IGNORECASE)
_REPLY_WIDTH = widest(_REPLY_CUE, re.IGNORECASE)
#: where a cue can end (`CueEnds`): the cue words without the bound before them, which reads one
#: character more or none and so changes no spelling's last chunk
_STRONG_ENDS = CueEnds.of(_STRONG_WORDS, re.IGNORECASE)
_REPLY_ENDS = CueEnds.of(_REPLY_WORDS, re.IGNORECASE)
_WEAK_WIDTH = widest(_WEAK_CUE)
_WEAK_ENDS = CueEnds.of(_WEAK_WORDS)  # its one-letter words are case-sensitive: lower case compares more


def strong_before(before: str) -> bool:
    """`STRONG_BEFORE.search(before)`, from the end of `before` (`ends_with_cue`); "@" is its other ending."""
    if before.endswith("@") or before.endswith("@\n"):
        return STRONG_BEFORE.search(before) is not None
    return ends_with_cue(STRONG_BEFORE, _STRONG_WIDTH, before, gate=_STRONG_ENDS)


def reply_before(before: str) -> bool:
    """`REPLY_BEFORE.search(before)`, from the end of `before` (`ends_with_cue`)."""
    return ends_with_cue(REPLY_BEFORE, _REPLY_WIDTH, before, gate=_REPLY_ENDS)


def weak_before(before: str) -> bool:
    """`WEAK_BEFORE.search(before)`, from the end of `before` (`ends_with_cue`)."""
    return ends_with_cue(WEAK_BEFORE, _WEAK_WIDTH, before, gate=_WEAK_ENDS)
