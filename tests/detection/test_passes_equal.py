"""The name and place passes around NER give exactly the findings they gave before they were made
cheaper (issue 14): `persons.py` and `lexicon.py` remember per-word answers, `gazetteer.city_names`
tries a city only at the tokens that can start one, and a lower-case name's cheap evidence is tested
first. Each device is checked against what it replaced, and all the passes together against digests
of their output recorded from the code before (commit 2d7b54d) on the tune corpus, on texts of the
genai-chat workload and on edge cases.

To record the digests again after an intended rule change: `.venv/bin/python -m
tests.detection.test_passes_equal` prints them.
"""

from __future__ import annotations

import hashlib

import pytest

from scrubber.detection import gazetteer, persons
from scrubber.detection.gazetteer import city_names
from scrubber.detection.lexicon import Lexicon, lexicon
from scrubber.detection.names import cue_names
from scrubber.detection.persons import tokenize

#: (number of texts, sha256 of the texts, sha256 of every pass's output on them) per corpus, from 2d7b54d;
#: corpora whose texts are the same in every process (dev's depend on the hash seed, world-*'s vary)
RECORDED = {
    "edges": (10, "975932a064f62a328d6b2734fb7283b502f733b61fc9d1e8f7136fea3e721bad",
              "52bb7eae25b2eeafac3aa11e9972808f054023bf16aa40837875b378ba9985d0"),
    "tune": (486, "b2f7c829f5849750cd125df25bbbbb2368a5c150fe1ca0613454c7230b7d5c1e",
             "8cf0a02600e83702425a54cf63c0fa880e49a81c576d1acc0d9136b576318966"),
    "genai-chat": (607, "d87149161924c1639c68aa0a3769f2e04969a9d60fd2e7a0f44d1cb4f37732e4",
                   "e3dc4c4aad2a2291f236e42025856324eedd3b8dbac9cd291c853074811a8116"),
}

#: texts that probe the edges of the devices: cities of several words, with hyphens and joiners, after
#: a name's start, folded characters (ß, İ, ﬁ), lower-case chat with every kind of cue, lists
EDGES = [
    "I moved to Rio de Janeiro, then to Saint-Denis and later to Frankfurt am Main.",
    "we live in new york now, near san francisco de macoris; mein Ort ist Bad Homburg vor der Höhe",
    "STRAßE in GIEßEN 35390, İstanbul'da, ﬁrenze, Den Haag 2511 and Den Bosch",
    "Spring Boot on Jakarta EE, the Porto cluster, the Mumbai region, São Paulo-2, Paris - 2024 edition",
    "hi im rahul verma, ask priya about it. ravi said meera's order is late; danke lukas, frag mal jonas",
    "attendees: samuel, comfort akinwale and joy; cc: aditi, kwame & yuki / li\n- nadia: the export is ready",
    "Sure, hamza. with maria and the team. thanks deepak! mark the task done, did deepak approve?",
    "NAME: PING CUI\nLast name: le Gallen; agent=Tania assignee=Łukasz name: checkout-service",
    "Dear Ms. Okafor, Herr Dr. Müller-Lüdenscheidt and Juan de la Cruz wrote to Mr de Werd.",
    "Can Will Nike Air Max 90 or Tesla Model Y tow Customer Success? Können Sie, Madame, Monsieur",
]


def _corpus_texts(name: str) -> list[str]:
    if name == "edges":
        return EDGES
    if name in ("tune", "dev"):
        from benchmarks.accuracy.corpora import load

        items = load(name)
        texts = [t for item in items for t in ([item.text] if item.text else list((item.fields or {}).values()))]
    else:
        from benchmarks.detection_cost.world import request_texts

        texts = [t for request in request_texts(name, 12) for t in request]
    return list(dict.fromkeys(t for t in texts if t))


def pass_outputs(text: str) -> tuple:
    """What every pass of `persons`, `gazetteer` and `names` says about `text`, as `NerDetector` calls
    them, and `judge_span` / `is_personal_place` on each capitalised token and pair (the model's spans)."""
    lex = lexicon()
    toks = tokenize(text)
    lexical = persons.lexicon_names(text, toks=toks)
    cities = [(c, persons.is_personal_place(text, c[0], c[1])) for c in city_names(text, toks, lex)]
    cues = cue_names(text)
    judged = [persons.judge_span(text, f.start, f.end, cue=f.detector == "cue") for f in cues]
    caps = [k for k, t in enumerate(toks) if t.shape != "lower"][:200]
    singles = [persons.judge_span(text, toks[k].start, toks[k].end) for k in caps]
    pairs = [persons.judge_span(text, toks[k].start, toks[k + 1].end) for k in caps if k + 1 < len(toks)]
    places = [persons.is_personal_place(text, toks[k].start, toks[k].end) for k in caps]
    labelled = persons.labelled_names(text)
    propagated = persons.propagate_names(text, lexical + cues + labelled, toks=toks)
    parts = [persons.name_part_spans(text[f.start:f.end], lex) for f in lexical + cues + labelled]
    slots = [persons.propagation_slot(t, lex) for t in toks]
    return ([(t.text, t.start, t.end, t.shape, t.opener) for t in toks], lexical, cities, cues, judged,
            singles, pairs, places, labelled, propagated, parts, slots)


