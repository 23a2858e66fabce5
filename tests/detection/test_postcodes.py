"""Postcodes of many countries alone and in context (issue 8, the POSTCODE gap): after their word in
eight languages, in logfmt lines, next to a city of the gazetteer, and the distinctive formats alone;
and the numbers that must stay (ports, sizes, caps, versions)."""

from __future__ import annotations

import pytest

from scrubber.detection import Detector

FOUND = [
    # after the word, in each language (patterns: no NER needed)
    ("my zip is 94107, why is shipping not available?", "94107", False),
    ("PLZ 80331, geht Lieferung am Samstag?", "80331", False),
    ("mon code postal c'est 69003", "69003", False),
    ("el código postal es 41001", "41001", False),
    ("meu CEP é 22041-001, consegue calcular o frete?", "22041-001", False),
    ("il mio CAP è 20121", "20121", False),
    ("postcode 3511 LX, klopt dat?", "3511 LX", False),
    ("mera pincode 411001 hai, delivery hogi?", "411001", False),
    # logfmt: the value ends at the next key, so the city after it is found too
    ("level=warn zip=30301 city=Atlanta attempt=2", "30301", False),
    ("level=warn zip=30301 city=Atlanta attempt=2", "Atlanta", False),
    # distinctive formats alone
    ("can you deliver to M5V 2T6? it's downtown", "M5V 2T6", False),
    ("is 2000 NSW covered by express shipping?", "2000 NSW", False),
    ("How long to Rotterdam? I'm in 3012 CN.", "3012 CN", False),
    # next to a city the gazetteer knows (NER path)
    ("I'm in Durban, 4001. Order placed Monday.", "4001", True),
    ("bonjour, j'habite à Grenoble (38000)", "38000", True),
    ("3-1-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005", "100-0005", True),
    ("Drottninggatan 53, 111 21 Stockholm", "111 21", True),
]

STAY = [
    ("the cap is 1000 requests per minute", "1000"),
    ("zip the file with 7zip 22.01 first", "22.01"),
    ("Port 5432 is closed on the staging db", "5432"),
    ("split the upload in 1000 MB chunks", "1000 MB"),
    ("We moved to Berlin in 2019.", "2019"),
    ("listening on 0.0.0.0:8443, metrics on :9464", "8443"),
]


@pytest.mark.parametrize("text,value,ner", FOUND, ids=[f"{t[:30]}|{v}" for t, v, _ in FOUND])
def test_postcodes_are_found(ner_detector: Detector, text: str, value: str, ner: bool) -> None:
    [found] = ner_detector.detect([text], [ner])
    start = text.index(value)
    assert any(f.start <= start and start + len(value) <= f.end for f in found), \
        f"{value!r} left in {text!r}: {[(f.entity_type, text[f.start:f.end]) for f in found]}"


@pytest.mark.parametrize("text,value", STAY, ids=[t[:40] for t, _ in STAY])
def test_postcode_look_alikes_stay(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [True])
    start = text.index(value)
    hit = [text[f.start:f.end] for f in found if f.start < start + len(value) and f.end > start]
    assert not hit, f"{value!r} in {text!r} taken for {hit}"


STREETS = [
    ("Drottninggatan 53, 111 21 Stockholm", "Drottninggatan 53"),
    ("Storgata 12, 0155 Oslo", "Storgata 12"),
    ("Mannerheimintie 9, Helsinki", "Mannerheimintie 9"),
    ("3-1-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005", "3-1-1 Marunouchi"),
]
NOT_STREETS = [("run steps 1-2-3 Then deploy", "1-2-3"), ("final score 3-1 Liverpool won", "3-1")]


@pytest.mark.parametrize("text,street", STREETS, ids=[t[:40] for t, _ in STREETS])
def test_nordic_and_japanese_street_lines_are_found(ner_detector: Detector, text: str, street: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(street)
    assert any(f.entity_type == "ADDRESS" and f.start <= start and start + len(street) <= f.end for f in found)


@pytest.mark.parametrize("text,value", NOT_STREETS, ids=[t[:40] for t, _ in NOT_STREETS])
def test_numbered_look_alikes_are_no_street(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(value)
    assert not [f for f in found if f.start < start + len(value) and f.end > start]


def test_a_dashed_postcode_after_a_city_but_not_a_year(ner_detector: Detector) -> None:
    text = "Shop 12, Main Bazaar\nKota - 829532"
    [found] = ner_detector.detect([text], [True])
    assert any(text[f.start:f.end] == "829532" or "829532" in text[f.start:f.end] for f in found)
    year = "Paris - 2024 edition"
    [found] = ner_detector.detect([year], [True])
    assert not [f for f in found if "2024" in year[f.start:f.end]]
