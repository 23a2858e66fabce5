"""The pattern pass per paragraph (`pattern_units.PatternUnits`) gives exactly the findings of
`PatternEngine.detect` on the whole text: same findings, same order. On the world-rag-concat texts,
on the accuracy corpora (alone and recombined with blank lines), on junctions built to break it
(a number split by the blank line, a context word ending one paragraph and its number opening the
next, an address block over the cut, a card at a paragraph's very edge), and on custom patterns
that anchor or look around. The validators' declared `LOOK_AROUND` is checked too: a verdict must
not change when the text outside it does."""

from __future__ import annotations

import random

import pytest

from benchmarks.accuracy.corpora import load
from benchmarks.detection_cost.world import request_texts
from scrubber.detection.config import DetectionConfig, PatternSpec
from scrubber.detection.finding import Finding
from scrubber.detection.pattern_units import PatternUnits, cuts, junction_proof
from scrubber.detection.patterns import PatternEngine
from scrubber.detection.validators import LOOK_AROUND, VALIDATORS


@pytest.fixture(scope="module")
def engine() -> PatternEngine:
    return PatternEngine(DetectionConfig())


@pytest.fixture(scope="module", params=["default", "re", "wide"])
def any_engine(request) -> PatternEngine:
    """The default table, without the RE2 prefilter, and with a wider context window and a lower threshold."""
    return PatternEngine({"default": DetectionConfig(), "re": DetectionConfig(engine="re"),
                          "wide": DetectionConfig(context_window=200, score_threshold=0.3)}[request.param])


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    items = load("dev") + load("tune")
    return [t for item in items for t in ([item.text] if item.text else (item.fields or {}).values()) if t]


def _assert_same(units: PatternUnits, texts: list[str]) -> None:
    """Each text twice: the first time a text whose paragraphs are all new goes whole, the second time
    through its paragraphs (scanned then, or from the cache)."""
    for text in texts:
        want = units.engine.detect(text)
        assert units.detect(text) == want, f"findings differ on a text of {len(text)} chars"
        assert units.detect(text) == want, f"findings differ on a text of {len(text)} chars, paragraphs cached"


def _naive(engine: PatternEngine, text: str) -> list[Finding]:
    """What cutting blindly would give: each paragraph alone, shifted. Used to show that a junction
    below does reach across (so that the equality on it proves something)."""
    out = []
    for start, end in cuts(text):
        out += [Finding(f.entity_type, f.start + start, f.end + start, f.score, f.detector)
                for f in engine.detect(text[start:end])]
    return sorted(out, key=lambda f: (f.start, f.end, f.entity_type))


def test_world_rag_concat_texts_identical_and_reused(engine):
    units = PatternUnits(engine)
    texts = [t for request in request_texts("world-rag-concat", 40) for t in request]
    assert sum(len(cuts(t)) > 1 for t in texts) > 100
    _assert_same(units, texts)
    assert units.hits > 3 * units.misses, "recurring paragraphs were not reused"


def test_corpora_identical_alone_and_recombined(engine, corpus_texts):
    units = PatternUnits(engine)
    assert len(corpus_texts) > 1500
    _assert_same(units, corpus_texts)
    rng = random.Random(14)
    sample = [t for t in corpus_texts if t.strip()]
    groups = [rng.choice(["\n\n", "\n\n\n", "\n\n\n\n"]).join(rng.sample(sample, rng.randint(2, 4))) for _ in range(600)]
    _assert_same(units, groups)


