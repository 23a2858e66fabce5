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
_STRONG_CUE = rf"(?:^|[^\w'’])(?:{_THANKS}|{_GREETINGS}|{_REQUESTS}|{_IDENTITY}|{_RELATIONS}|{_QUESTIONS})[:,.!]?"
#: a person's name comes next (the regex ends where the token starts)
STRONG_BEFORE = re.compile(rf"(?:{_STRONG_CUE}[ \t]+|@)$", re.IGNORECASE)
#: a reply that turns to the person: "Sure, hamza." (with its comma: "ok mark the task done" is no address)
_REPLIES = (
    r"sure|ok|okay|yes|yep|yeah|no worries|no problem|of course|got it|noted|absolutely|great|perfect|"
    r"klar|natürlich|genau|gerne|bien sûr|d'accord|parfait|claro|por supuesto|vale|perfecto|certo|"
    r"com certeza|beleza|certamente|perfetto|zeker|prima|oké|haan|ji haan|theek hai|thik hai"
)
_REPLY_CUE = rf"(?:^|[^\w'’])(?:{_REPLIES}),"
REPLY_BEFORE = re.compile(rf"{_REPLY_CUE}[ \t]+$", re.IGNORECASE)
#: these precede names and things alike; one-letter words only in lower case ("com o joão", "a fernanda
#: disse"), and never across a line break ("Tesla Model Y\ntowing capacity")
WEAK_BEFORE = re.compile(
    r"(?:^|[^\w'’])(?:(?i:with|w/|to|from|by|for|cc|attn|owner|assignee|reviewer|mit|von|für|an|avec|pour|"
    r"par|de|con|para|por|com|per|da|met|aan|voor|van|door|ko|se|ke|ki|ka|"
    r"says|said|wrote|asked|sagt|dit|dice|diz|dijo|disse|zegt)|o|a)[:,]?[ \t]+$"
)
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


def ends_with_cue(regex: re.Pattern, cue_width: int | None, before: str, spaces: str | None = " \t") -> bool:
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
    if cue_width is None:
        return regex.search(before) is not None
    cue_end = len(tail.rstrip(spaces))
    return regex.search(before, max(0, cue_end - cue_width)) is not None


_STRONG_WIDTH = widest(_STRONG_CUE, re.IGNORECASE)
_REPLY_WIDTH = widest(_REPLY_CUE, re.IGNORECASE)


def strong_before(before: str) -> bool:
    """`STRONG_BEFORE.search(before)`, from the end of `before` (`ends_with_cue`); "@" is its other ending."""
    if before.endswith("@") or before.endswith("@\n"):
        return STRONG_BEFORE.search(before) is not None
    return ends_with_cue(STRONG_BEFORE, _STRONG_WIDTH, before)


def reply_before(before: str) -> bool:
    """`REPLY_BEFORE.search(before)`, from the end of `before` (`ends_with_cue`)."""
    return ends_with_cue(REPLY_BEFORE, _REPLY_WIDTH, before)
