"""Table tests per pattern detector: (text, expected spans), look-alikes included."""

from __future__ import annotations

import pytest

from scrubber.detection import DetectionConfig, Detector, PatternSpec
from scrubber.detection import validators as v


@pytest.fixture(scope="module")
def patterns() -> Detector:
    return Detector(DetectionConfig(ner={"enabled": False}))


def spans(detector: Detector, text: str) -> list[tuple[str, str]]:
    [found] = detector.detect([text], [False])
    return [(f.entity_type, text[f.start:f.end]) for f in found]


CASES = [
    # e-mail
    ("write to jane.doe+tag@mail.example.co.uk today", [("EMAIL_ADDRESS", "jane.doe+tag@mail.example.co.uk")]),
    ("git@github.com:org/repo.git", [("EMAIL_ADDRESS", "git@github.com")]),
    ("not an email: foo@bar, @decorator, a@1.2", []),
    # phones: international and national formats
    ("call +49 30 901820 now", [("PHONE_NUMBER", "+49 30 901820")]),
    ("call (415) 555-2671 now", [("PHONE_NUMBER", "(415) 555-2671")]),
    ("reach me at +1-780-563-6083x7783", [("PHONE_NUMBER", "+1-780-563-6083x7783")]),
    ("UK: +44 20 7946 0958 or 0044 20 7946 0958", [("PHONE_NUMBER", "+44 20 7946 0958"), ("PHONE_NUMBER", "0044 20 7946 0958")]),
    ("Paris +33 1 42 68 53 00", [("PHONE_NUMBER", "+33 1 42 68 53 00")]),
    ("India +919876543210", [("PHONE_NUMBER", "+919876543210")]),
    # phone look-alikes
    ("released on 2024-01-15 at 12:30:45", []),
    ("date 15.01.2024 and 01/15/2024", []),
    ("id 550e8400-e29b-41d4-a716-446655440000", []),
    ("epoch 1700000000123 order 4155552671", []),
    ("version 1.10.20.300 and 3.11.4", []),
    # payment cards, every major brand, Luhn-valid
    ("visa 4111 1111 1111 1111", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("mc 5555555555554444 and 2-series 2223003122003222", [("CREDIT_CARD", "5555555555554444"), ("CREDIT_CARD", "2223003122003222")]),
    ("amex 3782 822463 10005", [("CREDIT_CARD", "3782 822463 10005")]),
    ("discover 6011-1111-1111-1117", [("CREDIT_CARD", "6011-1111-1111-1117")]),
    ("jcb 3530111333300000", [("CREDIT_CARD", "3530111333300000")]),
    ("diners 30569309025904", [("CREDIT_CARD", "30569309025904")]),
    ("unionpay 6200000000000005", [("CREDIT_CARD", "6200000000000005")]),
    ("maestro 6759649826438453", [("CREDIT_CARD", "6759649826438453")]),
    ("fixture card 2705703451424736 charged", [("CREDIT_CARD", "2705703451424736")]),
    # card look-alikes
    ("reference 4111111111111112 (fails Luhn)", []),
    ("trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7", []),
    ("mixed separators 4111 1111-1111 1111", []),
    # IBAN
    ("IBAN GB44DQZK31420069790534", [("IBAN_CODE", "GB44DQZK31420069790534")]),
    ("pay DE89 3704 0044 0532 0130 00 please", [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]),
    ("FR1420041010050500013M02606", [("IBAN_CODE", "FR1420041010050500013M02606")]),
    ("bad checksum DE88370400440532013000, wrong length DE8937040044053201300", []),
    # IP addresses
    ("client 192.168.1.20 and 8.8.8.8", [("IP_ADDRESS", "192.168.1.20"), ("IP_ADDRESS", "8.8.8.8")]),
    ("v6 2001:db8:85a3::8a2e:370:7334", [("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334")]),
    ("localhost 127.0.0.1, 0.0.0.0:4317, ::1", []),
    ("v1.10.0.1 / version 10.0.0.1 / 1.2.3.4.5 / 999.1.1.1", []),
    ("std::vector<int> at 12:30:45, mac 00:1a:2b:3c:4d:5e", []),
    # national ids
    ("SSN 536-22-1234", [("US_SSN", "536-22-1234")]),
    ("SSN 666-22-1234 and 000-12-3456 and 536-00-1234", []),
    ("my ssn is 536221234", [("US_SSN", "536221234")]),
    ("NINO AB123456C", [("UK_NINO", "AB123456C")]),
    ("bad prefix GB123456C", []),
    ("NHS number 943 476 5919", [("UK_NHS", "943 476 5919")]),
    ("aadhaar 2341 2341 2346", [("IN_AADHAAR", "2341 2341 2346")]),
    ("aadhaar 2341 2341 2347", []),
    ("PAN ABCPD1234E", [("IN_PAN", "ABCPD1234E")]),
    ("DNI 18034063Q, NIE X9549656X", [("ES_NIF", "18034063Q"), ("ES_NIF", "X9549656X")]),
    ("DNI 18034063R", []),
    ("codice fiscale BCCFRC15M25E852P", [("IT_FISCAL_CODE", "BCCFRC15M25E852P")]),
    ("codice fiscale BCCFRC15M25E852Q", []),
    ("BSN 214035797", [("NL_BSN", "214035797")]),
    ("PESEL 26062814175", [("PL_PESEL", "26062814175")]),
    ("NIR 172023201312126", [("FR_NIR", "172023201312126")]),
    ("Steuer-ID 86095742719", [("DE_TAX_ID", "86095742719")]),
    ("a bare nine-digit 214035797 without context", []),
    # secrets
    ("key sk-proj-abcDEF1234567890abcdefghij", [("SECRET", "sk-proj-abcDEF1234567890abcdefghij")]),
    ("AWS AKIAIOSFODNN7EXAMPLE", [("SECRET", "AKIAIOSFODNN7EXAMPLE")]),
    ("gh ghp_0123456789abcdefghijABCDEFGHIJ012345", [("SECRET", "ghp_0123456789abcdefghijABCDEFGHIJ012345")]),
    ("slack xoxb-1234567890-abcdefghij", [("SECRET", "xoxb-1234567890-abcdefghij")]),
    ("Authorization: Bearer abcdef1234567890abcdef", [("SECRET", "abcdef1234567890abcdef")]),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     [("SECRET", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")]),
    ("password=hunter2345", [("SECRET", "hunter2345")]),
    ("password=${DB_PASSWORD} api_key=<your-key> sk-learn-is-a-library-name-here", []),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
     [("SECRET", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----")]),
    # street addresses
    ("lives at 132 Dustin Crossing.", [("ADDRESS", "132 Dustin Crossing")]),
    ("lives at Alexa-Pergande-Ring 280 and", [("ADDRESS", "Alexa-Pergande-Ring 280")]),
    ("H.-Dieter-Vollbrecht-Weg 4720", [("ADDRESS", "H.-Dieter-Vollbrecht-Weg 4720")]),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_pattern_table(patterns: Detector, text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(patterns, text) == expected


def test_findings_sorted_and_disjoint(patterns: Detector) -> None:
    text = "card 4111 1111 1111 1111, mail a@example.com, phone +44 20 7946 0958, IBAN GB44DQZK31420069790534"
    [found] = patterns.detect([text], [False])
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    assert {f.detector for f in found} == {"pattern"}


def test_custom_pattern_as_data() -> None:
    config = DetectionConfig(
        ner={"enabled": False},
        patterns=[PatternSpec(name="employee", entity="EMPLOYEE_ID", regex=r"\bEMP-\d{6}\b", score=0.4,
                              context=("employee",))],
    )
    det = Detector(config)
    assert spans(det, "employee EMP-123456") == [("EMPLOYEE_ID", "EMP-123456")]
    assert spans(det, "ticket EMP-123456") == []  # below threshold without a context word


def test_entities_filter_and_disabled_patterns() -> None:
    det = Detector(DetectionConfig(ner={"enabled": False}, entities=["EMAIL_ADDRESS"]))
    assert spans(det, "a@example.com 4111 1111 1111 1111") == [("EMAIL_ADDRESS", "a@example.com")]
    det = Detector(DetectionConfig(ner={"enabled": False}, disabled_patterns=["email"]))
    assert spans(det, "a@example.com") == []


def test_pure_re_engine_gives_same_results(patterns: Detector) -> None:
    plain = Detector(DetectionConfig(ner={"enabled": False}, engine="re"))
    for text, _ in CASES:
        assert plain.detect([text], [False]) == patterns.detect([text], [False])


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        PatternSpec(name="x", entity="X", regex="(")
    with pytest.raises(ValueError, match="unknown validator"):
        PatternSpec(name="x", entity="X", regex="x", validator="nope")
    with pytest.raises(ValueError):
        DetectionConfig(unknown_key=1)


@pytest.mark.parametrize("number", ["4111111111111111", "378282246310005", "6011111111111117", "3530111333300000",
                                    "30569309025904", "5555555555554444", "2223003122003222"])
def test_luhn_and_brand(number: str) -> None:
    assert v.luhn_ok(number) and v.card_brand(number)
    assert not v.luhn_ok(number[:-1] + str((int(number[-1]) + 1) % 10))


def test_custom_pattern_outside_re2_syntax_still_runs() -> None:
    """Look-behind is not RE2: such a pattern skips the prefilter and always runs (fails closed)."""
    config = DetectionConfig(
        ner={"enabled": False},
        patterns=[PatternSpec(name="badge", entity="BADGE_ID", regex=r"(?<=badge )\d{5}\b", score=0.9)],
    )
    assert spans(Detector(config), "my badge 12345 expired") == [("BADGE_ID", "12345")]


def test_prefilter_still_sees_a_value_after_a_long_run_of_noise() -> None:
    """RE2's `Set::Match` answers "no match" when its DFA runs out of memory, and the Python binding
    cannot tell that from a true no: every pattern would then be skipped (a leak). 400 000 characters
    of varied noise before a phone number and an e-mail must not exhaust the shipped budget."""
    import random

    from scrubber.detection.config import DetectionConfig
    from scrubber.detection.patterns import PatternEngine

    rng = random.Random(1)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,-+@:/()[]#\n\tüéß€")
                    for _ in range(400_000))
    engine = PatternEngine(DetectionConfig())
    tail = " call me at +44 20 7946 0958 or jane.doe@example.com"
    assert engine.prefilter is not None
    assert engine.prefilter.hits(tail) <= engine.prefilter.hits(noise + tail)
    found = {f.entity_type for f in engine.detect(noise + tail) if f.start > len(noise)}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= found