#: (end of one paragraph, start of the next): each can see across a blank line in some rule
JUNCTIONS = [
    ("Call me on +44 20 7946", "0958 tomorrow."),  # a phone split by the blank line
    ("IBAN DE89 3704 0044", "0532 0130 00 please"),  # an IBAN split
    ("Reach me by phone:", "0612 345 678"),  # the context word before, the number after
    ("My mobile number is", "+1 (555) 010-9999"),
    ("Owner: Jane Roe, 020 7946 0958", "Phone support is open on weekdays."),  # the word after
    ("Owner: Jane Roe, 06 12 34 56 78", "Telefon: bitte anrufen."),
    ("Ship it to", "221B Baker Street\nLondon NW1 6XE"),  # an address block over the cut
    ("221B Baker Street", "London NW1 6XE\nUnited Kingdom"),
    ("Rua das Flores, 123", "01310-100 São Paulo"),
    ("Billing address:", "10115 Berlin"),  # postcode_in_address looks 200 characters back
    ("4111 1111 1111 1111", "was charged twice"),  # a card at the end of a paragraph
    ("Refund the card", "4111 1111 1111 1111"),  # the card word before, the card after
    ("pay with", "5500 0000 0000 0004 today"),
    ("postgres://app", "user@db.example.com"),  # `email` reads back to the previous space
    ("see", "jane.roe@example.org for details"),
    ("cvv", "123"),
    ("password:", "hunter2secret"),
    ("API_KEY=", "sk-proj-abc123def456ghi789jkl012mno"),
    ("Authorization: Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"),
    ("DOB:", "14/03/1987"),
    ("born on", "3 March 1962"),
    ("account number", "12345678"),
    ("customer", "K-2291-0038 is mine"),
    ("4471 0093", "is my account"),
    ("the business one is 9928374650", "for the savings account"),
    ("user", "88123 logged in"),
    ("login:", "jdoe_88"),
    ("order #", "A-1029384"),
    ("passport no", "X1234567"),
    ("PLZ", "80331 München"),
    ("zip", "94107"),
    ("bezorgen naar", "1016 GV"),
    ("firmware version", "10.0.0.1"),  # ipv4 looks 24 characters back for a version word
    ("address", "192.168.10.20"),
    ("version 1.2.", "3.4 released"),
    ("SSN", "078-05-1120"),  # a known fake, taken only after an SSN word
    ("Aadhaar", "2345 6789 0124"),
    ("NHS", "943 476 5919"),
    ("BSN", "111222333"),
    ("CPF", "12345678909"),
    ("my Steuer-ID", "86095742719"),
    ("2024-", "01-15 release"),
    ("0803 555 1234,", "15 Awolowo Road"),
    ("Street:", "Baker Street 221B"),
    ("token", "abcdefghijklmnopqrstuvwx12"),
    ("x", "y"),
    ("", ""),
]


@pytest.mark.parametrize("sep", ["\n\n", "\n\n\n", "\n \n", "  \n\n", "\n\n\t"])
def test_adversarial_junctions_identical(any_engine, sep):
    units = PatternUnits(any_engine)
    filler = "Our support team answers within a day."
    texts = []
    for left, right in JUNCTIONS:
        texts += [left + sep + right, filler + "\n\n" + left + sep + right + "\n\n" + filler,
                  right + sep + left, left + sep + right + sep + left + sep + right]
    _assert_same(units, texts)
    assert units.misses > 40, "the junctions did not go through the paragraphs"


def test_adversarial_junctions_do_reach_across(engine):
    """Cutting blindly would change these: the equality above is not vacuous."""
    reaching = [(left, right) for left, right in JUNCTIONS
                if _naive(engine, left + "\n\n" + right) != sorted(engine.detect(left + "\n\n" + right),
                                                                 key=lambda f: (f.start, f.end, f.entity_type))]
    assert len(reaching) >= 10, reaching


def test_random_junctions_identical(any_engine, corpus_texts):
    """Junction pieces and corpus sentences shuffled into paragraphs, with numbers at their edges."""
    units = PatternUnits(any_engine)
    rng = random.Random(7)
    pieces = [p for pair in JUNCTIONS for p in pair if p] + [t for t in corpus_texts if len(t) < 200][:400]
    texts = []
    for _ in range(1500):
        parts = [rng.choice(pieces) for _ in range(rng.randint(2, 5))]
        texts.append("".join(part + rng.choice(["\n\n", "\n\n\n", " ", "\n"]) for part in parts[:-1]) + parts[-1])
    _assert_same(units, texts)


