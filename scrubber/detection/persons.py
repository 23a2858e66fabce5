"""Person names from combined evidence: spaCy, cue frames, the name lexicon, and the text itself.

The small spaCy model alone misses lone first names and surnames, names in
lower case or ALL CAPS, and names of many cultures, and it tags words of other
languages ("Können Sie", "Madame, Monsieur") as people or places. Vetoing its
single-token guesses (the old rule) lost a third of the names. Instead every
candidate span is judged on the same evidence:

- the lexicon (`lexicon.py`): how popular each token is as a first or last name in
  any of 105 countries, against how frequent it is as a word in ten languages;
- its shape: capitalised, ALL CAPS or lower case; whether it opens a sentence
  (where every word is capitalised); what follows it (a model number makes a
  product: "Nike Air Max 90"; "region" or "cluster" makes infrastructure);
- frames: honorifics and introductions in several languages (`names.py`);
- the text itself: once a full name is found, its parts are names wherever they
  recur in the same text.

When in doubt, a span is kept: recall is the product. Spans made only of plain
words ("Customer Success", "Severity One") and greetings or pronouns are not
names.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, TypeVar

from scrubber.detection import name_cues
from scrubber.detection.finding import Finding
from scrubber.detection.lexicon import Lexicon, lexicon

#: lower-case particles inside names ("Juan de la Cruz", "Ludwig van Beethoven", "Ali bin Omar")
PARTICLES = frozenset(
    "de da das do dos du des del della di la le van von der den ter ten y e bin binti ibn ben al el "
    "abu bint zu".split()
)

#: words that open, close or surround names but are never names themselves, in several languages:
#: greetings, honorifics, pronouns and role words. Kept out of every PERSON span.
NOT_NAME_WORDS = frozenset(
    """
    hi hello hey dear hallo hola ola olá bonjour salut ciao namaste namaskar greetings regards thanks thank
    cheers best kind sincerely yours mr mrs ms miss mx dr prof sir madam madame monsieur mademoiselle mme mlle
    herr frau fräulein señor señora señorita sr sra srta don doña dona senhor senhora sig signor signora
    signorina dhr mevr mevrouw meneer shri smt sri ji sahab saab sahib ustad
    i i'm i’m i'd i’d i'll i’ll it's it’s that's that’s let's let’s you're you’re we're we’re c'est c’est
    j'ai j’ai me my mine we us our you your yours he him his she her they them their it its this that these those
    ich du sie er es wir ihr mich mir dich dir uns euch je tu il elle nous vous ils elles moi toi yo tú él
    ella nosotros usted ustedes eu ele ela nós você vocês io lui noi voi loro ik jij hij zij wij jullie
    mera meri mere aap hum main mujhe
    team everyone everybody all folks guys world there here customer customers client clients patient
    patients user users admin agent support manager assistant system bot colleague colleagues friend friends
    boss staff service services
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december
    """.split()
)

#: a capitalised place or name directly followed by one of these is infrastructure, not a person's place
INFRA_WORDS = frozenset(
    "warehouse warehouses depot plant facility facilities fulfilment fulfillment colo colocation "
    "failover traffic latency outage backup backups cluster-wide region regions zone zones cluster clusters "
    "datacenter datacentre dc az pop edge server servers node nodes on-call oncall rotation shard shards replica "
    "replicas bucket buckets deployment deployments "
    "instance instances site sites office offices hub hubs campus team teams pipeline pipelines "
    "endpoint endpoints gateway queue queues vpc subnet rack racks availability".split()
)

_SEPARATOR_WORDS = frozenset("and und et y e en aur or oder ou o".split())
#: names of software that are also people's names in the lexicon ("kafka"): never a person in a list
TECH_WORDS = frozenset(
    "gpt claude llama gemini mistral mixtral qwen phi falcon bert openai anthropic ollama vllm langchain "
    "llamaindex python java rust golang kotlin swift ruby node nodejs redis postgres postgresql mysql sqlite "
    "kafka docker kubernetes nginx linux ubuntu debian aws azure gcp json yaml http https grpc otlp sql "
    "api sdk url uuid null none true false traceback error exception select insert update delete where "
    "from join localhost pytorch tensorflow numpy pandas fastapi flask django react grafana loki tempo "
    "jaeger prometheus elastic kibana celery rabbitmq spark hadoop airflow jenkins helm istio envoy uri aurora "
    "alexa siri cortana travis consul nomad mocha".split()
)
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’\-]*[^\W\d_])?")
_SENTENCE_OPENERS = ".!?:;\n\"“«([{>*-•"
#: the text between two list items (no letters: words such as "and" are tokens, see _SEPARATOR_WORDS)
_LIST_SEPARATOR = re.compile(r"^\s*(?:,|;|&|/|\+|\n\s*[-*•]?)\s*$")
_MODEL_AFTER = re.compile(r"^(?:[ \-_]?\d| ?[A-Z](?![.\w'’])| ?[A-Z]+\d| ?(?:Pro|Plus|Ultra|Mini|Lite)\b)")
_NAME_CUES_BEFORE = re.compile(
    r"(?:\b(?:with|cc|to|from|by|for|and|name|names|named|called|attendees|participants|members|owner|"
    r"assignee|assigned|contact|guest|guests|invitees|mit|von|für|avec|de|pour|con|para|com|per|met|voor|"
    r"ko|se|ka|ki)[:,]?\s+)$",
    re.IGNORECASE,
)
#: introductions that name the next words even in all-lower-case chat ("hi im rahul verma")
_STRONG_CUE = (
    r"\b(?:i'?m|i’m|i am|this is|my name is|name is|name's|hi|hey|hello|hallo|hola|ola|olá|ciao|namaste|"
    r"thanks|thank you|dear|ask|tell|call|ping|remind|mr|mrs|ms|dr|ich bin|ich heiße|ich heisse|je suis|"
    r"je m'appelle|me llamo|soy|eu sou|sou|sono|mi chiamo|ik ben|mijn naam is|mera naam|meri naam|main)"
    r"[:,.]?"
)
_STRONG_CUES_BEFORE = re.compile(rf"(?:{_STRONG_CUE}\s+)$", re.IGNORECASE)
_STRONG_CUE_WIDTH = name_cues.widest(_STRONG_CUE, re.IGNORECASE)
_STRONG_CUE_ENDS = name_cues.CueEnds.of(_STRONG_CUE, re.IGNORECASE)
#: what follows a person's name in casual lower-case text: "ravi said", "meera's order", "aarav ko"
_CUES_AFTER = re.compile(
    r"(?:'s|’s|\s+(?:said|says|asked|called|wrote|told|wants|wanted|replied|mentioned|complained|will|has|had|"
    r"ne|ko|ki|ka|ke|ji|sagte|hat|a dit|dijo|disse|ha detto|zei)\b)",
)

_DETERMINER = r"\b(?:the|a|an|my|your|his|her|our|their|this|that|these|those|some|any|no|every)"
_DETERMINER_BEFORE = re.compile(_DETERMINER + r"\s+$", re.IGNORECASE)
_DETERMINER_WIDTH = name_cues.widest(_DETERMINER, re.IGNORECASE)
_DETERMINER_ENDS = name_cues.CueEnds.of(_DETERMINER, re.IGNORECASE)


def _determiner_before(before: str) -> bool:
    """`_DETERMINER_BEFORE.search(before)`, from the end of `before` (`name_cues.ends_with_cue`)."""
    return name_cues.ends_with_cue(_DETERMINER_BEFORE, _DETERMINER_WIDTH, before, spaces=None, gate=_DETERMINER_ENDS)


T = TypeVar("T")


def _per_word(question: Callable[[Lexicon, str], T]) -> Callable[[Lexicon, str], T]:
    """`question(lex, word)` answered once per distinct word (`Lexicon.answer`): each question below
    reads only the lexicon and the word, and the passes ask it of every token of every text."""

    @functools.wraps(question)
    def remembered(lex: Lexicon, word: str) -> T:
        memo = lex._answers.get(question)  # a known word's answer without the call to `answer`
        if memo is not None and word in memo:
            return memo[word]
        return lex.answer(question, word)

    return remembered


class Token:
    __slots__ = ("text", "start", "end", "shape", "opener")

    def __init__(self, text: str, start: int, end: int, opener: bool):
        self.text, self.start, self.end, self.opener = text, start, end, opener
        if text.isupper():
            self.shape = "upper"
        elif text[0].isupper() or (text[0].isalpha() and not text[0].islower()):
            self.shape = "title"
        else:
            self.shape = "lower"


_QUOTES_BEFORE = " \t'\"“‘"
#: word -> its `Token.shape`; bounded like the lexicon's answers (cleared when full)
_shapes: dict[str, str] = {}
_SHAPE_MEMO_WORDS = 50_000
_new_token = object.__new__


def _shape(word: str) -> str:
    return Token(word, 0, 0, False).shape


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The word tokens of `text[start:end]`, offsets relative to `start`; whether each opens a
    sentence is judged on the whole text (a span cut out of a sentence does not open one).

    Built without `Token.__init__` (the same fields): the shape is remembered per word, and a token
    after the first opens a sentence when the gap since the previous token, without its spaces and
    quotes, ends in an opener; a gap of only those means the character before is the previous
    token's last, a letter, which opens nothing. Only the first token looks back character by
    character, possibly before `start`."""
    out: list[Token] = []
    append = out.append
    shapes = _shapes
    previous_end = -1
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        a, b = m.span()
        if previous_end < 0:
            i = a - 1
            while i >= 0 and text[i] in _QUOTES_BEFORE:
                i -= 1
            opener = i < 0 or text[i] in _SENTENCE_OPENERS
        else:
            gap = text[previous_end:a].rstrip(_QUOTES_BEFORE)
            opener = gap != "" and gap[-1] in _SENTENCE_OPENERS
        previous_end = b
        word = m.group()
        tok = _new_token(Token)
        tok.text, tok.start, tok.end, tok.opener = word, a - start, b - start, opener
        shape = shapes.get(word)
        if shape is None:
            if len(shapes) >= _SHAPE_MEMO_WORDS:
                shapes.clear()
            shape = shapes[word] = _shape(word)
        tok.shape = shape
        append(tok)
    return out


