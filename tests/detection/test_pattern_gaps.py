"""Issue 8, failure class 4: the pattern gaps, each with the look-alikes that must stay."""

from __future__ import annotations

import pytest

from scrubber.detection import DetectionConfig, Detector
from scrubber.detection import validators as v


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector(DetectionConfig(ner={"enabled": False}))


def spans(detector: Detector, text: str) -> list[tuple[str, str]]:
    [found] = detector.detect([text], [False])
    return [(f.entity_type, text[f.start:f.end]) for f in found]


FOUND = [
    # cards of issuers the brand table does not know: Luhn + a card word, or grouped like a card
    ("my card number is 3512345678901236", ("CREDIT_CARD", "3512345678901236")),
    ("Kreditkarte 3512 3456 7890 1236", ("CREDIT_CARD", "3512 3456 7890 1236")),
    ("paid with 3512-3456-7890-1236 yesterday", ("CREDIT_CARD", "3512-3456-7890-1236")),
    ("tarjeta 8112345678901239", ("CREDIT_CARD", "8112345678901239")),
    # e-mail at all-digit domains
    ("write to user@123.com", ("EMAIL_ADDRESS", "user@123.com")),
    ("我的邮箱 a@163.com", ("EMAIL_ADDRESS", "a@163.com")),
    # secrets: env-style names, more token prefixes
    ("export SOME_API_KEY=abcd1234efgh5678", ("SECRET", "abcd1234efgh5678")),
    ("OPENAI_TOKEN: tok9f8e7d6c5b4a", ("SECRET", "tok9f8e7d6c5b4a")),
    ("DB_PASSWORD_PROD=s3cr3tValue!", ("SECRET", "s3cr3tValue!")),
    ('{"client_secret": "Zx9yW8vU7tS6"}', ("SECRET", "Zx9yW8vU7tS6")),
    ("hf_abcdefghijklmnopqrstuvwxyzABCDEF12", ("SECRET", "hf_abcdefghijklmnopqrstuvwxyzABCDEF12")),
    ("glpat-xxxxYYYYzzzz11112222", ("SECRET", "glpat-xxxxYYYYzzzz11112222")),
    ("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
     ("SECRET", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")),
    ("npm_abcdefghijklmnopqrstuvwxyz0123456789", ("SECRET", "npm_abcdefghijklmnopqrstuvwxyz0123456789")),
    ("AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
     ("SECRET", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")),
    # Aadhaar with spaces, no context word
    ("my number 2345 6789 0124 for KYC", ("IN_AADHAAR", "2345 6789 0124")),
    # SSN after social / soc sec / under a key
    ("social 536221234", ("US_SSN", "536221234")),
    ("soc sec 536-22-1234", ("US_SSN", "536-22-1234")),
    ('{"applicant_ssn": "536221234"}', ("US_SSN", "536221234")),
    # Brazil and China
    ("CPF 111.444.777-35 do cliente", ("BR_CPF", "111.444.777-35")),
    ("seu cpf: 11144477735", ("BR_CPF", "11144477735")),
    ("CNPJ 11.222.333/0001-81", ("BR_CNPJ", "11.222.333/0001-81")),
    ("身份证 11010519491231002X", ("CN_RESIDENT_ID", "11010519491231002X")),
    # dates of birth in free text, many formats and languages
    ("DOB: 03/14/1985", ("DATE_OF_BIRTH", "03/14/1985")),
    ("I was born on 12 March 1985 in Leeds", ("DATE_OF_BIRTH", "12 March 1985")),
    ("born March 12, 1985", ("DATE_OF_BIRTH", "March 12, 1985")),
    ("geboren am 14.03.1985", ("DATE_OF_BIRTH", "14.03.1985")),
    ("née le 3 février 1990", ("DATE_OF_BIRTH", "3 février 1990")),
    ("fecha de nacimiento: 1985-03-14", ("DATE_OF_BIRTH", "1985-03-14")),
    ("data de nascimento 14/03/1985", ("DATE_OF_BIRTH", "14/03/1985")),
    ("nato il 14 marzo 1985", ("DATE_OF_BIRTH", "14 marzo 1985")),
    # account, customer, member, policy, order-of-a-person and passport numbers
    ("my account number is 12345678", ("ACCOUNT_NUMBER", "12345678")),
    ("Kontonummer: 0532013000", ("ACCOUNT_NUMBER", "0532013000")),
    ("Kundennummer KD-48213", ("USER_ID", "KD-48213")),
    ("customer ID C-1234567", ("USER_ID", "C-1234567")),
    ("member ID: M-558812", ("USER_ID", "M-558812")),
    ("policy number POL-2024-889123", ("USER_ID", "POL-2024-889123")),
    ("where is my order 7734201?", ("USER_ID", "7734201")),
    ("número de cliente 45822198", ("USER_ID", "45822198")),
    ("passport number X1234567", ("PASSPORT", "X1234567")),
    ("customer lookup id=AC40239503 by agent", ("USER_ID", "AC40239503")),
    ("lookup CUST-3387169 done", ("USER_ID", "CUST-3387169")),
    ("user usr_aiztj1l5zkom reported the outage", ("USER_ID", "usr_aiztj1l5zkom")),
    ("user u-71863716 reported the outage", ("USER_ID", "u-71863716")),
    ("order #A-1029384 shipped", ("USER_ID", "A-1029384")),
    ("DOB 05/12/88, MRN 123456", ("USER_ID", "123456")),
    ("meu CPF é 123.456.789-09 e nasci em 12/05/1988", ("DATE_OF_BIRTH", "12/05/1988")),
    ("PAN ABCDE1234F", ("IN_PAN", "ABCDE1234F")),
    ("my card is 6011 0009 9013 9424 exp 03/29 cvv 123", ("CREDIT_CARD", "123")),
    # well-known fake SSNs are still SSNs after an SSN word
    ("SSN: 123-45-6789", ("US_SSN", "123-45-6789")),
    ("身份证 440305198009279746", ("CN_RESIDENT_ID", "440305198009279746")),
    ("Reisepass C01X00T47", ("PASSPORT", "C01X00T47")),
]

UNTOUCHED = [
    "reference 4111111111111112 (fails Luhn)",
    "ticket 3512345678901236 opened",  # Luhn-valid, unknown issuer, no card word, not grouped
    "epoch_ns 1700000000123456789",
    "max_tokens=4096 sort_key=created_at",
    "password=${DB_PASSWORD} api_key=<your-key> sk-learn-is-a-library-name-here",
    "not an email: foo@bar, @decorator, a@1.2, lodash@4.17.21",
    "firmware 3.1.86.2, v2.4.0.1, build 10.0.19041.1, version 10.0.0.1",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
    "request 550e8400-e29b-41d4-a716-446655440000 at 2024-01-15T12:30:45Z",
    "order_id=ord_8f7a6b5c processed in 1500 ms",
    "a bare nine-digit 214035797 without context",
    "12 digits 234567890124 alone",
    "customer service is open, policy retries 3, client timeout 30000",
    "released 2024-01-15, born-again build",
    "listening on 0.0.0.0:4317, port 8080",
    "fixture 123-45-6789 in a test name",
    # source code is not a secret value
    "token = context_api.attach(context_api.set_value(_SPAN_KEY, span))",
    'FEATURE_FLAG_KEY = "feature_flag.key"',
    'OTEL_EXPORTER_OTLP_CLIENT_KEY = "OTEL_EXPORTER_OTLP_CLIENT_KEY"',
    "credentials: grpc.ChannelCredentials,",
    "private_key = _read_file(client_key_file)",
    # versions are not IPs
    "brotlicffi >= 1.2.1.0, Standards-version to 4.4.0.1, rfc5280#section-4.1.2.6",
    "accessToken12345 account2024report",
    "kafka consumer group member id consumer-1-abc123 rebalanced",
    "customer 42 churned, Order 66 executed, policy number of retries: 5",
    "user-agent: Mozilla/5.0, pod user-service-5f7b9c-abcde, client-v2",
    "at 2024-01-15T12:30:45.123456Z pid=12345 tid=67890 duration_ms=1234567",
    "pull request #12345 merged; issue #4711 closed by user 8812",
    "cid 1234 in the log, ABCDE1234F alone",
]


@pytest.mark.parametrize("text,expected", FOUND, ids=[c[1][1][:30] for c in FOUND])
def test_gap_closed(det: Detector, text: str, expected: tuple[str, str]) -> None:
    assert expected in spans(det, text)


@pytest.mark.parametrize("text", UNTOUCHED, ids=[t[:30] for t in UNTOUCHED])
def test_look_alikes_stay(det: Detector, text: str) -> None:
    assert spans(det, text) == []


def test_public_ip_after_a_version_word_is_a_version(det: Detector) -> None:
    assert spans(det, "firmware 3.1.86.2") == []
    assert spans(det, "client 3.1.86.2") == [("IP_ADDRESS", "3.1.86.2")]


@pytest.mark.parametrize("value,ok", [("14/03/1985", True), ("03/14/1985", True), ("1985-03-14", True),
                                      ("31/31/1985", False), ("14/03/2999", False), ("12 March 1985", True)])
def test_date_of_birth_validator(value: str, ok: bool) -> None:
    assert v.date_of_birth(value, value, 0, len(value)) is ok


def test_every_builtin_pattern_is_prefiltered() -> None:
    """The RE2 Set prefilter design holds: every built-in regex compiles in RE2."""
    from scrubber.detection.patterns import PatternEngine

    engine = PatternEngine(DetectionConfig(ner={"enabled": False}))
    assert engine.prefilter is not None and engine.prefilter.always == set()


# a date of a year a living person was born in is redacted without a "born" word; telemetry's own
# recent dates and timestamps stay
BIRTH_YEAR_DATES = [("She wrote 14/03/1987 on the form", True), ("3 March 1962", True), ("12/05/89", True),
                    ("deadline 2026-12-01", False), ("at 2026-11-28T10:13:37Z INFO", False),
                    ("v1.03.04.1990", False), ("Meeting on 12 January 2027", False)]


@pytest.mark.parametrize("text,found", BIRTH_YEAR_DATES, ids=[t for t, _ in BIRTH_YEAR_DATES])
def test_dates_of_birth_years_without_a_word(text: str, found: bool) -> None:
    from scrubber.detection import Detector

    [hits] = Detector().detect([text], [False])
    assert any(f.entity_type == "DATE_OF_BIRTH" for f in hits) == found, hits