def test_custom_patterns_that_anchor_or_look_around_run_on_the_whole_text():
    config = DetectionConfig(patterns=[
        PatternSpec(name="ticket_line", entity="USER_ID", regex=r"(?m)^ticket \d{4,}$", score=0.9),
        PatternSpec(name="after_word", entity="USER_ID", regex=r"member\s+(\d{5,})", group=1, score=0.9),
        PatternSpec(name="local_code", entity="USER_ID", regex=r"\bZX\d{6}\b", score=0.3, context=("code",)),
    ])
    engine = PatternEngine(config)
    units = PatternUnits(engine)
    units.detect("a\n\nb")
    units.detect("a\n\nb")  # a paragraph seen before: the patterns are classified
    names = {engine.compiled[i].spec.name for i in units.whole}
    assert {"ticket_line", "after_word"} <= names and "local_code" not in names
    texts = ["intro\n\nticket 12345\n\nend", "intro\n\nticket 12345", "member\n\n123456 here", "code\n\nZX123456",
             "ZX123456\n\ncode", "the code ZX123456\n\nmore"]
    _assert_same(units, texts)


@pytest.mark.parametrize(("regex", "proof"), [
    (r"\b\d{3}[ \-]?\d{4}\b", True),
    (r"\+\d{1,3}(?:\s?\d{2,4}){2,4}", True),  # one whitespace between digits: never two newlines
    (r"word\s*\d+", False),  # `\s*` can take the whole blank line
    (r"[\s\S]*", False),
    (r"(?:^|[^\w])PLZ \d{5}", False),  # an anchor, and `[^\w]` may start on a newline
    (r"x(?=\s*$)", False),  # look-ahead
    (r"(a)\1", False),  # back-reference
    (r"\d+[^\d]", False),  # may end on a newline
    (r"(?s)a.b", True),  # one newline between letters only
    (r"(?s)a.+b", False),
    (r"a[\n]{2}b", False),
])
def test_junction_proof(regex, proof):
    import re

    assert junction_proof(re.compile(regex, re.ASCII)) is proof


def test_every_validator_declares_its_look_around():
    assert set(VALIDATORS) <= set(LOOK_AROUND)


_JUNK = ["", "\n\n", " ", "phone card ssn account 1.2-3.", "version 9.", "Billing address: ", "x-", "12.", ".5",
         "postgres://a", "_"]


def test_look_around_is_all_a_validator_reads(engine, corpus_texts):
    """For candidates of every validating pattern, text changed outside the declared reach leaves the
    verdict as it was: the reach `pattern_units` trusts is the one the validator keeps to."""
    rng = random.Random(3)
    texts = corpus_texts[:1200] + [a + " " + b for a, b in JUNCTIONS]
    checked = 0
    for c in engine.compiled:
        declared = LOOK_AROUND.get(c.spec.validator or "")
        if c.validator is None or declared is None:
            continue
        for text in texts:
            for m in c.regex.finditer(text):
                start, end = m.span(c.spec.group)
                if start >= end:
                    continue
                lo, hi = declared(text, start, end) if callable(declared) else (start - declared[0], end + declared[1])
                kept = text[max(lo, 0):min(hi, len(text))]
                left = rng.choice(_JUNK) if lo >= 0 else ""
                right = rng.choice(_JUNK) if hi <= len(text) else ""
                changed = left + kept + right
                shift = len(left) - max(lo, 0)
                for context in ((False, True) if c.validator_wants_context else (None,)):
                    args = () if context is None else (context,)
                    want = c.validator(text[start:end], text, start, end, *args)
                    got = c.validator(text[start:end], changed, start + shift, end + shift, *args)
                    assert got == want, (c.spec.name, text[start:end])
                checked += 1
    assert checked > 2000


def test_address_head_shortcut_is_exact(corpus_texts):
    """`addresses.extend` skips its `_BEFORE` search when the 64 characters before the street line do not
    end in a comma and blanks: the search can find nothing there."""
    from scrubber.detection.addresses import _BEFORE

    rng = random.Random(5)
    heads = ["Flat 4B,", "c/o Jane Roe, \n", "Apt 5,\r\n  ", "12,\n\n", "Unit 3, x", "No. 12 ,\t", ""]
    for text in corpus_texts[:1500]:
        for _ in range(4):
            at = rng.randrange(len(text) + 1)
            heads.append(text[max(0, at - 64):at])
    for head in heads:
        if not head.rstrip(" \t\r\n").endswith(","):
            assert _BEFORE.search(head) is None, head