def _name_token(lex: Lexicon, tok: Token, strict: bool) -> bool:
    return (_name_word_strictly if strict else _name_word)(lex, tok.text)


@_per_word
def _name_word(lex: Lexicon, word: str) -> bool:
    return word.casefold() not in NOT_NAME_WORDS and lex.name_like(word)


@_per_word
def _name_word_strictly(lex: Lexicon, word: str) -> bool:
    return word.casefold() not in NOT_NAME_WORDS and lex.name_like(word, strict=True)


def judge_span(text: str, start: int, end: int, lex: Lexicon | None = None, *, cue: bool = False) -> tuple[int, int] | None:
    """The part of a PERSON candidate that is a name, or None when it is not a name.

    Greetings, honorifics, pronouns and plain words at either end are trimmed
    ("Hi Priya" -> "Priya", "Können Sie" -> nothing). A plain word left inside
    ("Nike Air Max") or a model number after it ("Tesla Model Y") makes it a
    product; a following infrastructure word ("Frankfurt region") a place of
    machines. A single token must look like a name (lexicon) or at least not be
    a plain word; a `cue` (an introduction frame) accepts any capitalised
    token that is not a plain word without any name reading.
    """
    return _judge_tokens(text, start, end, tokenize(text, start, end), start, lex or lexicon(), cue)


