"""Phone numbers of countries inside and outside `phone_regions`, with and without context words."""

from __future__ import annotations

import pytest

from scrubber.detection import DetectionConfig, Detector


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector(DetectionConfig(ner={"enabled": False}))


def phones(detector: Detector, text: str) -> list[str]:
    [found] = detector.detect([text], [False])
    return [text[f.start:f.end] for f in found if f.entity_type == "PHONE_NUMBER"]


FOUND = [
    # national formats outside the configured regions, no context word: the grouping says phone
    ("Falar com (11) 98765-4321 amanhã", "(11) 98765-4321"),  # BR
    ("我的号码 138 0013 8000", "138 0013 8000"),  # CN
    ("电话138 0013 8000", "138 0013 8000"),  # CN, glued to the word
    ("ring me on 0803 123 4567 after 5", "0803 123 4567"),  # NG
    ("office 050 123 4567 Dubai", "050 123 4567"),  # AE
    ("東京 03-1234-5678", "03-1234-5678"),  # JP
    ("Ciudad de México 55 1234 5678", "55 1234 5678"),  # MX
    ("Johannesburg 082 123 4567", "082 123 4567"),  # ZA
    ("İstanbul 0532 123 45 67", "0532 123 45 67"),  # TR
    # French dotted, digits in twos and threes
    ("Mon numéro : 01.23.45.67.89", "01.23.45.67.89"),
    ("appelle-moi au 06 12 34 56 78", "06 12 34 56 78"),
    # (0) trunk prefixes and country codes
    ("London office +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
    ("Berlin +49 (0)30 901820", "+49 (0)30 901820"),
    ("+55 11 98765-4321", "+55 11 98765-4321"),
    ("Tel (+49) 30 901820", "(+49) 30 901820"),
    ("+234 803 123 4567", "+234 803 123 4567"),
    ("WhatsApp: +971 50 123 4567", "+971 50 123 4567"),
    ("+86 138 0013 8000", "+86 138 0013 8000"),
    # extensions
    ("call (415) 555-2671 ext. 45 today", "(415) 555-2671 ext. 45"),
    ("reach me at +1-780-563-6083x7783", "+1-780-563-6083x7783"),
    # bare digits after a context word in many languages, any region
    ("Telefon: 030901820", "030901820"),
    ("mera mobile number hai 9876543210", "9876543210"),
    ("celular 11987654321", "11987654321"),
    ("my phone_number=4155552671", "4155552671"),
    # unassigned ranges written like phones, US trunk 1-
    ("+1 (555) 010-9999", "+1 (555) 010-9999"),
    ("call 1-800-555-0199 tomorrow", "1-800-555-0199"),
    ("Potete chiamarmi al +39 (0) 02 1234 5678", "+39 (0) 02 1234 5678"),
]

UNTOUCHED = [
    "released on 2024-01-15 at 12:30:45",
    "date 15.01.2024 and 01/15/2024",
    "id 550e8400-e29b-41d4-a716-446655440000",
    "epoch 1700000000123 order 4155552671",
    "version 1.10.20.300 and 3.11.4",
    "firmware 3.1.86.2 on build 10.0.19041.1",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "listening on port 4317 and 8080, took 1500 ms",
    "latency p99 1234 ms over 5678 requests",
    "SSN-shaped 536-22-1234",
    "Setting up libkmod2:amd64 (30+20221128-1) ...",
    "# Copyright 2015-2016 gRPC authors, CVE-2026-3644",
    "CPF 818.612.110-23 and ZIP 36144-0518",
    "doi 10.1038%2Fs41586--020--2649--2",
]


@pytest.mark.parametrize("text,expected", FOUND, ids=[c[1] for c in FOUND])
def test_phone_found(det: Detector, text: str, expected: str) -> None:
    assert expected in phones(det, text)


@pytest.mark.parametrize("text", UNTOUCHED, ids=[t[:30] for t in UNTOUCHED])
def test_phone_look_alikes_stay(det: Detector, text: str) -> None:
    assert phones(det, text) == []


def test_context_widens_to_every_region(det: Detector) -> None:
    """Grouped like no configured or wide region writes it, but valid somewhere: a phone after `tel`."""
    text_ctx, text_bare = "tel 21 234 567", "room 21 234 567"
    assert phones(det, text_ctx) and not phones(det, text_bare)


def test_phone_regions_still_configurable() -> None:
    narrow = Detector(DetectionConfig(ner={"enabled": False}, phone_regions=["US"]))
    assert phones(narrow, "call (415) 555-2671 now") == ["(415) 555-2671"]


def test_remembered_verdicts_answer_as_the_first_judgement() -> None:
    """The phone validator remembers its libphonenumber verdict per (number, context word near); what
    the text around a number decides (glued to an id, digits next to it) is still judged each time."""
    remembering = Detector(DetectionConfig(ner={"enabled": False}))
    texts = [t for t, _ in FOUND] + UNTOUCHED
    first = [phones(remembering, t) for t in texts]
    assert [phones(remembering, t) for t in texts] == first  # answered from the verdicts
    assert first == [phones(Detector(DetectionConfig(ner={"enabled": False})), t) for t in texts]
    assert phones(remembering, "ring me on 0803 123 4567 after 5") == ["0803 123 4567"]
    assert phones(remembering, "build v20803 123 4567 after 5") == []  # the same digits glued to an id
