"""The accuracy harness (benchmarks/accuracy) computes what it claims: a planted value left in the
output is a verbatim leak, a piece of it a partial leak, a scrubbed one neither; a negative item
is changed only when its content changes; and it runs end to end through the real pii processor
of config/default.yaml. Fast: a small subset, no Presidio."""

from __future__ import annotations

import json

import phonenumbers
import pytest

from benchmarks.accuracy import corpora, ids, run
from benchmarks.accuracy.carriers import CARRIERS, Placed, compatible
from benchmarks.accuracy.items import CATEGORIES, Item, Planted
from benchmarks.accuracy.leaks import judge
from scrubber.pdata import otlpjson


def _round_trip(placed: Placed) -> object:
    """The request through the real OTLP/JSON codec, unscrubbed, and the carrier value read back."""
    signal, request = otlpjson.load_line(json.dumps(placed.request("in")))
    return placed.extract(json.loads(otlpjson.dumps(request)))


def _sample() -> list[Item]:
    text = Item("t", text="Call Maria Souza on +55 11 91234-5678 about card 4111 1111 1111 1111.",
                planted=[Planted("Maria Souza", "PERSON_FULL"), Planted("+55 11 91234-5678", "PHONE_NUMBER", "BR"),
                         Planted("4111 1111 1111 1111", "CREDIT_CARD")])
    fields = Item("f", fields={"first_name": "Aiko", "last_name": "Tanaka", "reason": "refund"},
                  planted=[Planted("Aiko", "PERSON_FIRST_ONLY"), Planted("Tanaka", "PERSON_SURNAME_ONLY")])
    short = Item("s", text="Chidi Okafor", key="app.customer.display_name", planted=[Planted("Chidi Okafor", "PERSON_FULL")])
    negative = Item("n", text="Failover to the Frankfurt region finished; firmware 3.1.86.2.")
    negative_fields = Item("nf", fields={"region": "eu-central-1", "count": "3"})
    return [text, fields, short, negative, negative_fields]


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda c: c.name)
def test_unscrubbed_output_is_a_verbatim_leak_in_every_carrier(carrier):
    items = [i for i in _sample() if carrier in compatible(i)]
    assert items, carrier.name
    placed = [Placed(carrier, item, n) for n, item in enumerate(items)]
    judged = run.evaluate(placed, [_round_trip(p) for p in placed])
    assert judged["values"] and all(r.verbatim and r.partial for _, r, _ in judged["values"])
    assert not any(changed for _, changed in judged["negatives"])
    assert judged["json_invalid"] == 0


def test_scrubbed_values_do_not_leak_and_pieces_do():
    source = "Call Maria Souza on +55 11 91234-5678 from 12 Rua Augusta, 1100-053 Lisboa."
    planted = [Planted("Maria Souza", "PERSON_FULL"), Planted("+55 11 91234-5678", "PHONE_NUMBER", "BR"),
               Planted("12 Rua Augusta", "STREET_ADDRESS"), Planted("1100-053", "POSTCODE")]
    clean = judge(planted, source, "Call <PERSON:in-1:0a1b2c3d4e5f> on <PHONE_NUMBER:in-1:123456789012> from "
                                   "<STREET_ADDRESS:in-1:999988887777>, <POSTCODE> Lisboa.")
    assert not any(r.verbatim or r.partial for r in clean)
    partly = judge(planted, source, "Call <PERSON> Souza on +55 11 <PHONE_NUMBER> from 12 Rua <LOCATION>, 1100-053 Lisboa.")
    by = {r.planted.category: r for r in partly}
    assert by["PERSON_FULL"].partial and not by["PERSON_FULL"].verbatim and by["PERSON_FULL"].leaked == ["Souza"]
    assert not by["PHONE_NUMBER"].partial  # the country and area code alone name nobody
    assert not by["STREET_ADDRESS"].partial  # "Rua" and the house number are not significant pieces
    assert by["POSTCODE"].verbatim


def test_a_word_the_item_uses_elsewhere_is_not_blamed_on_the_scrubber():
    source = "Ana Paris lives near the Paris office."
    result, = judge([Planted("Ana Paris", "PERSON_FULL")], source, "<PERSON> lives near the Paris office.")
    assert not result.partial