def _judge_tokens(text: str, start: int, end: int, toks: list[Token], base: int, lex: Lexicon,
                  cue: bool) -> tuple[int, int] | None:
    """`judge_span` on the tokens of text[start:end], at `base` + their offsets: a run of the whole
    text's tokens is judged without tokenizing its span again (its tokens are the same)."""
    if not toks:
        return None
    words = [t.text for t in toks]
    lo, hi = 0, len(toks)
    while lo < hi and (words[lo].casefold() in NOT_NAME_WORDS or _plain_not_name(lex, words[lo], cue)):
        lo += 1
    # the end is trimmed only of words that are no name at all: after a first name, a surname that is
    # also a word ("Rosa Iglesia", "Maarten van Haarlem") is still a surname
    while hi > lo and (words[hi - 1].casefold() in NOT_NAME_WORDS or words[hi - 1].casefold() in PARTICLES
                       or not cue and _plain_not_name(lex, words[hi - 1], cue=True)):
        hi -= 1
    if lo == hi:
        return None
    core = toks[lo:hi]
    inner = [t.text for t in core if t.text.casefold() not in PARTICLES and len(t.text) > 2
             and not text.startswith(".", base + t.end, end)]  # initials and degrees: "J. R. Okafor B.Eng."
    if len(inner) > 1 and not cue and any(_plain_not_name(lex, w, cue=False) for w in inner):
        return None  # "Nike Air Max"; after an introduction, "Borys Szara" is a name although szara is a word
    if len(core) == 1 and not cue and not _single_name(lex, core[0], strict=True):
        return None  # one token left: it must read as a name, or at least be no word we know
    s, e = base + core[0].start, base + core[-1].end
    if cue and text.startswith(".", e, end):
        e += 1  # a degree's closing dot: "B.Eng."
    if followed_by_infrastructure(text, e) or _MODEL_AFTER.match(text[e:e + 6]):
        return None
    return s, e