def digests(texts: list[str]) -> tuple[int, str, str]:
    of_texts, of_outputs = hashlib.sha256(), hashlib.sha256()
    for text in texts:
        of_texts.update(text.encode("utf-8", "surrogatepass") + b"\0")
        of_outputs.update(repr(pass_outputs(text)).encode("utf-8", "surrogatepass") + b"\0")
    return len(texts), of_texts.hexdigest(), of_outputs.hexdigest()


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[str]]:
    return {name: _corpus_texts(name) for name in ("tune", "dev", "genai-chat", "world-rag-concat")}


@pytest.mark.parametrize("name", list(RECORDED))
def test_passes_give_the_findings_recorded_before(corpora, name):
    n, texts_digest, outputs_digest = RECORDED[name]
    got = digests(corpora.get(name) or _corpus_texts(name))
    if got[:2] != (n, texts_digest):
        pytest.skip(f"the {name} texts changed since the digests were recorded: record them again (module doc)")
    assert got[2] == outputs_digest, f"a pass gives other findings on the {name} texts than before"


def _words(corpora: dict[str, list[str]]) -> list[str]:
    words = {t.text for texts in corpora.values() for text in texts + EDGES for t in tokenize(text)}
    words |= {w[:-2] for w in words if w[-2:] in ("'s", "’s")}  # what `_lower_case_names` asks about
    return sorted(words)


def _questions() -> list:
    return [q for q in vars(persons).values() if callable(q) and hasattr(q, "__wrapped__")
            and q.__module__ == persons.__name__]


def test_remembered_answers_are_the_questions_answers(corpora, monkeypatch):
    """Every remembered question answers as its body does, also after the memory fills and starts again."""
    monkeypatch.setattr("scrubber.detection.lexicon.ANSWER_MEMO_WORDS", 97)
    shipped = lexicon()
    lex = Lexicon(shipped.first, shipped.last, shipped.words)  # a memory of its own, small
    questions = _questions()
    assert len(questions) >= 10
    for word in _words(corpora):
        for question in questions:
            assert question(lex, word) == question.__wrapped__(lex, word), (question.__name__, word)
            assert question(lex, word) == question.__wrapped__(lex, word), (question.__name__, word)
    assert all(len(memo) <= 97 for memo in lex._answers.values())


def test_name_rank_is_the_best_rank_of_both_tables(corpora):
    lex = lexicon()
    for word in _words(corpora):
        key = word.casefold()
        ranks = [r for r in (lex.first.get(key), lex.last.get(key)) if r is not None]
        assert lex.name_rank(word) == (min(ranks) if ranks else None), word


def _city_names_at_every_token(text: str, toks: list, lex) -> list:
    """`city_names` as it was: `_longest_city` tried at every token."""
    table = gazetteer.cities()
    out = []
    i = 0
    while i < len(toks):
        match = gazetteer._longest_city(text, toks, i, table)
        if match is None:
            i += 1
            continue
        j, name = match
        start, end = toks[i].start, toks[j].end
        if gazetteer._is_place(text, toks, i, j, name, lex, table):
            out.append((start, end, gazetteer.postcodes_around(text, start, end)))
        i = j + 1
    return out


def test_city_names_equal_the_scan_of_every_token(corpora):
    lex = lexicon()
    for text in [t for texts in corpora.values() for t in texts] + EDGES:
        toks = tokenize(text)
        assert city_names(text, toks, lex) == _city_names_at_every_token(text, toks, lex), text[:60]


def test_every_city_name_is_found_as_before():
    """The first token of every name of the table that a text can hold is among `city_starts`, whatever
    its length, hyphens and case folding; and names of several parts (one in seven), in prose before a capitalised word,
    title-cased, as stored and in capitals, are found as by the scan of every token."""
    lex = lexicon()
    starts = gazetteer.city_starts()
    table = gazetteer.cities()
    for k, name in enumerate(table):
        toks = tokenize(name)
        if toks and gazetteer._longest_city(name, toks, 0, table) is not None:  # "agidel’" is never matched
            assert toks[0].text.casefold() in starts, name
        if (" " in name or "-" in name) and k % 7 == 0:
            for written in (name.title(), name, name.upper()):
                text = f"We moved to {written} Street last year"
                toks = tokenize(text)
                assert city_names(text, toks, lex) == _city_names_at_every_token(text, toks, lex), written


