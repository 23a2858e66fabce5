"""Checksum and structure validators for pattern candidates.

A regex only finds candidates; these functions decide. Each takes the matched
value plus the whole text and the span (some need the surroundings, e.g. to
tell an IP address from a version number) and returns True to accept. They are
referred to by name from the pattern table, so custom patterns declared in YAML
can reuse them.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import Callable

from stdnum.br import cnpj as _cnpj
from stdnum.br import cpf as _cpf
from stdnum.cn import ric as _cn_ric

from scrubber.detection.addresses import address_line, field_value, nl_postcode, postcode_in_address, street_line
from scrubber.detection.phones import make_phone_validator
from scrubber.detection.shapes import NON_ALNUM as _NON_ALNUM
from scrubber.detection.shapes import consistent_separators as _consistent_separators
from scrubber.detection.shapes import digits, wants_context
from scrubber.detection.shapes import numeric_neighbours as _numeric_neighbours

#: (value, text, start, end) -> accept; a validator marked `wants_context` takes a fifth
#: argument, whether a context word is near (see shapes.wants_context)
Validator = Callable[..., bool]


def luhn_ok(number: str) -> bool:
    total, parity = 0, len(number) % 2
    for i, ch in enumerate(number):
        d = ord(ch) - 48
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# -- payment cards ---------------------------------------------------------------------------

def card_brand(number: str) -> str | None:
    """The brand whose prefix and length fit `number`, or None. Ranges per ISO/IEC 7812 issuers."""
    n, p2, p3, p4, p6 = len(number), int(number[:2]), int(number[:3]), int(number[:4]), int(number[:6])
    if number[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return "discover"
    if (3528 <= p4 <= 3589 and 16 <= n <= 19) or (p4 in (2131, 1800) and n == 15):
        return "jcb"
    if (300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095) and 14 <= n <= 19:
        return "diners"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if (p2 == 50 or 56 <= p2 <= 69 or p4 == 604) and 12 <= n <= 19:
        return "maestro"
    return None


_CARD_GROUPS = re.compile(r"^\d{4}([ \-])\d{4}\1\d{4}\1\d{3,4}$|^\d{4}([ \-])\d{6}\2\d{5}$")


@wants_context
def credit_card(value: str, text: str, start: int, end: int, context: bool = False) -> bool:
    """Luhn plus a known issuer's prefix and length; when in doubt, a card anyway: a Luhn-valid
    13-19 digit number after a card word, or a Luhn-valid 15/16-digit number grouped like a card
    (4-4-4-4, 4-6-5), is one whatever its issuer (new BIN ranges, private-label cards)."""
    number = digits(value)
    if not 12 <= len(number) <= 19 or not _consistent_separators(value):
        return False
    if len(set(number)) < 2 or not luhn_ok(number):  # 0000 0000 0000 0000 style fillers
        return False
    if card_brand(number) is not None:
        return True
    if context and len(number) >= 13:
        return True
    return _CARD_GROUPS.match(value) is not None


credit_card.plausible = lambda value: 12 <= sum(map(str.isdigit, value)) <= 19


# -- IBAN ------------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def iban(value: str, text: str, start: int, end: int) -> bool:
    code = _NON_ALNUM.sub("", value).upper()
    if IBAN_LENGTHS.get(code[:2]) != len(code):
        return False
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# -- network ---------------------------------------------------------------------------------

_VERSION_WORDS = re.compile(
    r"(?:\bv|version|release|build|\bver\.?|firmware|\bfw|kernel|driver|\bsdk|agent|bios|patch|\brev(?:ision)?|"
    r"update[ds]?|upgraded?(?: to)?|\bos|\bios|android|chrome|firefox|runtime|image|tag|section|chapter|"
    r"clause|§|rfc ?\d*|[<>=~!]=|\^|~)(?: to| is| from| of)?[\s:=\-_]*$",
    re.IGNORECASE,
)
_VERSION_SUFFIX = re.compile(r"^(?:-(?:rc|beta|alpha|dev|snapshot|release)|\+(?:build|git)|\.(?:x|\d+))", re.I)


def ipv4(value: str, text: str, start: int, end: int) -> bool:
    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        return False
    if _numeric_neighbours(text, start, end):
        return False
    # "version 10.0.0.1", "firmware 3.1.86.2", "4.2.0.1-rc1": a version string, not an address
    if _VERSION_SUFFIX.match(text[end:end + 9]):
        return False
    return not _VERSION_WORDS.search(text[max(0, start - 24):start])


def ipv6(value: str, text: str, start: int, end: int) -> bool:
    if value.count(":") < 2 or len(value) < 6:
        return False
    before, after = text[start - 1:start], text[end:end + 1]
    if before and (before.isalnum() or before in ":_") or after and (after.isalnum() or after in ":_"):
        return False
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not (addr.is_loopback or addr.is_unspecified or addr.is_multicast)


# -- national identifiers ------------------------------------------------------------------

_SSN_FAKES = {"123456789", "078051120", "219099999"}


@wants_context
def us_ssn(value: str, text: str, start: int, end: int, context: bool = False) -> bool:
    """SSA rules. The well-known fakes (123-45-6789, Woolworth's 078-05-1120) are refused alone but
    taken after an SSN word: whoever writes "my SSN is 123-45-6789" means it as one."""
    number = digits(value)
    if len(number) != 9 or not _consistent_separators(value) or number in _SSN_FAKES and not context:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    if area in ("000", "666") or area >= "900" or group == "00" or serial == "0000":
        return False
    return not _numeric_neighbours(text, start, end)


_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def uk_nino(value: str, text: str, start: int, end: int) -> bool:
    code = _NON_ALNUM.sub("", value).upper()
    return len(code) == 9 and code[:2] not in _NINO_BAD_PREFIX


def uk_nhs(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if len(number) != 10 or not _consistent_separators(value) or _numeric_neighbours(text, start, end):
        return False
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(number[9])


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_ok(number: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def in_aadhaar(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if len(number) != 12 or number[0] in "01" or not _consistent_separators(value):
        return False
    if number == number[::-1] or _numeric_neighbours(text, start, end):
        return False
    return verhoeff_ok(number)


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif(value: str, text: str, start: int, end: int) -> bool:
    code = _NON_ALNUM.sub("", value).upper()
    body = code[:-1]
    if body[0] in "XYZ":
        body = str("XYZ".index(body[0])) + body[1:]
    return body.isdigit() and _NIF_LETTERS[int(body) % 23] == code[-1]


_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
                    2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))


def it_fiscal_code(value: str, text: str, start: int, end: int) -> bool:
    code = value.upper()
    total = 0
    for i, ch in enumerate(code[:15]):
        if i % 2 == 0:
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + total % 26) == code[15]


def nl_bsn(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if len(number) != 9 or _numeric_neighbours(text, start, end):
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], range(9, 1, -1))) - int(number[8])
    return total % 11 == 0 and number != "000000000"


def pl_pesel(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if len(number) != 11 or _numeric_neighbours(text, start, end):
        return False
    month = int(number[2:4]) % 20
    if not 1 <= month <= 12 or not 1 <= int(number[4:6]) <= 31:
        return False
    total = sum(int(d) * w for d, w in zip(number[:10], (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)))
    return (10 - total % 10) % 10 == int(number[10])


def fr_nir(value: str, text: str, start: int, end: int) -> bool:
    code = _NON_ALNUM.sub("", value).upper()
    if len(code) != 15:
        return False
    body = code[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not code[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(code[13:])


def de_tax_id(value: str, text: str, start: int, end: int) -> bool:
    """Steuerliche Identifikationsnummer: ISO 7064 MOD 11,10 and its digit-repetition rule."""
    number = digits(value)
    if len(number) != 11 or number[0] == "0" or _numeric_neighbours(text, start, end):
        return False
    counts = sorted((number[:10].count(d) for d in set(number[:10])), reverse=True)
    if counts[0] not in (2, 3) or counts[1:] and counts[1] > 1:
        return False
    product = 10
    for ch in number[:10]:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    return (11 - product) % 10 == int(number[10])


def br_cpf(value: str, text: str, start: int, end: int) -> bool:
    """Brazilian CPF: two mod-11 check digits (python-stdnum), repeated-digit fillers rejected."""
    return not _numeric_neighbours(text, start, end) and _cpf.is_valid(value)


def br_cnpj(value: str, text: str, start: int, end: int) -> bool:
    return not _numeric_neighbours(text, start, end) and _cnpj.is_valid(value)


def cn_ric(value: str, text: str, start: int, end: int) -> bool:
    """Chinese resident identity card: ISO 7064 MOD 11-2 (python-stdnum), a real birth date and a
    province code 11-82. stdnum's own `is_valid` also wants the county in its table, which lacks
    real districts (440305, Shenzhen Nanshan), so that part is left out."""
    number = value.upper()
    if _numeric_neighbours(text, start, end) or not 11 <= int(number[:2]) <= 82:
        return False
    try:
        _cn_ric.get_birth_date(number)
    except Exception:  # stdnum raises its own ValidationError subclasses or ValueError
        return False
    return _cn_ric.calc_check_digit(number) == number[-1]


# -- free-text references: dates of birth, account / customer / passport numbers -----------

_DATE_NUMERIC = re.compile(r"^(\d{1,4})[./\- ](\d{1,2})[./\- ](\d{2,4})$")
_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})\s*$")


def _full_year(year: int) -> int:
    if year > 99:
        return year
    return year + (1900 if year > date.today().year % 100 else 2000)


def date_of_birth(value: str, text: str, start: int, end: int) -> bool:
    """A plausible calendar date: day 1-31, month 1-12 (either order), a year of the last 130."""
    this_year = date.today().year
    m = _DATE_NUMERIC.match(value.strip())
    if m:
        g1, g2, g3 = m.groups()
        if len(g1) == 4:
            year, pairs = int(g1), [(int(g3), int(g2))]
        else:
            year, pairs = _full_year(int(g3)), [(int(g1), int(g2)), (int(g2), int(g1))]
        plausible = any(1 <= day <= 31 and 1 <= month <= 12 for day, month in pairs)
        return plausible and this_year - 130 <= year <= this_year
    y = _YEAR.search(value)
    if y is None:
        return False
    days = [int(d) for d in re.findall(r"(?<!\d)\d{1,2}(?!\d)", value[:y.start()])]
    return this_year - 130 <= _full_year(int(y.group(1))) <= this_year and all(1 <= d <= 31 for d in days)


def birth_year_date(value: str, text: str, start: int, end: int) -> bool:
    """A calendar date whose year a living adult or teenager was born in (12 to 110 years ago), not
    glued to other digits, dots or a time ("2026-11-28T10:13", "v1.03.04.1990").

    Without a "born" word a date is still redacted when in doubt: telemetry's own dates (timestamps,
    releases, deadlines) are recent, a person's birth date is not.
    """
    before = text[start - 1:start] if start else ""
    after = text[end:end + 2]
    if before and before in "0123456789:.-/" or after[:1] and after[:1] in "0123456789:-/" \
            or after[:1] == "." and after[1:2].isdigit() or after[:1] == "T" and after[1:2].isdigit():
        return False
    if not date_of_birth(value, text, start, end):
        return False
    years = [int(y) for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", value)]
    if not years:
        m = _DATE_NUMERIC.match(value.strip())
        years = [_full_year(int(m.group(3)))] if m and len(m.group(3)) == 2 else []
    this_year = date.today().year
    return len(years) == 1 and this_year - 110 <= years[0] <= this_year - 12


#: a noun one or two words before the value (after the account word) that makes it a property of a system
#: or an amount: `account tier limits: 100000`, `customer service is 50051`, `policy engine evaluates 5000`
_MACHINE_NOUN_BEFORE = re.compile(
    r"\b(?:service|services|svc|port|tier|tiers|limit|limits|quota|count|counts|version|v|release|api|app|sdk|lib|"
    r"portal|team|plan|plans|size|balance|amount|total|sum|fee|fees|segment|level|type|status|table|db|database|"
    r"cluster|group|queue|topic|job|jobs|pool|schema|index|test|tests|suite|requests|rps|ms|page|pages|row|rows|"
    r"column|shard|partition|replica|replicas|node|pod|build|region|zone|engine|template|rule|rules|value|"
    r"function|method|class|object|model|score|rate|price|cost|budget|revenue|spend|discount|timeout|retries|"
    r"retry|ttl|interval|delay|latency|duration|threads|workers|connections|max|min|memory|cpu|bytes|kb|mb|gb)"
    r"(?:\s+[a-z]{2,14})?(?:\s+(?:is|was|ist|est|es|é|è|hai|are))?[\s:=#\-\"']*$",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{1,2}$|^\d+[.,]\d{1,2}$")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d$")
#: 2.14.0, 1.18.3: a version, unless a number word says it is one (`polisnummer 33.22.118.04`)
_VERSION = re.compile(r"^v?\d{1,2}(?:\.\d{1,3}){1,3}$", re.IGNORECASE)
_NUMBER_WORD_BEFORE = re.compile(r"(?:number|nummer|numéro|número|numero|no\.?|nr\.?|n[°º]|#|id|sankhya)\W{0,4}$",
                                 re.IGNORECASE)


def _reference_shape(value: str) -> bool:
    """Enough digits to be a reference, and not an amount or a year alone."""
    n = len(digits(value))
    if not (n >= 4 or (n >= 2 and len(value) >= 6)):
        return False
    return not (_AMOUNT.match(value) or _YEAR_ONLY.match(value))


def reference_number(value: str, text: str, start: int, end: int) -> bool:
    """An account / customer / policy / order number after its word: enough digits to be one, not an
    amount, a year or a version, and not a number a machine noun names (`account service port 8443`)."""
    if not _reference_shape(value):
        return False
    before = text[max(0, start - 40):start]
    if _MACHINE_NOUN_BEFORE.search(before):
        return False
    return not (_VERSION.match(value) and not _NUMBER_WORD_BEFORE.search(before))


#: the word after `is my account`: a machine noun makes the number a property (`is the account service port`)
_MACHINE_NOUN_AFTER = re.compile(r"^\s*(?:[-_]?(?:service|services|api|app|port|tier|team|limit|quota|count|page|"
                                 r"table|db|id column|plan|portal|region|cluster))\b", re.IGNORECASE)
_ACCOUNT_WORD_END = re.compile(r"\b(?:account|acct|konto|compte|cuenta|conta|conto|rekening|khata|customer|client|"
                               r"member|policy|contract|subscriber|nummer|number|numéro|número|numero)\w*",
                               re.IGNORECASE)


def reference_before_word(value: str, text: str, start: int, end: int) -> bool:
    """`4471 0093 is my account`: the reference shape, and no machine noun after the account word."""
    if not _reference_shape(value) or _VERSION.match(value):
        return False
    if start and text[start - 1] in ".-_/:#=+":
        return False  # the tail of a longer token: `build-2024 is the account ...`
    tail = text[end:end + 80]
    m = _ACCOUNT_WORD_END.search(tail)
    return m is None or _MACHINE_NOUN_AFTER.match(tail[m.end():]) is None


def user_number(value: str, text: str, start: int, end: int) -> bool:
    """A user's number after `user`/`uid`: at least 5 digits (`uid=0`, `user 3 of 12` stay), or a mixed
    id with 4; not an amount, a version or a machine noun's number."""
    n = len(digits(value))
    if n < 4 or (value.isdigit() and n < 5):
        return False
    return reference_number(value, text, start, end)