def _single_name(lex: Lexicon, tok: Token, strict: bool) -> bool:
    return (_single_name_strictly if strict else _single_name_loosely)(lex, tok.text)


@_per_word
def _single_name_strictly(lex: Lexicon, word: str) -> bool:
    return _reads_as_single_name(lex, word, strict=True)


@_per_word
def _single_name_loosely(lex: Lexicon, word: str) -> bool:
    return _reads_as_single_name(lex, word, strict=False)


def _reads_as_single_name(lex: Lexicon, word: str, strict: bool) -> bool:
    """A lone token that reads as a name, or at least is no word we know. Each part of a hyphenated
    token must qualify too: "Horst-Günter" is a name, "Retry-After" is not. `strict` (the wide
    margin) for a token the model or a run offers alone: measured on dev, the narrow one only added
    false hits."""
    parts = [p for p in re.split(r"[-'’]", word) if len(p) > 1]
    if len(parts) > 1 and any(lex.common_word(p, top=25_000) for p in parts):
        return False
    return lex.name_like(word, strict=strict) or lex.word_rank(word) is None


def _plain_not_name(lex: Lexicon, word: str, cue: bool) -> bool:
    return (_plain_not_name_after_cue if cue else _plain_not_name_alone)(lex, word)


@_per_word
def _plain_not_name_after_cue(lex: Lexicon, word: str) -> bool:
    return _plain_word_to_trim(lex, word, cue=True)


@_per_word
def _plain_not_name_alone(lex: Lexicon, word: str) -> bool:
    return _plain_word_to_trim(lex, word, cue=False)


def _plain_word_to_trim(lex: Lexicon, word: str, cue: bool) -> bool:
    """A word to trim off the edge of a candidate: a plain word that is not at least as popular as a
    name ("Customer", "Sie"); after a cue only a plain word that is no name at all."""
    if not lex.common_word(word, top=20_000) and word.casefold() not in NOT_NAME_WORDS:
        return False
    name, as_word = lex.name_rank(word), lex.word_rank(word)
    if cue or name is None:
        return name is None
    return as_word is not None and as_word < name


def is_personal_place(text: str, start: int, end: int) -> bool:
    """Whether a place the model found can tell where a person is, rather than name machines.

    Not: greetings ("Madame, Monsieur"), spans holding or followed by an infrastructure word
    ("Windows Server", "Frankfurt region", "Madrid-2"), places in a sentence about infrastructure
    ("traffic shifted from Oregon to the backup cluster"), a sentence-opening plain word ("Format").
    """
    words = [w.strip(".,;:!?'\"").casefold() for w in text[start:end].split()]
    if all(w in NOT_NAME_WORDS for w in words) or any(w in INFRA_WORDS for w in words):
        return False
    if followed_by_infrastructure(text, end) or _MODEL_AFTER.match(text[end:end + 6]) \
            and not _POSTCODE_AFTER.match(text, end):
        return False  # "Madrid-2" is a zone, "Tokyo 100-0005" an address
    if _INFRA_NEARBY.search(_sentence_around(text, start, end)):
        return False
    toks = tokenize(text, start, end)
    lex = lexicon()
    return not (len(toks) == 1 and _opens_sentence(text, start) and lex.common_word(toks[0].text, top=5000)
                and lex.name_rank(toks[0].text) is None)


