"""Account, customer, member, policy and loyalty numbers with their words in several languages
(issue 8, ACCOUNT_NUMBER leaked more than with Presidio), and the numbers that must stay: build
ids, ports, versions, counts, dates written as digits."""

from __future__ import annotations

import pytest

from scrubber.detection import Detector

FOUND = [
    ("frequent flyer number LH 9923 8812 77", "LH 9923 8812 77"),
    ("número de cuenta 2100 0418 4502 0005 1332", "2100 0418 4502 0005 1332"),
    ("conto corrente n. 000001234567", "000001234567"),
    ("WARN crm.sync failed customer_no=771029 reason=timeout", "771029"),
    ("I have two accounts, the business one is 9928374650 and the other ends in 4471", "9928374650"),
    ("Kontonummer 0532013000, BLZ 37040044 - bitte überweisen", "0532013000"),
    ("mera khata number 32165498701 hai", "32165498701"),
    ("mijn klantnummer is 30018827", "30018827"),
]

STAY = [
    ("INFO accounts.sync: processed 12840 accounts in 41.7s (0 errors)", "12840"),
    ("build 20261130 for the account service passed", "20261130"),
    ("the free tier allows 3 accounts per workspace", "3"),
    ("account_id column, index 1700000000.123 rebuilt", "1700000000"),
    ("Our customer count went from 1200 to 1850 this year.", "1850"),
    ("epoch 1764547200 for the account audit", "1764547200"),
]


@pytest.mark.parametrize("text,value", FOUND, ids=[t[:40] for t, _ in FOUND])
def test_account_numbers_are_found(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(value)
    assert any(f.start <= start and start + len(value) <= f.end for f in found), \
        f"{value!r} left in {text!r}: {[(f.entity_type, text[f.start:f.end]) for f in found]}"


@pytest.mark.parametrize("text,value", STAY, ids=[t[:40] for t, _ in STAY])
def test_account_look_alikes_stay(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(value)
    hit = [text[f.start:f.end] for f in found if f.start < start + len(value) and f.end > start]
    assert not hit, f"{value!r} in {text!r} taken for {hit}"