#: handle segments that name a system, not a person: `login: auth.service`, `user: svc_deploy`
_SYSTEM_SEGMENTS = frozenset((
    "service", "server", "svc", "api", "auth", "admin", "root", "system", "sys", "default", "config", "test",
    "prod", "dev", "staging", "app", "bot", "user", "users", "id", "name", "ci", "cd", "deploy", "worker", "job",
    "db", "self", "this", "os", "env", "guest", "anonymous", "null", "none", "true", "false", "gpt", "llm",
))


def user_handle(value: str, text: str, start: int, end: int) -> bool:
    """A login handle after its word: a digit in it (jdoe_88, jdupont42) or an initial joined by `.`/`_`
    (k.tanaka, j_doe); plain words (`login: successful`), system names and code paths stay."""
    value = value.lstrip("@")
    if len(value) < 4 or sum(ch.isalpha() for ch in value) < 2 or value.isupper():
        return False
    segments = [seg for seg in re.split(r"[._]", value.lower()) if seg]
    if any(seg.rstrip("0123456789") in _SYSTEM_SEGMENTS for seg in segments):
        return False
    if any(ch.isdigit() for ch in value):
        return not _VERSION.match(value)
    return len(segments) >= 2 and any(len(seg) <= 2 for seg in segments)


_MACHINE_NUMBER_BEFORE = re.compile(
    r"\b(?:build|builds|version|release|rev|revision|port|pid|job|run|step|batch|ticket|issue|pr|commit|sku|"
    r"trace|span|request|req|thread|line|page|item|items|row|rows|offset|epoch|timestamp|ts|seq|sequence|"
    r"invoice|order|orders|shard|partition|bytes|size|count|total|id|(?:created|updated|modified|expires|"
    r"expired|sent|received)(?: at| on)?)\W{0,3}$",
    re.IGNORECASE,
)