_POSTCODE_AFTER = re.compile(r",?[ \t]*\(?\d{3,6}(?:[ \-]\d{2,4})?\)?(?![\w.\-])")
#: words that make a whole sentence about machines: a place in it is where machines are
MACHINE_WORDS = frozenset(
    "region regions zone zones cluster clusters datacenter datacentre dc az server servers node nodes shard "
    "shards replica replicas deployment deployments instance instances vpc subnet rack racks availability "
    "failover backup traffic latency outage warehouse deploy deployed deploying rollout canary cdn".split()
)
_INFRA_NEARBY = re.compile(r"\b(?:" + "|".join(sorted(MACHINE_WORDS)) + r")\b", re.IGNORECASE)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n")
    right = min((i for i in (text.find(c, end) for c in ".!?\n") if i != -1), default=len(text))
    return text[left + 1:start] + " " + text[end:right]


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t'\"“‘")
    return not before or before[-1] in _SENTENCE_OPENERS


#: the word after a span (`followed_by_infrastructure`), compiled once: it is asked of every candidate
_NEXT_WORD = re.compile(r"[\s\-]*([\w\-]+)")


def followed_by_infrastructure(text: str, end: int) -> bool:
    """'Frankfurt region', 'Mumbai on-call': the place names a machine or a rota, not a person."""
    m = _NEXT_WORD.match(text[end:end + 24])
    return m is not None and m.group(1).casefold() in INFRA_WORDS


def lexicon_names(text: str, lex: Lexicon | None = None, toks: list[Token] | None = None) -> list[Finding]:
    """PERSON findings from the lexicon alone: capitalised or ALL CAPS runs of name tokens, and
    lower-case names in lists or after a cue ("attendees: priya, chinedu and yuki")."""
    lex = lex or lexicon()
    toks = tokenize(text) if toks is None else toks
    out: list[Finding] = []
    after = 0  # the end of the last run: a run starts at a capitalised token after it
    for i in [k for k, tok in enumerate(toks) if tok.shape != "lower"]:
        if i < after:
            continue
        tok = toks[i]
        j = i + 1  # a run of capitalised tokens joined by single spaces, hyphens or particles
        while j < len(toks) and _joined(text, toks[j - 1], toks[j]) and (
            toks[j].shape == tok.shape or (toks[j].text.casefold() in PARTICLES and j + 1 < len(toks)
                                           and toks[j + 1].shape != "lower")
        ):
            j += 1
        out.extend(_judge_run(text, toks[i:j], lex))
        after = j
    out.extend(_lower_case_names(text, toks, lex))
    return out


def _joined(text: str, a: Token, b: Token) -> bool:
    gap = text[a.end:b.start]
    return gap in (" ", "-")


def _judge_run(text: str, run: list[Token], lex: Lexicon) -> list[Finding]:
    names = [t for t in run if t.text.casefold() not in PARTICLES]
    if not names:
        return []
    strict_first = run[0].opener or run[0].shape == "upper"
    flags = [_name_token(lex, t, strict=(t is run[0] and strict_first) or t.shape == "upper") for t in names]
    if run[0].shape == "upper" and (all(len(t.text) <= 3 for t in names) and not all(flags)
                                    or len(names) == 1 and not _mostly_upper(text, run[0].start)):
        return []  # acronyms and constants: API, AWS, LEN (but LI CUI is a name, and so is PRIYA in a form)
    if not any(flags):
        return _unknown_pair(text, names, lex)
    span = _judge_tokens(text, run[0].start, run[-1].end, run, 0, lex, cue=False)
    if span is None:
        return []
    multi = sum(flags) >= 2 or (len(names) >= 2 and flags[0])
    return [Finding("PERSON", span[0], span[1], 0.85 if multi else 0.7, "ner")]


def _mostly_upper(text: str, at: int) -> bool:
    """The line around `at` is written in capitals (a form), not prose with an acronym in it."""
    left = text.rfind("\n", 0, at) + 1
    right = text.find("\n", at)
    letters = [c for c in text[left:right if right != -1 else len(text)] if c.isalpha()]
    return sum(c.isupper() for c in letters) * 2 > len(letters)


def _unknown_pair(text: str, names: list[Token], lex: Lexicon) -> list[Finding]:
    """Two or three capitalised words that no word list knows ("Karlfried Austermühle"): rare names
    look like this; so do some product names, which the technical filter and `judge_span` catch."""
    if not 2 <= len(names) <= 3 or names[0].shape != "title":
        return []
    if any(lex.word_rank(t.text) is not None or len(t.text) < 3 for t in names):
        return []
    span = judge_span(text, names[0].start, names[-1].end, lex)
    return [] if span is None else [Finding("PERSON", span[0], span[1], 0.6, "ner")]


