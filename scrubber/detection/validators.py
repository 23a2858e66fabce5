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
from typing import Callable

import phonenumbers

Validator = Callable[[str, str, int, int], bool]

_NON_DIGIT = re.compile(r"\D")


def _valid_in(number: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


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


def _consistent_separators(value: str) -> bool:
    """Separators, if any, are all the same character (`4111 1111-1111` is not a card)."""
    seps = {ch for ch in value if not ch.isalnum()}
    return len(seps) <= 1


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


def credit_card(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if not 12 <= len(number) <= 19 or not _consistent_separators(value):
        return False
    if len(set(number)) < 2:  # 0000 0000 0000 0000 style fillers
        return False
    return card_brand(number) is not None and luhn_ok(number)


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

_VERSION_WORDS = re.compile(r"(?:\bv|version|release|build|\bver\.?)\s*$", re.IGNORECASE)


def _numeric_neighbours(text: str, start: int, end: int) -> bool:
    """True when the span continues a longer dotted/dashed number (`1.2.3.4.5`, `2024-01-15`)."""
    before = text[max(0, start - 2):start]
    after = text[end:end + 2]
    return (len(before) == 2 and before[1] in ".-" and before[0].isdigit()) or (
        len(after) == 2 and after[0] in ".-" and after[1].isdigit()
    )


def ipv4(value: str, text: str, start: int, end: int) -> bool:
    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        return False
    if _numeric_neighbours(text, start, end):
        return False
    # "version 10.0.0.1", "v 1.2.3.4": a version string, not an address
    return not _VERSION_WORDS.search(text[max(0, start - 12):start])


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


# -- phone numbers ---------------------------------------------------------------------------

_DATE_LIKE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:[ T]\d{1,2})?$"
)
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_DOTTED_SMALL = re.compile(r"^\d{1,3}(?:\.\d{1,3})+$")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*\d{1,6}$", re.IGNORECASE)


def make_phone_validator(regions: tuple[str, ...], bare: bool = False) -> Validator:
    """A phone validator for numbers with a country code, or national numbers of `regions`.

    `bare=True` accepts an unformatted run of digits (the pattern then needs a context word).
    """

    def phone(value: str, text: str, start: int, end: int) -> bool:
        core = _EXTENSION.sub("", value).strip()
        number = digits(core)
        if not 7 <= len(number) <= 15:
            return False
        if _DATE_LIKE.match(core) or _DOTTED_SMALL.match(core) or _numeric_neighbours(text, start, end):
            return False
        international = core.startswith("+") or core.startswith("00")
        if not international and core.isdigit() and not bare:
            return False  # a bare run of digits is an id or a timestamp, not a phone number
        if international:
            probe = "+" + core[2:] if core.startswith("00") else core
            try:
                return phonenumbers.is_valid_number(phonenumbers.parse(probe, None))
            except phonenumbers.NumberParseException:
                return False
        if _SSN_SHAPE.match(core):
            return False
        if bare:
            return any(_valid_in(core, region) for region in regions)
        # national formats: the digit groups must be the ones the region really uses
        for region in regions:
            for m in phonenumbers.PhoneNumberMatcher(core, region, leniency=phonenumbers.Leniency.STRICT_GROUPING):
                if m.start == 0 and m.end == len(core):
                    return True
        return False

    return phone


# -- national identifiers ------------------------------------------------------------------

_SSN_FAKES = {"123456789", "078051120", "219099999"}


def us_ssn(value: str, text: str, start: int, end: int) -> bool:
    number = digits(value)
    if len(number) != 9 or not _consistent_separators(value) or number in _SSN_FAKES:
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


# -- secrets --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^(?:[$<{%]|\*+$|x+$|\.\.\.|none$|null$|true$|false$|changeme$|redacted)", re.I)


def secret_value(value: str, text: str, start: int, end: int) -> bool:
    """Accept a `password=...`/`api_key: ...` value unless it is a placeholder or a plain word."""
    if _PLACEHOLDER.match(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    has_alpha = any(ch.isalpha() for ch in value)
    return has_alpha and (has_digit or len(value) >= 16)


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
    return all(labels) and not labels[-1].isdigit() and not all(label.isdigit() for label in labels[:-1])


def always(value: str, text: str, start: int, end: int) -> bool:
    return True


VALIDATORS: dict[str, Validator] = {
    "always": always,
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
    "phone": make_phone_validator(("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "IN")),
    "phone_bare": make_phone_validator(("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "IN"), bare=True),
    "pl_pesel": pl_pesel,
    "secret_value": secret_value,
    "token_entropy": token_entropy,
    "uk_nhs": uk_nhs,
    "uk_nino": uk_nino,
    "us_ssn": us_ssn,
}
