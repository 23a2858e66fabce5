"""Lower-case names in chat, in any position, in eight languages (issue 8, the PERSON_LOWERCASE gap),
and the lower-case words of technical text that must stay. Each row is one kind of evidence
(`persons._lower_name_in_context`, cue words in `name_cues.py`), not one corpus template."""

from __future__ import annotations

import pytest

from scrubber.detection import Detector

FOUND = [
    # an address or an introduction before it, in each language
    ("danke lukas, läuft wieder!", ["lukas"]),
    ("merci thibault, c'est réglé", ["thibault"]),
    ("gracias alejandro, ya me llegó", ["alejandro"]),
    ("obrigado thiago! funcionou", ["thiago"]),
    ("grazie matteo, tutto ok", ["matteo"]),
    ("bedankt joris, het werkt weer", ["joris"]),
    ("frag mal jürgen, der hat die Zugangsdaten", ["jürgen"]),
    ("demande à camille si la facture est partie", ["camille"]),
    ("chiedi a giulia se ha ricevuto il pacco", ["giulia"]),
    ("vraag het even aan sanne, zij heeft de sleutels", ["sanne"]),
    ("my husband emeka made the booking", ["emeka"]),
    ("who is rahul? he keeps emailing", ["rahul"]),
    ("sorry, valentina - wrong link", ["valentina"]),
    ("@haruto can you check the failing job", ["haruto"]),
    ("Sure, hamza. I've noted the new address.", ["hamza"]),
    # a verb or particle after it, a speaker at a line start
    ("tomasz is out sick today", ["tomasz"]),
    ("rohit bhai ne kaha tha refund aa jayega", ["rohit"]),
    ("nadia: the export is ready\npieter: thx", ["nadia", "pieter"]),
    # a weak cue before a first name that reads as one
    ("meeting with hans tomorrow at 10", ["hans"]),
    ("termin mit katrin ist verschoben", ["katrin"]),
    ("fala com o joão sobre a entrega", ["joão"]),
    # a popular first name that is no common word, anywhere in prose
    ("did deepak approve the refund?", ["deepak"]),
    ("customer says aisha khan was charged twice", ["aisha khan"]),
]

STAY = [
    ("panic: runtime error: index out of range", ["panic"]),
    ("depending on what option flags the test runner is using", ["runner"]),
    ("Tesla Model Y\ntowing capacity\nmetric", ["towing"]),
    ("we use buffalo for the go backend and echo for the internal tools", ["buffalo", "echo"]),
    ("ok mark the ticket as done, will do", ["mark", "will"]),
    ("i hope this helps, the grace period is 30 days", ["hope", "grace"]),
    ("may i suggest we move the sync to an async job", ["may"]),
    ("the request uri is wrong, check the handler", ["uri", "handler"]),
    ("cc: security, infra", ["security", "infra"]),
    ("thanks all, great sprint", ["all", "great", "sprint"]),
    ("trim the primitive values, see the wiki for the fares table", ["trim", "primitive", "wiki", "fares"]),
]


@pytest.mark.parametrize("text,names", FOUND, ids=[t[:40] for t, _ in FOUND])
def test_lower_case_names_are_found(ner_detector: Detector, text: str, names: list[str]) -> None:
    [found] = ner_detector.detect([text], [True])
    persons = [f for f in found if f.entity_type == "PERSON"]
    for name in names:
        start = text.index(name)
        assert any(f.start <= start and start + len(name) <= f.end for f in persons), \
            f"{name!r} left in {text!r}: {[text[f.start:f.end] for f in found]}"


@pytest.mark.parametrize("text,words", STAY, ids=[t[:40] for t, _ in STAY])
def test_lower_case_look_alikes_stay(ner_detector: Detector, text: str, words: list[str]) -> None:
    [found] = ner_detector.detect([text], [True])
    for word in words:
        start = text.index(word)
        hit = [text[f.start:f.end] for f in found if f.start < start + len(word) and f.end > start]
        assert not hit, f"{word!r} in {text!r} taken for {hit}"