def _lower_case_names(text: str, toks: list[Token], lex: Lexicon) -> Iterable[Finding]:
    """Lower-case names, only where a list of them or a cue says so: lower case is how most
    technical text is written, so one name-like word alone is not enough."""
    yield from _lower_case_lists(text, toks, lex)
    for k, tok in enumerate(toks):
        if tok.shape != "lower":
            continue
        word, end = tok.text, tok.end
        if word[-2:] in ("'s", "’s"):  # "meera's order"
            word, end = word[:-2], end - 2
        if not _cued_name(lex, word):  # the cheap test first: every rare name is a cued name too
            continue
        if not _lower_name_in_context(text, tok.start, end, word, lex):
            continue
        for nxt in toks[k + 1:k + 4] if end == tok.end else ():  # "rahul verma", "ana de la cruz"
            if text[end:nxt.start] != " " or nxt.shape != "lower" or _CUES_AFTER.match(text, end) or not (
                    nxt.text in PARTICLES or _cued_name(lex, nxt.text) or lex.word_rank(nxt.text) is None):
                break  # the name ends where its verb starts: "ravi said"
            end = nxt.end
        yield Finding("PERSON", tok.start, end, 0.7, "ner")


def _lower_name_in_context(text: str, start: int, end: int, word: str, lex: Lexicon) -> bool:
    """Whether a lower-case token that can be a name is one here. Evidence, strongest first: an
    address or introduction before it ("danke lukas", "ask mark"), a verb after it ("tomasz is out"),
    a speaker's place at a line start ("nadia: ..."), a popular first name that is no common word
    in any of the lexicon's languages ("did deepak approve"), or a weaker cue ("with", "mit", "com o")
    before a token that reads as a name by the wide margin."""
    # every test is pure, so the order is only cost: the per-word ones (remembered) and the anchored
    # matches after the token first, the searches of the 40 characters before it last
    if _popular_first_name(lex, word):
        return True
    before = text[max(0, start - 40):start]
    if _CUES_AFTER.match(text, end) and not _determiner_before(before):
        return True
    if name_cues.reply_before(before) or name_cues.strong_before(before) \
            or name_cues.ends_with_cue(_STRONG_CUES_BEFORE, _STRONG_CUE_WIDTH, before, spaces=None,
                                       gate=_STRONG_CUE_ENDS):
        return True
    if not _reads_as_first_name(lex, word):
        return False  # the weaker cues below also surround plain words and surnames-that-are-words
    if _reads_as_first_name_widely(lex, word) and name_cues.AFTER.match(text, end) \
            and not _determiner_before(before):
        return True  # any noun comes before "is" or "hat": a wider margin than the cues before a name
    if name_cues.SPEAKER_AFTER.match(text, end) and name_cues.LINE_START_BEFORE.search(before):
        return True
    return name_cues.weak_before(before) or bool(_rare_name(lex, word) and _NAME_CUES_BEFORE.search(before))


@_per_word
def _reads_as_first_name(lex: Lexicon, word: str) -> bool:
    return _first_name_by_margin(lex, word, margin=20)


@_per_word
def _reads_as_first_name_widely(lex: Lexicon, word: str) -> bool:
    return _first_name_by_margin(lex, word, margin=50)


def _first_name_by_margin(lex: Lexicon, word: str, margin: int) -> bool:
    """A known first name that is no frequent word: popular as a name by `margin`, or rare as a
    word. First names only: the surname lists hold plain words (towing, runner, handler)."""
    rank, as_word = lex.first.get(word.casefold()), lex.word_rank(word)
    return (rank is not None and len(word) >= 3 and word.casefold() not in NOT_NAME_WORDS
            and (as_word is None or rank * margin < as_word or as_word > 12_000))


@_per_word
def _popular_first_name(lex: Lexicon, word: str) -> bool:
    """A first name among the most popular of some country that is at most a rare word in the
    lexicon's ten languages (priya, deepak, kwame): a name wherever it stands in prose. Last names
    do not count here: the surname lists hold many plain words (towing, handler, stack)."""
    rank, as_word = lex.first.get(word.casefold()), lex.word_rank(word)
    return (rank is not None and rank <= POPULAR_FIRST_RANK and len(word) >= 3
            and (as_word is None or as_word > RARE_WORD_RANK) and word.casefold() not in NOT_NAME_WORDS
            and word.casefold() not in TECH_WORDS)


