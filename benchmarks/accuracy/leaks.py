"""What a user gets: is a planted value, or a piece of it, still in the scrubbed output?

- verbatim leak: the planted value is in the output as written (not inside a
  longer word or number);
- partial leak: a significant piece of it is (a name token of >= 2 letters
  that is not a stop word or title, a street-name word, a postcode, a run of
  >= 4 digits of a number, >= 4 characters of a key). A piece counts only if it
  occurs in the output more often than in the input with every planted value
  cut out, so a word the item uses elsewhere ("Paris" in "the Paris office" and
  in a planted address) is not blamed on the scrubber;
- a negative item is changed when its output differs from its input (JSON
  carriers are compared parsed, so key order and escaping do not count).

Pseudonyms and redaction tags (`<PERSON:in-1:5f1c9e07b2a4>`, `<PHONE_NUMBER>`)
are cut out of the output first: their hex digits are not a leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from benchmarks.accuracy.items import Planted

TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*(?::[^<>\s]*)?>")

def _usps_suffixes() -> list[str]:
    """The USPS street suffixes (Alley, Drives, Hollow...), as Faker's en_US address provider ships them."""
    try:
        from faker.providers.address.en_US import Provider
    except ImportError:
        return []
    return list(Provider.street_suffixes)


#: name tokens that say nothing on their own: titles, particles, honorifics
NAME_STOP = frozenset("""
mr mrs ms miss mx dr prof sir madam madame mme mlle monsieur herr frau sr sra srta don dona doña dom
sig sig.ra signora signor shri smt sri kumari ji san sama kun chan bhai ben bey hanim
de da do dos das del della di du la le van von der den ter ten zu y e bin bint ibn al el abu
jr sr ii iii iv phd md mba msc eng
""".split())

#: words of a street line that are not a leak on their own
STREET_STOP = frozenset("""
street st road rd avenue ave av avenida av. boulevard blvd lane ln drive dr court ct place pl square sq
way terrace close crescent highway hwy parkway pkwy circle cir apt apartment suite ste unit floor fl flat
building bldg block house no nr number
strasse straße str weg gasse platz allee ring damm ufer chaussee
rue avenue allée chemin impasse place quai cours boulevard bd bis ter
calle carrera paseo plaza camino colonia col piso puerta
rua travessa praça largo estrada alameda rodovia bairro apto andar casa lote sítio sitio fazenda chácara vila
conjunto quadra núcleo vereda passagem
peatonal privada cerrada diagonal circuito retorno andador callejón prolongación periférico eje calzada interior
studio
via viale piazza corso vicolo largo
straat laan plein weg gracht kade singel
ulica ul aleja al osiedle os plac
marg nagar road lane colony sector phase main cross layout society flat tower
the and of at in on
""".split()) | frozenset(w.lower() for w in _usps_suffixes())

#: words of a city name that name no place on their own
CITY_STOP = frozenset("""
north south east west new old upper lower great little saint st ste san santa santo são sao bad lake port mount
fort city town village do da de del la le les los las el sur am im an der bei upon on nord sud süd ost oeste leste
norte sul altos bajos alto bajo nuevo nueva novo nova viejo vieja velho
""".split())

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_ALNUM = re.compile(r"[A-Za-z0-9]+")


@dataclass
class ValueResult:
    planted: Planted
    verbatim: bool
    partial: bool
    leaked: list[str] = field(default_factory=list)


def strings_of(value: Any) -> list[str]:
    """The string leaves of a carrier value (dict values, not keys)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return [str(value)]


def haystack(value: Any) -> str:
    """The output's text with each pseudonym shortened to its type (`<PERSON>`): no hex digits left."""
    return TOKEN.sub(lambda m: m.group(0).split(":", 1)[0].rstrip(">") + ">", "\n".join(strings_of(value)))


def _bounded(piece: str, flags: int = 0) -> re.Pattern:
    left = r"(?<![^\W_])" if piece[:1].isalnum() else ""
    right = r"(?![^\W_])" if piece[-1:].isalnum() else ""
    return re.compile(left + re.escape(piece) + right, flags)


def occurs(piece: str, text: str, ignore_case: bool = False) -> int:
    return len(_bounded(piece, re.IGNORECASE if ignore_case else 0).findall(text))


