"""Identifiers with their real checksums, for both corpora (the texts around them are not generated here).

Luhn for cards, ISO 13616 mod-97 for IBANs, Verhoeff for Aadhaar, the two
mod-11 digits of a Brazilian CPF, ISO 7064 MOD 11-2 for Chinese resident ids,
the SSA's rules for US SSNs (no 000/666/9xx area, no 00 group, no 0000 serial).
"""

from __future__ import annotations

import random
import string


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    digits = [c for c in number if c.isdigit()]
    return luhn_complete("".join(digits[:-1])) == "".join(digits)


CARD_PREFIXES = ["4", "51", "53", "55", "2221", "2720", "34", "37", "6011", "65", "35", "3528", "36", "62"]


def card(rng: random.Random, prefix: str | None = None, grouped: bool | None = None) -> str:
    prefix = prefix or rng.choice(CARD_PREFIXES)
    length = 15 if prefix in ("34", "37") else 14 if prefix == "36" else 16
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = luhn_complete(body)
    if grouped is None:
        grouped = rng.random() < 0.5
    if grouped and length == 16:
        sep = rng.choice(" -")
        return sep.join(number[i:i + 4] for i in range(0, 16, 4))
    return number


IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "PL": 28, "PT": 25, "BE": 16,
                "AT": 20, "CH": 21, "IE": 22, "BR": 29, "TR": 26, "AE": 23}


def iban_ok(value: str) -> bool:
    value = value.replace(" ", "")
    if IBAN_LENGTHS.get(value[:2], len(value)) != len(value):
        return False
    moved = value[4:] + value[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def iban_complete(country: str, bban: str) -> str:
    """The IBAN with its check digits for a country and a BBAN."""
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bban}"


def iban(fake, rng: random.Random) -> str:
    for _ in range(50):
        value = fake.iban()
        if iban_ok(value):
            break
    else:
        value = iban_complete("DE", "".join(rng.choice(string.digits) for _ in range(18)))
    if rng.random() < 0.5:
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
      [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
      [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_complete(body: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return body + str(_INV[c])


def aadhaar(rng: random.Random, spaced: bool = True) -> str:
    body = str(rng.randint(2, 9)) + "".join(rng.choice(string.digits) for _ in range(10))
    number = verhoeff_complete(body)
    return " ".join(number[i:i + 4] for i in range(0, 12, 4)) if spaced else number


def pan(rng: random.Random) -> str:
    letters = string.ascii_uppercase
    return ("".join(rng.choice(letters) for _ in range(3)) + "P" + rng.choice(letters)
            + "".join(rng.choice(string.digits) for _ in range(4)) + rng.choice(letters))


def cpf_complete(body: str) -> str:
    for weight_start in (10, 11):
        total = sum(int(d) * w for d, w in zip(body, range(weight_start, 1, -1)))
        digit = (total * 10) % 11
        body += str(0 if digit == 10 else digit)
    return body


def cpf(rng: random.Random, formatted: bool = True) -> str:
    number = cpf_complete("".join(rng.choice(string.digits) for _ in range(9)))
    return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}" if formatted else number


def cn_id_complete(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


def cn_id(rng: random.Random) -> str:
    area = rng.choice(["110101", "310104", "440305", "510107", "330106", "420102"])
    birth = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return cn_id_complete(area + birth + f"{rng.randint(0, 999):03d}")


def account(rng: random.Random) -> str:
    form = rng.randrange(4)
    if form == 0:
        return "".join(rng.choice(string.digits) for _ in range(rng.choice([8, 10, 12])))
    if form == 1:
        return f"CUST-{rng.randint(100000, 9999999)}"
    if form == 2:
        return f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    return f"AC{rng.randint(10000000, 99999999)}"


def user_id(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"u-{rng.randint(10000000, 99999999)}"
    return "usr_" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def _rand(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def api_key(rng: random.Random, kind: str) -> str:
    if kind == "hf":
        return "hf_" + _rand(rng, 34, string.ascii_letters)
    if kind == "glpat":
        return "glpat-" + _rand(rng, 20, string.ascii_letters + string.digits + "_-")
    if kind == "sendgrid":
        return "SG." + _rand(rng, 22, string.ascii_letters + string.digits + "_-") + "." + _rand(rng, 43)
    if kind.startswith("STRIPE"):
        return "sk_live_" + _rand(rng, 24)
    if kind.startswith("OPENAI"):
        return "sk-proj-" + _rand(rng, 48)
    if kind.startswith("ANTHROPIC"):
        return "sk-ant-api03-" + _rand(rng, 40)
    return _rand(rng, 32, string.ascii_lowercase + string.digits)