#: measured on both tuning corpora (dev, tune): rank 500 / word rank 8000 changed no negative item,
#: 1000 / 5000 began to take words of technical text (amber, peer, pip); between 8000 and 13000 the
#: popular first names are also English words (trim, wiki, primitive, genesis, fares): 13000
#: loses one name of the tune corpus, which a cue usually gives
POPULAR_FIRST_RANK = 500
RARE_WORD_RANK = 13_000


@_per_word
def _cued_name(lex: Lexicon, word: str) -> bool:
    """After an introduction, a name that is also a word counts unless it is a frequent word."""
    rank, as_word = lex.name_rank(word), lex.word_rank(word)
    return (rank is not None and len(word) >= 2 and word.casefold() not in NOT_NAME_WORDS | _SEPARATOR_WORDS
            and (lex.name_like(word, strict=True) or as_word is None or as_word > 3000))


def _lower_case_lists(text: str, toks: list[Token], lex: Lexicon) -> Iterable[Finding]:
    """'samuel, comfort akinwale and joy': in a list whose items are mostly names, every item's
    name-capable words (a known name, or no known word) are names, even those that are words too."""
    items: list[list[Token]] = []
    lists: list[list[list[Token]]] = []
    joined = False  # the previous token was a separator word ("and", "und", "et"...)
    for k, tok in enumerate(toks):
        if tok.shape != "lower" or tok.text in TECH_WORDS:
            if items:
                items = _close_list(items, lists)
            joined = False
            continue
        gap = text[toks[k - 1].end:tok.start] if k else ""
        if tok.text in _SEPARATOR_WORDS and items and gap == " ":
            joined = True
        elif items and toks[k - 1] is items[-1][-1] and gap == " " and len(items[-1]) < 3:
            items[-1].append(tok)
        elif items and (joined and gap == " " or toks[k - 1] is items[-1][-1] and gap != " "
                        and _LIST_SEPARATOR.match(gap)):  # a lone space separates no list items
            items.append([tok])
            joined = False
        else:
            items, joined = _close_list(items, lists), False
            items = [[tok]]
    _close_list(items, lists)
    for found in lists:
        nameish = [item for item in found if any(_listed_name(lex, t.text) for t in item)]
        all_capable = all(_name_capable(lex, t.text) for item in found for t in item)
        if not (len(nameish) >= 2 and 2 * len(nameish) >= len(found) or all_capable and nameish and len(found) >= 3):
            continue  # a list is of names when most items are, or all could be and one surely is
        for item in found:
            capable = [t for t in item if _name_capable(lex, t.text)]
            if capable:
                yield Finding("PERSON", capable[0].start, capable[-1].end, 0.7, "ner")


@_per_word
def _name_capable(lex: Lexicon, word: str) -> bool:
    """Could be (part of) a name: a known name, or no word of the lexicon's languages."""
    return word not in TECH_WORDS and (lex.name_rank(word) is not None or lex.word_rank(word) is None)


def _close_list(items: list, lists: list) -> list:
    if len(items) >= 2:
        lists.append(items)
    return []


@_per_word
def _listed_name(lex: Lexicon, word: str) -> bool:
    """A list item's word that reads as a name: popular as a name, and not a much more frequent word."""
    rank = lex.name_rank(word)
    as_word = lex.word_rank(word)
    return rank is not None and rank <= 2000 and len(word) >= 3 and word.casefold() not in NOT_NAME_WORDS and (
        lex.name_like(word, strict=True) or as_word is None or as_word > 12_000)


@_per_word
def _rare_name(lex: Lexicon, word: str) -> bool:
    """A popular name that is at most a rare word in the lexicon's languages."""
    rank, as_word = lex.name_rank(word), lex.word_rank(word)
    return (rank is not None and rank <= 1500 and (as_word is None or as_word > 12_000)
            and word.casefold() not in NOT_NAME_WORDS)


def name_parts(name: str, lex: Lexicon | None = None) -> list[str]:
    """The words of a found name worth finding again on their own: 3+ letters, not a particle,
    greeting or common word ("Priya Raman" -> Priya, Raman; "Rose Miller" keeps Rose)."""
    return [name[start:end] for start, end in name_part_spans(name, lex)]


def name_part_spans(name: str, lex: Lexicon | None = None) -> list[tuple[int, int]]:
    """Where `name_parts` are in `name`: offsets, so a cache can hold them without the text."""
    return list(_part_spans(lex or lexicon(), name))