def bare_account_number(value: str, text: str, start: int, end: int) -> bool:
    """A bare digit run near an account word, but not part of a longer token (a dotted version, a
    time, a decimal, `build-20261130`), not a date written YYYYMMDD, and not a number that a machine
    noun right before it names (`build 20261130`, `epoch 1700000000`)."""
    before, after = text[start - 1:start] if start else "", text[end:end + 2]
    if (before and before in ".-_:/+=#") or (after[:1] in ".:" and after[1:2].isdigit()) or after[:1] in ("-", "_"):
        return False
    if len(value) == 8 and value[:2] in ("19", "20") and 1 <= int(value[4:6]) <= 12 and 1 <= int(value[6:]) <= 31:
        return False
    return _MACHINE_NUMBER_BEFORE.search(text[max(0, start - 24):start]) is None


_ID_PREFIX = re.compile(r"^[A-Za-z]+[-_/]?")
_DIGIT_GROUPS = re.compile(r"^\d+(?:[-/]\d+)*$")
_ISO_DATE_TAIL = re.compile(r"^(?:19|20)\d\d[-/]?(?:0[1-9]|1[0-2])(?:[-/]?(?:0[1-9]|[12]\d|3[01]))?$")


def prefixed_id(value: str, text: str, start: int, end: int) -> bool:
    """`CUST-3387169`, `AC82087555`, `usr_aiztj1l5zkom`: digits only (5 or more) after the prefix,
    also in groups (`ACC-00931-7781`, `CUST/2024/00918`), or a mixed token of 8 or more characters
    after `-`/`_` (random ids have few digits)."""
    tail = _ID_PREFIX.sub("", value, count=1) if not value[:1].isdigit() else value
    sep = len(value) > len(tail) and value[len(value) - len(tail) - 1] in "-_/"
    if _DIGIT_GROUPS.match(tail):
        return len(digits(tail)) >= 5 and not _ISO_DATE_TAIL.match(tail)  # client-2024-11-30 is a backup's date
    if "-" in tail or "/" in tail:
        return False  # a path or a name in parts (`policy/2024/rules`, `sub-2-eu-west`), not one id
    return sep and len(tail) >= 8 and any(ch.isdigit() for ch in tail) and any(ch.isalpha() for ch in tail)