def _lower_name_in_context_first_order(text: str, start: int, end: int, word: str, lex) -> bool:
    """`persons._lower_name_in_context` in its first order (the searches before the word first)."""
    from scrubber.detection import name_cues

    before = text[max(0, start - 40):start]
    if persons._STRONG_CUES_BEFORE.search(before) or name_cues.STRONG_BEFORE.search(before) \
            or name_cues.REPLY_BEFORE.search(before):
        return True
    if persons._popular_first_name.__wrapped__(lex, word):
        return True
    if persons._CUES_AFTER.match(text, end) and not persons._DETERMINER_BEFORE.search(before):
        return True
    if not persons._first_name_by_margin(lex, word, margin=20):
        return False
    if name_cues.AFTER.match(text, end) and not persons._DETERMINER_BEFORE.search(before) \
            and persons._first_name_by_margin(lex, word, margin=50):
        return True
    if name_cues.SPEAKER_AFTER.match(text, end) and name_cues.LINE_START_BEFORE.search(before):
        return True
    return bool(name_cues.WEAK_BEFORE.search(before)) or bool(
        persons._rare_name.__wrapped__(lex, word) and persons._NAME_CUES_BEFORE.search(before))


def test_lower_name_in_context_answers_as_in_its_first_order(corpora):
    lex = lexicon()
    for text in [t for texts in corpora.values() for t in texts] + EDGES:
        for tok in tokenize(text):
            if tok.shape != "lower" or not persons._cued_name(lex, tok.text):
                continue
            want = _lower_name_in_context_first_order(text, tok.start, tok.end, tok.text, lex)
            assert persons._lower_name_in_context(text, tok.start, tok.end, tok.text, lex) == want, tok.text


def test_a_run_of_tokens_is_the_tokenization_of_its_span(corpora):
    """`lexicon_names` judges a run of the whole text's tokens (joined by single spaces) without
    tokenizing its span again: those tokens are exactly what `tokenize(text, start, end)` gives."""
    def shape(toks, base=0):
        return [(t.text, t.start + base, t.end + base, t.shape, t.opener) for t in toks]

    for text in [t for texts in corpora.values() for t in texts] + EDGES:
        toks = tokenize(text)
        for k, tok in enumerate(toks):
            assert shape(tokenize(text, tok.start, tok.end), tok.start) == shape([tok])
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if nxt is not None and text[tok.end:nxt.start] in (" ", "-"):
                assert shape(tokenize(text, tok.start, nxt.end), tok.start) == shape([tok, nxt])


def test_a_frame_is_read_from_where_its_loose_re2_finds_a_start(corpora):
    """`names.cue_names` skips a frame where its loose RE2 regex finds nothing, and reads it from
    the first start that RE2 finds: every match of the frame starts there or later."""
    from scrubber.detection import names

    assert all(loose is not None for _, loose, *_ in names._FRAMES), "a frame lost its prefilter"
    for text in [t for texts in corpora.values() for t in texts] + EDGES + ["x \udc80 Dear Bob, Mr Li"]:
        encoded = text.encode("utf-8", "surrogatepass")
        for regex, loose, *_ in names._FRAMES:
            first = next(regex.finditer(text), None)
            found = loose.search(encoded)
            if first is not None:
                assert found is not None and len(encoded[:found.start()].decode("utf-8", "surrogatepass")) \
                    <= first.start(), (regex.pattern[:30], text[:60])


@pytest.mark.parametrize("pattern", [r"a$", r"^a", r"(?i:straße)", r"\d+", r"[\s,]x", r"(?<=a)b", r"(?!a)b", r"a\\b"])
def test_no_loose_re2_for_what_re2_reads_otherwise(pattern):
    import re

    from scrubber.detection.names import loose_re2

    assert loose_re2(re.compile(pattern)) is None


#: endings that probe `name_cues.ends_with_cue`: `$` before a final newline, "@", other whitespace
ENDINGS = ["thanks ", "thanks \n", "thanks\n", "thanks \n\n", "thanks,\t", "@", "@\n", "x@ ", "ok, ", "ok,\n",
           "ok, \n", "sure,  \t", "hi\u00a0", "hi \u2003", "i'm\n", "my name is ", "mi chiamo  ", "got a call from ",
           "met with\t\t", "thank you ", "xthanks ", "-thanks ", "thanks!", "who is ", "mera naam hai "]


def test_cue_endings_answer_as_the_whole_search(corpora):
    """The searches of the 40 characters before a token, cut short to the end that a cue can span,
    answer as the whole search: at every token of the corpora and on crafted endings."""
    from scrubber.detection import name_cues

    checks = [(name_cues.strong_before, name_cues.STRONG_BEFORE), (name_cues.reply_before, name_cues.REPLY_BEFORE),
              (lambda b: name_cues.ends_with_cue(persons._STRONG_CUES_BEFORE, persons._STRONG_CUE_WIDTH, b, None),
               persons._STRONG_CUES_BEFORE)]
    windows = [text[max(0, t.start - 40):t.start] for texts in corpora.values() for text in texts[:150]
               for t in tokenize(text)]
    windows += [pad + ending for ending in ENDINGS for pad in ("", "x", "a b c " * 8, "Hello, ")]
    windows += [w[-n:] for w in ENDINGS for n in range(1, len(w))]
    for cut_short, regex in checks:
        for before in windows:
            assert cut_short(before) == (regex.search(before) is not None), (regex.pattern[:30], before)


if __name__ == "__main__":
    for corpus in RECORDED:
        print(f'    "{corpus}": {digests(_corpus_texts(corpus))},')
