"""Issue 8: a name found in full in one field of a batch is a name in every other field, and so
are its parts ("Priya Raman" in the prompt, "Raman" alone in the answer or a log attribute)."""

from __future__ import annotations

from scrubber.pdata import Signal, items
from scrubber.processors.pii.tests import build
from scrubber.processors.pii.tests.conftest import Harness


def _scrubbed(h: Harness, attributes: dict) -> dict:
    out = h.run(Signal.TRACES, build.traces({"attributes": attributes}))
    return build.attrs([item for _, _, item in items(out)][0])


def test_parts_of_a_full_name_are_scrubbed_in_other_fields(harness):
    out = _scrubbed(harness(), {
        "gen_ai.prompt": "Hello, my name is Oluwaseun Adeyemi and my order is late.",
        "gen_ai.completion": "I am sorry, adeyemi. Oluwaseun, your order ships today.",
        "app.note": "callback requested by Adeyemi",
    })
    for value in out.values():
        assert "Oluwaseun" not in value and "Adeyemi" not in value and "adeyemi" not in value, value
    assert "order ships today" in out["gen_ai.completion"]


def test_plain_words_of_a_name_do_not_spread(harness):
    out = _scrubbed(harness(), {
        "gen_ai.prompt": "Hello, my name is Will Grant.",
        "gen_ai.completion": "This will be done by tomorrow.",
    })
    assert out["gen_ai.completion"] == "This will be done by tomorrow."
