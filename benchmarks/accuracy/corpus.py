"""A labeled, seeded corpus of GenAI telemetry text with every planted entity's span.

Kinds: `prompt` (user messages), `rag` (retrieved chunks: records, tickets),
`output` (model answers), `short` (single attribute-like values) and
`technical` (code, URLs, ISO dates, model names, UUIDs, stack traces, SQL, log
lines), the last mostly without personal data, so false positives show.
Values come from Faker in six locales. Phone numbers are kept only if
`phonenumbers` considers them valid for the locale (Faker also emits numbers
that exist nowhere, which no validator should accept).
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

LOCALES = {"en_US": "US", "de_DE": "DE", "en_GB": "GB", "en_IN": "IN", "fr_FR": "FR", "es_ES": "ES"}


@dataclass
class Sample:
    kind: str
    locale: str
    text: str = ""
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, piece: str, entity: str | None = None) -> "Sample":
        if entity:
            self.spans.append((len(self.text), len(self.text) + len(piece), entity))
        self.text += piece
        return self


def _iso_iban(value: str) -> bool:
    lengths = {"GB": 22, "DE": 22, "FR": 27, "ES": 24, "IN": 0, "US": 0, "IT": 27}
    if lengths.get(value[:2], len(value)) != len(value):
        return False
    moved = value[4:] + value[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


class Values:
    """Entity value generators for one locale."""

    def __init__(self, locale: str, rng: random.Random):
        self.fake = Faker(locale)
        self.fake.seed_instance(rng.randrange(1 << 30))
        self.locale, self.region, self.rng = locale, LOCALES[locale], rng

    def PERSON(self) -> str:
        return self.fake.name()

    def EMAIL_ADDRESS(self) -> str:
        return self.fake.email()

    def PHONE_NUMBER(self) -> str:
        for _ in range(50):
            value = self.fake.phone_number()
            for m in phonenumbers.PhoneNumberMatcher(value, self.region, leniency=phonenumbers.Leniency.VALID):
                if m.start == 0 and m.end == len(value):
                    return value
        return "+44 20 7946 0958"

    def CREDIT_CARD(self) -> str:
        number = self.fake.credit_card_number()
        if self.rng.random() < 0.4 and len(number) == 16:
            sep = self.rng.choice(" -")
            number = sep.join(number[i:i + 4] for i in range(0, 16, 4))
        return number

    def IBAN_CODE(self) -> str:
        for _ in range(50):  # Faker's en_GB IBANs are one digit short: keep ISO 13616-valid ones
            value = self.fake.iban()
            if _iso_iban(value):
                return value
        return "GB44DQZK31420069790534"

    def LOCATION(self) -> str:
        return self.rng.choice([self.fake.city(), self.fake.country(), self.fake.city()])

    def ADDRESS(self) -> str:
        return self.fake.street_address()

    def IP_ADDRESS(self) -> str:
        return self.fake.ipv4_public() if self.rng.random() < 0.8 else self.fake.ipv6()

    def SECRET(self) -> str:
        alnum = string.ascii_letters + string.digits
        r = lambda n: "".join(self.rng.choice(alnum) for _ in range(n))  # noqa: E731
        return self.rng.choice([
            "sk-proj-" + r(40), "AKIA" + "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
            "ghp_" + r(36), "xoxb-" + r(10) + "-" + r(24), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi" + r(20) + "." + r(43),
        ])

    def US_SSN(self) -> str:
        area = self.rng.choice([n for n in range(1, 900) if n != 666])
        return f"{area:03d}-{self.rng.randrange(1, 100):02d}-{self.rng.randrange(1, 10000):04d}"


PROMPTS = [
    ["Hi, I'm ", "PERSON", ". My card ", "CREDIT_CARD", " was charged twice, please refund to IBAN ", "IBAN_CODE", "."],
    ["Can you check whether ", "PERSON", " placed an order? I am ", "PERSON", " (", "EMAIL_ADDRESS", ")."],
    ["Please update my phone number to ", "PHONE_NUMBER", " and my e-mail to ", "EMAIL_ADDRESS", ", thanks!"],
    ["My name is ", "PERSON", " and I moved to ", "ADDRESS", " in ", "LOCATION", "."],
    ["Write a polite reminder to ", "PERSON", " about the unpaid invoice, send it to ", "EMAIL_ADDRESS", "."],
    ["Why does my API call fail? I'm using key ", "SECRET", " from ", "LOCATION", "."],
    ["Book a table for two in ", "LOCATION", " for ", "PERSON", ", call ", "PHONE_NUMBER", " to confirm."],
    ["Our VPN logs show logins from ", "IP_ADDRESS", " for user ", "EMAIL_ADDRESS", ". Is that suspicious?"],
    ["Summarize the complaint from ", "PERSON", " who lives at ", "ADDRESS", "."],
    ["Translate to German: 'Dear ", "PERSON", ", your parcel to ", "LOCATION", " is delayed.'"],
    ["My SSN is ", "US_SSN", " and I need the tax form resent to ", "ADDRESS", "."],
    ["What is the weather like in ", "LOCATION", " next week?"],
    ["Explain the difference between a list and a tuple in Python."],
    ["Draft a short bio for our speaker ", "PERSON", " who works in ", "LOCATION", "."],
]

RAG = [
    ["Customer record: ", "PERSON", " lives at ", "ADDRESS", " and can be reached at ", "EMAIL_ADDRESS",
     ". Last order shipped 2023-09-20. Refund policy: items may be returned within 30 days of delivery."],
    ["Ticket #48213 opened by ", "PERSON", " (", "PHONE_NUMBER", "). Issue: payment with card ", "CREDIT_CARD",
     " declined twice. Escalated to billing on 2024-02-11 by agent ", "PERSON", "."],
    ["Meeting notes. Attendees: ", "PERSON", ", ", "PERSON", ". Decision: move the warehouse from ", "LOCATION",
     " to ", "LOCATION", " by Q3. Budget approved."],
    ["Supplier contact ", "PERSON", ", ", "ADDRESS", ", phone ", "PHONE_NUMBER", ". Bank transfer to ",
     "IBAN_CODE", " within 14 days."],
    ["Knowledge base: to reset a password, open Settings > Security and choose 'Reset'. Tokens expire after "
     "24 hours. Contact support if the link does not arrive."],
    ["Incident 2024-03-02: requests from ", "IP_ADDRESS", " exceeded the rate limit; the account of ",
     "EMAIL_ADDRESS", " was throttled for 15 minutes."],
]

OUTPUTS = [
    ["Thanks. I have updated the account and will send the confirmation to ", "EMAIL_ADDRESS", "."],
    ["I found the order for ", "PERSON", ". It ships to ", "ADDRESS", " on Monday."],
    ["Sure! Here is a reminder: Dear ", "PERSON", ", please settle invoice 2024-117 by Friday."],
    ["The refund of 49.90 EUR was issued to IBAN ", "IBAN_CODE", "."],
    ["I cannot share personal data. Please contact our support team."],
    ["You can reach the ", "LOCATION", " office at ", "PHONE_NUMBER", "."],
    ["A list is mutable, while a tuple is immutable; use tuples for fixed records."],
]

SHORT = ["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "SECRET"]
SHORT_NEGATIVES = [
    "gpt-4o-mini", "claude-3-5-sonnet-20241022", "text-embedding-3-small", "eu-central-1", "200", "POST",
    "2024-01-15", "2024-01-15T10:32:00.123Z", "application/json", "stop", "v1.10.0.1", "3.11.4",
    "llama-3.1-8b-instruct", "us-east-1a", "chat.completions", "openai.chat", "1700000000123", "0.7",
]


def _technical(rng: random.Random, v: Values) -> list:
    uid, trace = str(uuid.UUID(int=rng.getrandbits(128))), "%032x" % rng.getrandbits(128)
    order = "".join(rng.choice(string.digits) for _ in range(16))
    pick = rng.choice
    choices = [
        [f'Traceback (most recent call last):\n  File "/srv/app/handlers.py", line {rng.randint(10, 400)}, in handle\n'
         f"    order = OrderRepository.get_by_id(order_id)\nKeyError: 'order_id' (request_id={uid})"],
        [f"SELECT o.id, o.created_at, c.email FROM orders o JOIN customers c ON c.id = o.customer_id "
         f"WHERE o.status = 'Shipped' AND o.created_at > '2024-01-15' LIMIT {rng.randint(10, 500)};"],
        [f"GET https://api.example.com/v1/users/{uid}?page={rng.randint(1, 9)}&sort=created_at returned 503 "
         f"after {rng.randint(100, 3000)} ms (trace {trace})"],
        [f"Using model {pick(SHORT_NEGATIVES[:3])} with temperature 0.{rng.randint(0, 9)}, max_tokens={rng.randint(64, 4096)}"
         f" and top_p=0.95 via langchain_openai.ChatOpenAI; deployed to eu-central-1 on 2024-05-0{rng.randint(1, 9)}."],
        ["def load_config(path: str) -> dict:\n    with open(path) as fh:\n        return yaml.safe_load(fh)\n\n"
         "config = load_config(os.environ.get('APP_CONFIG', '/etc/app/config.yaml'))"],
        [f"2024-06-0{rng.randint(1, 9)}T12:0{rng.randint(0, 9)}:31.004Z INFO  uvicorn.access: 10.0.{rng.randint(0, 9)}.1:51234 "
         f"- \"POST /v1/chat/completions HTTP/1.1\" 200 (order {order}, build v1.10.0.{rng.randint(1, 9)})"],
        ["docker run -p 4317:4317 -e OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 ghcr.io/acme/scrubber:0.3.1 "
         "--config /etc/scrubber/config.yaml"],
        ["import numpy as np\nfrom sklearn.model_selection import train_test_split\nX_train, X_test = "
         "train_test_split(X, test_size=0.2, random_state=42)\nprint(np.mean(X_train))"],
        [f"Error: connection to postgres://app@db.internal:5432/orders timed out after 30s; retry 3/5 "
         f"(span {trace[:16]}, parent {trace[16:]})"],
        ["{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"system\", \"content\": \"You are a helpful assistant.\"}], "
         "\"stream\": false, \"user\": \"u-26139505\"}"],
        # technical text that does carry personal data or secrets
        ["2024-06-01T12:00:31Z WARN auth: failed login for ", "EMAIL_ADDRESS", " from ", "IP_ADDRESS", " (attempt 3)"],
        ["export OPENAI_API_KEY=", "SECRET", "\npython -m app.main --port 8080"],
        ["curl -H 'Authorization: Bearer ", "SECRET", "' https://api.example.com/v1/me"],
        ["UPDATE customers SET email = '", "EMAIL_ADDRESS", "', phone = '", "PHONE_NUMBER", "' WHERE id = 4211;"],
    ]
    return pick(choices)


def _fill(sample: Sample, template: list, v: Values) -> Sample:
    for i, piece in enumerate(template):
        if i % 2 == 1:  # templates alternate literal text and entity slots
            sample.add(getattr(v, piece)(), piece)
        else:
            sample.add(piece)
    return sample


def generate(seed: int = 20260101, counts: dict[str, int] | None = None) -> list[Sample]:
    counts = counts or {"prompt": 500, "rag": 250, "output": 250, "short": 250, "technical": 500}
    rng = random.Random(seed)
    values = {loc: Values(loc, random.Random(rng.randrange(1 << 30))) for loc in LOCALES}
    out: list[Sample] = []
    for kind, n in counts.items():
        for _ in range(n):
            locale = rng.choice(list(LOCALES))
            v, s = values[locale], Sample(kind, locale)
            if kind == "prompt":
                _fill(s, rng.choice(PROMPTS), v)
            elif kind == "rag":
                _fill(s, rng.choice(RAG), v)
            elif kind == "output":
                _fill(s, rng.choice(OUTPUTS), v)
            elif kind == "short":
                if rng.random() < 0.4:
                    s.add(rng.choice(SHORT_NEGATIVES))
                else:
                    entity = rng.choice(SHORT)
                    s.add(getattr(v, entity)(), entity)
            else:
                _fill(s, _technical(rng, v), v)
            out.append(s)
    return out