def passport_number(value: str, text: str, start: int, end: int) -> bool:
    compact = _NON_ALNUM.sub("", value)
    return 6 <= len(compact) <= 12 and len(digits(compact)) >= 4


# -- secrets --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^(?:[$<{%]|\*+$|x+$|\.\.\.|none$|null$|true$|false$|changeme$|redacted)", re.I)


#: source code, not a value: a call, a dotted attribute path (`feature_flag.key`, `self._x`), a type
_CODE_VALUE = re.compile(
    r"[()\[\]]|^(?:self|cls|this|os|env)\.|^[A-Za-z_]+(?:\.[A-Za-z_]+)+$|^_?[A-Z]+(?:_[A-Z]+)+$|"
    r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+$"
)
#: letters only, in words: ChannelCredentials, correct_horse is a word list too but rare; ids are mixed
_WORDS_ONLY = re.compile(r"^(?:[A-Z]?[a-z]+)(?:[A-Z][a-z]+|_[a-z]+)*$")


def secret_value(value: str, text: str, start: int, end: int) -> bool:
    """Accept a `password=...`/`api_key: ...` value unless it is a placeholder or a plain word."""
    if _PLACEHOLDER.match(value) or _CODE_VALUE.search(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    has_alpha = any(ch.isalpha() for ch in value)
    return has_alpha and (has_digit or len(value) >= 16 and not _WORDS_ONLY.match(value))


def token_entropy(value: str, text: str, start: int, end: int) -> bool:
    """API keys mix letters and digits; `sk-learn-...` words do not."""
    tail = value.split("-", 1)[-1] if value.startswith("sk-") else value
    return any(ch.isdigit() for ch in tail) and any(ch.isalpha() for ch in tail)


def email(value: str, text: str, start: int, end: int) -> bool:
    if "://" in text[text.rfind(" ", 0, start) + 1:start]:
        return False  # user info of a URL (postgres://app@db.internal), not a mailbox
    local, _, domain = value.rpartition("@")
    if not local or ".." in value or local[0] == "." or local[-1] == ".":
        return False
    labels = domain.split(".")
    # all-digit domains exist and are common (163.com, 126.com, 123.com): only the TLD must be letters
    return all(labels) and not labels[-1].isdigit()


def always(value: str, text: str, start: int, end: int) -> bool:
    return True


DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "IN")

