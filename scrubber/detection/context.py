"""Context words, as data, in EN, DE, FR, ES, PT, IT, NL and Hindi in Latin script.

A pattern row names a tuple from here as its `context`, and the context-aware
validators (phones, cards) look for the same words, so one list serves every
detector that needs it. Words are matched lower-cased, as whole words; `_` and
`-` count as word boundaries, so `applicant_ssn` and `phone-number` hold the words
`ssn` and `phone`. Multi-word entries ("mobile no", "number hai") match as phrases.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

PHONE = (
    # en
    "phone", "phone number", "telephone", "tel", "tel.", "mobile", "mobile no", "cell", "cellphone", "fax",
    "call", "call me", "ring", "sms", "text me", "whatsapp", "signal", "contact", "reach me", "hotline",
    # de
    "telefon", "telefonnummer", "rufnummer", "handy", "handynummer", "mobil", "mobilnummer", "anrufen",
    "durchwahl", "rufen sie", "erreichen", "erreichbar",
    # fr
    "téléphone", "telephone", "tél", "tél.", "portable", "numéro", "appeler", "appelez", "appelez-moi",
    "m'appeler", "joindre",
    # es
    "teléfono", "telefono", "móvil", "movil", "celular", "llamar", "llámame", "llamarme", "llámeme", "número",
    # pt
    "telefone", "fone", "celular", "ligar", "ligue", "ligue-me", "me ligar", "contato", "telemóvel",
    # it
    "cellulare", "numero", "chiamare", "chiamami", "chiamarmi", "chiamatemi", "chiamaci",
    # nl
    "telefoon", "telefoonnummer", "mobiel", "mobiele nummer", "nummer", "bellen", "bel me",
    # hi (Latin script)
    "number hai", "mobile number", "phone karo", "call karo", "sampark", "fon",
)

CARD = (
    "card", "card number", "card no", "credit", "credit card", "debit", "visa", "mastercard", "amex", "payment",
    "cc", "pan", "karte", "kreditkarte", "kartennummer", "carte", "carte bancaire", "cb", "tarjeta",
    "tarjeta de crédito", "cartão", "cartao", "cartão de crédito", "carta", "carta di credito", "kaart",
    "creditcard", "pinpas", "rupay",
)

SSN = ("ssn", "ssn#", "ss#", "social", "social security", "soc sec", "soc. sec.", "socsec", "taxpayer", "tin",
       "itin")

AADHAAR = ("aadhaar", "aadhar", "adhaar", "uidai", "uid", "aadhaar number", "aadhaar no")

CPF = ("cpf", "cadastro de pessoas", "contribuinte")
CNPJ = ("cnpj", "empresa", "razão social")
CN_RIC = ("身份证", "resident id", "shenfenzheng", "id card", "identity card")

ADDRESS = (
    "address", "lives", "live", "living", "located", "ship", "shipping", "deliver", "delivery", "billing",
    "mailing", "postcode", "zip", "zip code", "adresse", "anschrift", "wohnt", "wohnhaft", "lieferadresse",
    "plz", "domicile", "habite", "code postal", "dirección", "direccion", "domicilio", "vive", "código postal",
    "endereço", "endereco", "mora", "cep", "indirizzo", "abita", "cap", "adres", "woont", "postcode",
    "pata", "pin", "pincode", "pin code", "rehta", "rehti", "ship to", "send to", "deliver to", "mail to",
    "delivery address", "billing address", "shipping address", "home address", "lieferanschrift",
    "rechnungsadresse", "wohnadresse", "adresse de livraison", "adresse de facturation", "dirección de envío",
    "direccion de envio", "endereço de entrega", "endereco de entrega", "indirizzo di consegna", "bezorgadres",
    "afleveradres", "woonadres", "factuuradres", "adres dostawy", "adres zamieszkania", "ghar ka pata",
)


_TOKEN = re.compile(r"[^\W_]+")


class ContextWords:
    """A set of context words and phrases, matched as whole tokens (letters and digits; `_`, `-`,
    punctuation and spaces separate). Token sets instead of one big alternation: Python's `re` tries
    every alternative at every position, ~5 us per window for the phone list. Most windows hold no
    first word of any phrase at all: one set test answers those; the others look only at the phrases
    that start with a token of the window."""

    __slots__ = ("phrases", "longest", "_firsts", "_by_first")

    def __init__(self, words: Sequence[str]):
        self.phrases = frozenset(tuple(_TOKEN.findall(w.lower())) for w in words if _TOKEN.search(w))
        self.longest = max((len(p) for p in self.phrases), default=0)
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted(self.phrases):
            by_first.setdefault(phrase[0], []).append(phrase)
        #: first token -> the phrases that start with it; a one-token phrase makes any match enough
        self._by_first = {first: None if (first,) in self.phrases else tuple(ps)
                          for first, ps in by_first.items()}
        self._firsts = frozenset(by_first)

    def search(self, window: str) -> bool:
        tokens = _TOKEN.findall(window.lower())
        if self._firsts.isdisjoint(tokens):
            return False
        by_first = self._by_first
        for i, token in enumerate(tokens):
            if token not in by_first:
                continue
            phrases = by_first[token]
            if phrases is None:
                return True
            for phrase in phrases:
                if tuple(tokens[i:i + len(phrase)]) == phrase:
                    return True
        return False


@lru_cache(maxsize=256)
def compile_words(words: Sequence[str]) -> ContextWords | None:
    """The context matcher for a tuple of words (cached: rows share the lists of this module)."""
    return ContextWords(words) if words else None


def near(words: ContextWords | None, text: str, start: int, end: int, window: int) -> bool:
    """A context word within `window` characters before the span, or half of it after."""
    if words is None:
        return False
    return words.search(text[max(0, start - window):start]) or words.search(text[end:end + window // 2])
