"""The labeled item every corpus is made of, and its JSON form (for results and debugging).

An item is either free `text` (a prompt, a chat turn, a RAG chunk, a log line,
a short value) or `fields` (a flat JSON object: tool-call arguments, a log
body kvlist). `key` is the attribute key a short value is sent under when the
harness puts it into a custom attribute or a metric label (a key NOT in the
shipped catalog, e.g. `app.customer.display_name`). `planted` lists every
personal value in the item with its category; an item without any is a
negative: its output must equal its input.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

#: every category the harness reports; the issue's targets apply to each of them
CATEGORIES = (
    "PERSON_FULL", "PERSON_FIRST_ONLY", "PERSON_SURNAME_ONLY", "PERSON_LOWERCASE", "PERSON_ALLCAPS",
    "STREET_ADDRESS", "POSTCODE", "CITY", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
    "US_SSN", "IP_ADDRESS", "API_KEY", "IN_AADHAAR", "IN_PAN", "BR_CPF", "CN_RESIDENT_ID", "DATE_OF_BIRTH",
    "ACCOUNT_NUMBER", "USER_ID",
)


@dataclass
class Planted:
    value: str
    category: str
    #: ISO country of a phone number (the table breaks PHONE_NUMBER down by it), else ""
    country: str = ""


@dataclass
class Item:
    id: str
    text: str | None = None
    fields: dict[str, str] | None = None
    key: str | None = None
    planted: list[Planted] = field(default_factory=list)
    lang: str = "en"
    #: what the item is (prompt, chat, letter, form, address, tool_args, log, short, technical...)
    kind: str = ""
    #: carriers the item may go into; empty = every carrier that fits its shape
    carriers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.text is None) == (self.fields is None):
            raise ValueError(f"{self.id}: an item has either text or fields")
        self.planted = [p if isinstance(p, Planted) else Planted(**p) for p in self.planted]
        for p in self.planted:
            if p.category not in CATEGORIES:
                raise ValueError(f"{self.id}: unknown category {p.category}")
            if p.value not in self.source():
                raise ValueError(f"{self.id}: planted {p.category} value is not in the item")

    @property
    def negative(self) -> bool:
        return not self.planted

    def source(self) -> str:
        """All of the item's text, for checks on where planted values are."""
        return self.text if self.text is not None else "\n".join(self.fields.values())

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, [], "")}
        for p in data.get("planted", []):
            if not p.get("country"):
                p.pop("country", None)
        return json.dumps(data, ensure_ascii=False)