VALIDATORS: dict[str, Validator] = {
    "address_field": field_value,
    "address_line": address_line,
    "always": always,
    "postcode_in_address": postcode_in_address,
    "nl_postcode": nl_postcode,
    "prefixed_id": prefixed_id,
    "br_cnpj": br_cnpj,
    "br_cpf": br_cpf,
    "cn_ric": cn_ric,
    "date_of_birth": date_of_birth,
    "birth_year_date": birth_year_date,
    "passport_number": passport_number,
    "reference_number": reference_number,
    "reference_before_word": reference_before_word,
    "user_number": user_number,
    "user_handle": user_handle,
    "bare_account_number": bare_account_number,
    "credit_card": credit_card,
    "de_tax_id": de_tax_id,
    "email": email,
    "es_nif": es_nif,
    "fr_nir": fr_nir,
    "iban": iban,
    "in_aadhaar": in_aadhaar,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "it_fiscal_code": it_fiscal_code,
    "luhn": lambda value, text, start, end: luhn_ok(digits(value)),
    "nl_bsn": nl_bsn,
    "phone": make_phone_validator(DEFAULT_PHONE_REGIONS),
    "phone_bare": make_phone_validator(DEFAULT_PHONE_REGIONS, bare=True),
    "pl_pesel": pl_pesel,
    "secret_value": secret_value,
    "street_line": street_line,
    "token_entropy": token_entropy,
    "uk_nhs": uk_nhs,
    "uk_nino": uk_nino,
    "us_ssn": us_ssn,
}