def test_a_number_cut_in_two_leaves_a_partial_leak():
    result, = judge([Planted("DE89370400440532013000", "IBAN_CODE")], "IBAN DE89370400440532013000",
                    "IBAN <IBAN_CODE>0532013000")
    assert result.partial and result.leaked == ["0532013000"]


def test_json_negatives_compare_parsed_and_invalid_json_counts():
    negative = Item("n", fields={"region": "eu-central-1", "count": "3"})
    carrier = next(c for c in CARRIERS if c.name == "genai.tool.call.arguments")
    placed = [Placed(carrier, negative, 0), Placed(carrier, negative, 1), Placed(carrier, negative, 2)]
    reordered = json.dumps({"count": "3", "region": "eu-central-1"}, indent=2)
    changed = json.dumps({"region": "<LOCATION>", "count": "3"})
    judged = run.evaluate(placed, [reordered, changed, '{"region": '])
    assert [c for _, c in judged["negatives"]] == [False, True, True]
    assert judged["json_total"] == 3 and judged["json_invalid"] == 1


def test_heldout_corpus_is_complete_and_its_values_are_plausible():
    items = corpora.load("heldout")
    planted = [p for i in items for p in i.planted]
    assert len(items) >= 600 and sum(i.negative for i in items) >= 290 and len(planted) >= 850
    counts = {c: sum(p.category == c for p in planted) for c in CATEGORIES}
    assert min(counts.values()) >= 15, counts
    for p in planted:
        digits = "".join(ch for ch in p.value if ch.isdigit())
        if p.category == "PHONE_NUMBER":
            number = phonenumbers.parse(p.value, p.country)
            assert phonenumbers.is_valid_number(number), p.value
        elif p.category == "CREDIT_CARD":
            assert ids.luhn_ok(p.value), p.value
        elif p.category == "IBAN_CODE":
            assert ids.iban_ok(p.value), p.value
        elif p.category == "IN_AADHAAR":
            assert ids.verhoeff_complete(digits[:-1]) == digits, p.value
        elif p.category == "BR_CPF":
            assert ids.cpf_complete(digits[:-2]) == digits, p.value


def test_show_leaks_is_refused_for_the_heldout_corpus(capsys):
    with pytest.raises(SystemExit) as exc:
        run.main(["--corpus", "heldout", "--show-leaks", "5", "--no-presidio"])
    assert exc.value.code == 2
    assert "tuning corpora (dev, tune) only" in capsys.readouterr().err


def test_the_hand_written_tuning_corpus_loads_with_its_negatives():
    """`tune` is the second tuning set (hand-written, not Faker): big enough to judge a rule on, with
    negatives from technical text, and every category it plants is one the harness reports."""
    items = corpora.load("tune")
    assert len(items) >= 300
    negatives = [i for i in items if i.negative]
    assert len(negatives) >= 100
    planted = {p.category for i in items for p in i.planted}
    assert {"PERSON_LOWERCASE", "CITY", "POSTCODE", "ACCOUNT_NUMBER"} <= planted <= set(CATEGORIES)
    assert len({i.lang for i in items}) >= 8


def test_show_leaks_works_on_the_tune_corpus(tmp_path, capsys):
    assert run.main(["--corpus", "tune", "--no-presidio", "--limit", "40", "--show-leaks", "3",
                     "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "accuracy-tune.json").exists()
    assert "carriers by partial leak rate" in capsys.readouterr().out


def test_end_to_end_through_the_real_pii_processor(tmp_path, capsys):
    """A small dev subset through config/default.yaml's pii/in: the figures are computed and written."""
    assert run.main(["--corpus", "dev", "--no-presidio", "--limit", "60", "--out-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "accuracy-dev.json").read_text())
    ours = result["scrubber"]
    assert result["items"] == 60 and ours["processor"] == "pii/in" and ours["jurisdiction"] == "in"
    assert ours["overall"]["n"] == result["planted_values"] > 0
    assert ours["negatives"]["n"] == result["negative_items"] > 0
    assert ours["json"]["invalid"] == 0
    # the real processor pseudonymizes most of what is planted: far fewer leaks than raw text (100%)
    assert ours["overall"]["verbatim_rate"] < 0.5
    out = capsys.readouterr().out
    assert "overall" in out and ("[met]" in out or "[MISS]" in out)
