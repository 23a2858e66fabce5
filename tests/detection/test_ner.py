"""NER: PERSON/LOCATION from spaCy via Presidio, cue rules, and technical-text suppression."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scrubber.detection import DetectionConfig, Detector
from scrubber.detection import ner as ner_module

from .conftest import spans_of

FOUND = [
    ("We met Maria Gonzalez in Berlin last week.", {("PERSON", "Maria Gonzalez"), ("LOCATION", "Berlin")}),
    ("Hi, I'm Lisa Jacobs. Please call back.", {("PERSON", "Lisa Jacobs")}),
    ("Customer record: Tabea Söding lives at Alexa-Pergande-Ring 280.",
     {("PERSON", "Tabea Söding"), ("ADDRESS", "Alexa-Pergande-Ring 280")}),
    ("Dear Mr. Jonathan Smith, your parcel to Paris, France is late.",
     {("PERSON", "Mr. Jonathan Smith"), ("LOCATION", "Paris"), ("LOCATION", "France")}),
    ("I am Ulf Reuter B.Eng. (a@example.net).", {("PERSON", "Ulf Reuter B.Eng."), ("EMAIL_ADDRESS", "a@example.net")}),
]

TECHNICAL = [
    "Use gpt-4o-mini or claude-3-5-sonnet with temperature 0.2 and max_tokens=512.",
    "Traceback (most recent call last):\n  File \"/srv/app/handlers.py\", line 42, in handle\n"
    "    user = UserRepository.get_by_id(user_id)\nKeyError: 'user_id'",
    "SELECT id, created_at FROM orders WHERE customer_id = 42 AND status = 'Shipped' ORDER BY created_at DESC;",
    "GET https://api.example.com/v1/users?page=2 returned 503 after 1200 ms (trace 4bf92f3577b34da6a3ce929d0e0e4736)",
    "def load_config(path: str) -> dict:\n    return yaml.safe_load(Path(path).read_text())",
    "Deployed build 2024-01-15T10:32:00Z to eu-central-1 with request_id 550e8400-e29b-41d4-a716-446655440000.",
]


@pytest.mark.parametrize("text,expected", FOUND, ids=[t[:30] for t, _ in FOUND])
def test_ner_finds_people_and_places(ner_detector: Detector, text: str, expected: set) -> None:
    assert expected <= set(spans_of(ner_detector, text))


@pytest.mark.parametrize("text", TECHNICAL, ids=[t[:30] for t in TECHNICAL])
def test_no_names_in_technical_text(ner_detector: Detector, text: str) -> None:
    found = [(t, s) for t, s in spans_of(ner_detector, text) if t in ("PERSON", "LOCATION", "ADDRESS")]
    assert found == []


def test_organizations_and_dates_do_not_leak(ner_detector: Detector) -> None:
    """Presidio's default labels_to_ignore is kept: no ORGANIZATION, DATE_TIME, NRP, MONEY..."""
    text = "Apple and Microsoft paid $3 million on Monday, 5 March 2024, to 300 American engineers."
    types = {t for t, _ in spans_of(ner_detector, text)}
    assert types <= {"PERSON", "LOCATION"}
    assert "ORGANIZATION" not in types


def test_ner_flag_false_runs_patterns_only(ner_detector: Detector) -> None:
    text = "Maria Gonzalez wrote from maria@example.com"
    assert spans_of(ner_detector, text, ner=False) == [("EMAIL_ADDRESS", "maria@example.com")]


def test_model_loaded_once_with_ner_components_only(ner_detector: Detector) -> None:
    Detector(DetectionConfig()).detect(["John Smith"], [True])  # a second Detector shares the model
    assert ner_module.load_count == 1
    nlp = ner_module.load_nlp(DetectionConfig().ner.model)
    assert nlp.pipe_names == ["ner"]  # its own Tok2Vec inside; the shared one is dropped


def test_long_text_is_split_with_correct_offsets(ner_detector: Detector) -> None:
    filler = "lorem ipsum dolor sit amet " * 200
    text = filler + "We met Maria Gonzalez in Berlin." + filler
    config = DetectionConfig(ner={"max_chars": 1000})
    found = spans_of(Detector(config), text)
    assert ("PERSON", "Maria Gonzalez") in found


def test_first_call_never_touches_the_network() -> None:
    """tldextract (Presidio's e-mail recognizer) would fetch the public-suffix list: we never call it."""
    code = textwrap.dedent(
        """
        import json, socket, time
        attempts = []
        def refuse(self, *a, **k):
            attempts.append(str(a))
            raise OSError("network disabled in test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        t0 = time.monotonic()
        from scrubber.detection import Detector, DetectionConfig
        d = Detector(DetectionConfig())
        [found] = d.detect(["Contact Jane Doe at jane.doe@example.com please"], [True])
        print(json.dumps({"s": time.monotonic() - t0, "attempts": attempts,
                          "types": sorted({f.entity_type for f in found})}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["s"] < 30.0  # generous: shared CI cores; model + lexicon load take ~3 s on a quiet machine
    assert "EMAIL_ADDRESS" in result["types"]
