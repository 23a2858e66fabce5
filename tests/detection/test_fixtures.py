"""Every planted value of the shared fixtures is found when embedded in a sentence."""

from __future__ import annotations

import json

import pytest

from scrubber.detection import Detector
from scrubber.testing.data import require_fixtures_dir

FIXTURES = require_fixtures_dir()
KINDS = {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "ADDRESS"}
ACCEPTED = {"ADDRESS": {"ADDRESS", "LOCATION"}}

SENTENCES = [
    "Hi, my name is {v} and I need help with my order.",
    "Please forward the invoice to {v} before Friday.",
    "Customer record: {v} was updated yesterday.",
]


def _planted() -> list[tuple[str, str]]:
    values = set()
    for path in sorted(FIXTURES.glob("*/planted.json")):
        for item in json.loads(path.read_text()):
            if item["kind"] in KINDS:
                values.add((item["kind"], item["value"]))
    return sorted(values)


PLANTED = _planted()


def test_fixtures_present() -> None:
    assert len(PLANTED) >= 15, f"no planted values under {FIXTURES}"


@pytest.mark.parametrize("kind,value", PLANTED, ids=[f"{k}:{v[:12]}" for k, v in PLANTED])
@pytest.mark.parametrize("template", SENTENCES, ids=["intro", "forward", "record"])
def test_planted_value_found(ner_detector: Detector, template: str, kind: str, value: str) -> None:
    text = template.format(v=value)
    start = text.index(value)
    end = start + len(value)
    [found] = ner_detector.detect([text], [True])
    covering = [f for f in found if f.start < end and f.end > start and f.entity_type in ACCEPTED.get(kind, {kind})]
    assert covering, f"{kind} not found in {text!r}: {found}"
    # nothing of the value may remain outside the detected spans (alphanumerics only)
    covered = set()
    for f in covering:
        covered.update(range(max(f.start, start), min(f.end, end)))
    leftover = [text[i] for i in range(start, end) if i not in covered and text[i].isalnum()]
    assert len(leftover) <= 4, f"{kind} only partly covered in {text!r}: leftover {''.join(leftover)!r}"