def pieces(planted: Planted) -> list[tuple[str, bool]]:
    """The significant pieces of a planted value, each with whether to match it ignoring case."""
    value, category = planted.value, planted.category
    if category.startswith("PERSON"):
        return [(w, True) for w in _WORD.findall(value) if w.lower() not in NAME_STOP]
    if category == "STREET_ADDRESS":
        words = [(w, True) for w in _WORD.findall(value) if len(w) >= 3 and w.lower() not in STREET_STOP]
        return words + [(d, False) for d in digit_runs(value)]
    if category == "CITY":
        return [(w, True) for w in _WORD.findall(value) if len(w) >= 3 and w.lower() not in CITY_STOP]
    if category == "POSTCODE":
        return [(p, True) for p in _ALNUM.findall(value) if len(p) >= 3]
    if category == "EMAIL_ADDRESS":
        local = value.split("@", 1)[0]
        return [(local, True)] if len(local) >= 3 else []
    if category == "IP_ADDRESS":
        return []
    if category == "API_KEY":
        return [(p, False) for p in _ALNUM.findall(value) if len(p) >= 8]
    if category in ("IN_PAN", "USER_ID", "ACCOUNT_NUMBER"):
        runs = [(p, False) for p in _ALNUM.findall(value) if len(p) >= 4 and any(ch.isdigit() for ch in p)]
        return runs + [(d, False) for d in digit_runs(value) if all(d != p for p, _ in runs)]
    if category == "PHONE_NUMBER":  # the country code and trunk prefix say nothing about the subscriber
        value = re.sub(r"^\s*(?:\+|00)\d{1,3}[\s.-]*(?:\(0\)\s*)?", "", value)
    return [(d, False) for d in digit_runs(value)]


def digit_runs(value: str) -> list[str]:
    """Runs of >= 4 digits as written: a group of >= 4 digits, or consecutive shorter groups
    (with their separators) that together have 4 ("06 12 34 56 78" gives "06 12", "34 56"...)."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", value)]
    runs = []
    for i, (start, end) in enumerate(groups):
        if end - start >= 4:
            runs.append(value[start:end])
            continue
        digits, j = end - start, i
        while digits < 4 and j + 1 < len(groups) and groups[j + 1][0] - groups[j][1] <= 2 \
                and groups[j + 1][1] - groups[j + 1][0] < 4:
            j += 1
            digits += groups[j][1] - groups[j][0]
        if digits >= 4:
            runs.append(value[start:groups[j][1]])
    return list(dict.fromkeys(runs))


def baseline_text(source: str, planted: list[Planted]) -> str:
    """The input with every planted value cut out: what may legitimately stay."""
    for value in sorted({p.value for p in planted}, key=len, reverse=True):
        source = source.replace(value, " ")
    return source


#: categories whose value is a number: any run of >= 4 of its digits left in the output is a leak
NUMERIC = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IN_AADHAAR", "BR_CPF", "CN_RESIDENT_ID",
                     "DATE_OF_BIRTH", "ACCOUNT_NUMBER", "USER_ID", "POSTCODE", "STREET_ADDRESS"})
_RUN = re.compile(r"\d{4,}")


def _digit_leaks(value: str, output: str, base: str) -> list[str]:
    """Digit runs of the output that are a piece of the value's digits (a number cut in two by a
    detection that matched only part of it leaves such a run behind)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) < 4:
        return []
    base_runs = _RUN.findall(base)
    return [r for r in dict.fromkeys(_RUN.findall(output)) if r in digits and _RUN.findall(output).count(r)
            > base_runs.count(r)]


def judge(planted: list[Planted], source: str, output: str) -> list[ValueResult]:
    """Verbatim and partial leak of each planted value of one item."""
    base = baseline_text(source, planted)
    results = []
    for p in planted:
        verbatim = occurs(p.value, output) > 0
        leaked = [piece for piece, ic in pieces(p) if occurs(piece, output, ic) > occurs(piece, base, ic)]
        if p.category in NUMERIC:
            leaked += [r for r in _digit_leaks(p.value, output, base) if r not in leaked]
        results.append(ValueResult(p, verbatim, verbatim or bool(leaked), leaked))
    return results


def context(output: str, needle: str, width: int = 60) -> str:
    """The local context of a leak, for --show-leaks on the dev corpus."""
    m = _bounded(needle, re.IGNORECASE).search(output)
    if m is None:
        return ""
    start, end = max(0, m.start() - width), min(len(output), m.end() + width)
    return output[start:end].replace("\n", " / ")