@_per_word
def _part_spans(lex: Lexicon, name: str) -> tuple[tuple[int, int], ...]:
    return tuple((t.start, t.end) for t in tokenize(name) if len(t.text) >= 3 and t.text.casefold() not in PARTICLES
                 and t.text.casefold() not in NOT_NAME_WORDS and not lex.common_word(t.text, top=3000))


def propagation_slot(tok: Token, lex: Lexicon) -> bool:
    """Whether `propagate_names` may redact this token when it is a found name's part: capitalised,
    or lower case but no word of the lexicon's languages."""
    return tok.shape != "lower" or lex.word_rank(tok.text) is None


def propagate_names(text: str, findings: list[Finding], lex: Lexicon | None = None,
                    toks: list[Token] | None = None) -> list[Finding]:
    """Every later or earlier occurrence of a part of a found name ("Priya Raman ... Priya said")."""
    lex = lex or lexicon()
    parts: set[str] = set()
    for f in findings:
        if f.entity_type == "PERSON":
            parts.update(p.casefold() for p in name_parts(text[f.start:f.end], lex))
    if not parts:
        return []
    return [
        Finding("PERSON", t.start, t.end, 0.8, "ner")
        for t in (tokenize(text) if toks is None else toks)
        if t.text.casefold() in parts and (t.shape != "lower" or lex.word_rank(t.text) is None)
    ]


# -- names that a label or a key in the text announces ----------------------------------------

_PERSON_LABEL = (
    r"(?:first|last|given|family|full|middle|sur|maiden|display|contact|customer|patient|account[ _-]?holder|"
    r"card[ _-]?holder|recipient|sender|guest|passenger|employee|applicant|user|agent|client|member|owner)"
    r"[ _-]?name|vorname|nachname|familienname|prénom|nom de famille|nombre(?: completo)?|apellidos?|"
    r"nome(?: completo)?|sobrenome|cognome|voornaam|achternaam|pura naam"
)
#: "Last name: le Gallen", "NAME: PING CUI", "Vorname: Jürgen": the rest of the field is a name
_LABELLED = re.compile(
    rf"(?im)(?:^|[\n;|,] ?)[ \t]*(?P<label>{_PERSON_LABEL}|name|nom|naam|naam)[ \t]*[:=][ \t]*"
    rf"(?P<value>[^\W\d_][^\n;|:=<>{{}}\[\]\\/@\d]{{0,60}}?)[ \t]*(?=$|[\n;|]|, ?[^\W\d_]+[ \w]{{0,20}}:)"
)
#: logfmt and key=value log lines: "by agent=Tania", "assignee=Łukasz"
_KEYED = re.compile(
    r"\b(?:agent|user|username|user_name|name|customer|owner|assignee|author|reviewer|requester|operator|"
    r"employee|contact|recipient|sender|patient|driver|rider|guest|approver|submitter)=\"?"
    r"(?P<value>[^\W\d_][^\W\d_'’.\-]*(?:[ .'’\-][^\W\d_]+){0,3})\"?(?=$|[\s,;&])"
)


def labelled_names(text: str) -> list[Finding]:
    """PERSON findings for values that a field label ("Last name:") or a log key ("agent=") names.

    A bare `name:` label also heads technical values ("name: checkout-service"), so there the value
    must be written like a name: capitalised or ALL CAPS words, nothing hyphenated in lower case.
    """
    out: list[Finding] = []
    if "=" not in text and ":" not in text:
        return out  # both forms have their ":" or "=": most prose has neither
    for m in _LABELLED.finditer(text):
        value = m.group("value").rstrip(" .")
        if not value or (m.group("label").casefold() in ("name", "nom", "naam") and not _written_like_a_name(value)):
            continue
        start = m.start("value")
        out.append(Finding("PERSON", start, start + len(value), 0.85, "ner"))
    for m in _KEYED.finditer(text) if "=" in text else ():
        out.append(Finding("PERSON", m.start("value"), m.end("value"), 0.8, "ner"))
    return out


def _written_like_a_name(value: str) -> bool:
    words = value.split()
    return 1 <= len(words) <= 5 and all(
        w[:1].isupper() or w.casefold() in PARTICLES for w in words
    ) and not any(w.casefold() in TECH_WORDS for w in words)