def _email_reach(text: str, start: int, end: int) -> tuple[int, int]:
    """`email` reads back to the space before the span; without one, to the start of whatever text holds it."""
    space = text.rfind(" ", 0, start)
    return (space if space >= 0 else -(1 << 62)), end


#: How far each validator reads the text around its span: (characters before `start`, characters after
#: `end`), or a function `(text, start, end) -> (lo, hi)` of the indices it reads. `pattern_units` judges
#: a candidate inside one paragraph only when this range lies inside the paragraph, so an entry that is
#: too small is a leak: `tests/detection/test_pattern_units.py` checks each against changed surroundings.
LOOK_AROUND: dict[str, tuple[int, int] | Callable[[str, int, int], tuple[int, int]]] = {
    "address_field": (48, 0),
    "address_line": (2, 0),
    "always": (0, 0),
    "postcode_in_address": (200, 0),
    "nl_postcode": (0, 0),
    "prefixed_id": (0, 0),
    "br_cnpj": (2, 2),
    "br_cpf": (2, 2),
    "cn_ric": (2, 2),
    "date_of_birth": (0, 0),
    "birth_year_date": (1, 2),
    "passport_number": (0, 0),
    "reference_number": (40, 0),
    "reference_before_word": (1, 80),
    "user_number": (40, 0),
    "user_handle": (0, 0),
    "bare_account_number": (24, 2),
    "credit_card": (0, 0),
    "de_tax_id": (2, 2),
    "email": _email_reach,
    "es_nif": (0, 0),
    "fr_nir": (0, 0),
    "iban": (0, 0),
    "in_aadhaar": (2, 2),
    "ipv4": (24, 9),
    "ipv6": (1, 1),
    "it_fiscal_code": (0, 0),
    "luhn": (0, 0),
    "nl_bsn": (2, 2),
    "phone": (2, 2),
    "phone_bare": (2, 2),
    "pl_pesel": (2, 2),
    "secret_value": (0, 0),
    "street_line": (4, 0),
    "token_entropy": (0, 0),
    "uk_nhs": (2, 2),
    "uk_nino": (0, 0),
    "us_ssn": (2, 2),
}
