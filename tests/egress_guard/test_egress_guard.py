"""The egress guard: exactly the item carrying personal data is dropped, counted and logged
by key and entity type (never the value); in `aggregates` mode no span or log leaves."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.connectors.aggregates.connector import AggregatesConnector
from scrubber.consumer import SinkConsumer
from scrubber.errors import ConfigError
from scrubber.pdata import Signal, item_count, items, otlpjson
from scrubber.processors.egress_guard.config import EgressGuardConfig
from scrubber.processors.egress_guard.processor import create_processor
from scrubber.registry import default_registry
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import require_fixtures_dir
from tests.aggregates import builders as b

FIXTURES = require_fixtures_dir()
TOKEN = "<USER_ID:eu-2026a:5f1c9e07b2a4>"


def planted(kinds=("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE")) -> list[tuple[str, str]]:
    seen = {}
    for path in sorted(FIXTURES.glob("*/planted.json")):
        for entry in json.loads(path.read_text()):
            if entry["kind"] in kinds:
                seen.setdefault(entry["value"], entry["kind"])
    return sorted((kind, value) for value, kind in seen.items())


PLANTED = planted()


class Guarded:
    """The processor in front of an in-memory sink, with its own telemetry."""

    def __init__(self, signal: Signal, **config):
        self.telemetry = Telemetry()
        settings = Settings(ComponentID("egress_guard", "global"), Kind.PROCESSOR,
                            logging.getLogger("test.egress_guard"), self.telemetry, f"{signal}/global")
        self.sink = SinkConsumer()
        self.processor = create_processor(settings, EgressGuardConfig(**config), signal, self.sink)
        self.signal = signal

    def send(self, request):
        asyncio.run(self.processor.consume(self.signal, request))
        return self.sink.received[-1][1] if self.sink.received else None

    def dropped(self, reason: str, entity_type: str) -> float:
        return self.telemetry.value("egress_guard_dropped_items_total",
                                    {"signal": str(self.signal), "reason": reason, "entity_type": entity_type})


def _names(request) -> list[str]:
    return [item.name for _, _, item in items(request)]


def test_fixture_planted_values_are_present():
    kinds = {kind for kind, _ in PLANTED}
    assert kinds == {"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE"} and len(PLANTED) >= 6


@pytest.mark.parametrize("kind, value", PLANTED)
def test_pseudonymized_spans_drop_exactly_the_item_carrying_a_planted_value(kind, value, caplog):
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"please use {value} for it"}]}])
    clean = json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"hello {TOKEN}"}]}])
    request = b.spans([
        {"name": "chat a", "attrs": {"gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": clean, "enduser.id": TOKEN}},
        {"name": "chat b", "attrs": {"gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": messages}},
        {"name": "chat c", "attrs": {"gen_ai.usage.input_tokens": 12}},
    ])
    with caplog.at_level(logging.WARNING, logger="test.egress_guard"):
        out = guard.send(request)
    assert _names(out) == ["chat a", "chat c"]
    assert value not in otlpjson.dumps(out)
    assert guard.dropped("pattern", kind) == 1
    assert "gen_ai.input.messages" in caplog.text and kind in caplog.text
    assert value not in caplog.text


@pytest.mark.parametrize("kind, value", PLANTED[:3])
def test_aggregates_mode_drops_the_data_point_with_a_planted_value(kind, value, caplog):
    guard = Guarded(Signal.METRICS, mode="aggregates")
    request = b.counter("requests", [({"gen_ai.request.model": "gpt-4o"}, 1),
                                     ({"gen_ai.request.model": f"model {value}"}, 2),
                                     ({"residency.jurisdiction": "eu"}, 3)])
    with caplog.at_level(logging.WARNING, logger="test.egress_guard"):
        out = guard.send(request)
    assert [p.as_int for _, _, p in items(out)] == [1, 3]
    assert guard.dropped("pattern", kind) == 1
    assert "gen_ai.request.model" in caplog.text and value not in caplog.text


def test_values_are_found_at_any_depth_in_bodies_and_as_integers():
    card = next(v for k, v in PLANTED if k == "CREDIT_CARD")
    guard = Guarded(Signal.LOGS, mode="pseudonymized")
    out = guard.send(b.logs([
        {"body": {"event": "payment", "details": [{"note": "ok"}, {"card": card}]}},
        {"body": "fine", "attrs": {"gen_ai.usage.input_tokens": int(card)}},
        {"body": {"event": "clean", "details": ["nothing"]}},
    ]))
    assert item_count(out) == 1
    assert guard.dropped("pattern", "CREDIT_CARD") == 2


def test_keys_off_the_allow_list_drop_the_item_and_a_key_holding_pii_is_not_logged(caplog):
    guard = Guarded(Signal.METRICS, mode="aggregates")
    with caplog.at_level(logging.WARNING, logger="test.egress_guard"):
        out = guard.send(b.counter("requests", [({"enduser.id": "u-1"}, 1), ({"x.jane@example.com": "1"}, 1),
                                                ({"service.name": "a"}, 5)]))
    assert [p.as_int for _, _, p in items(out)] == [5]
    assert guard.dropped("key_not_allowed", "none") == 1  # enduser.id: a catalogued key, named as such
    assert guard.dropped("key_not_allowed", "EMAIL_ADDRESS") == 1  # a key holding an e-mail address
    assert "enduser.id" in caplog.text and "<key holding EMAIL_ADDRESS>" in caplog.text
    assert "jane" not in caplog.text and "example.com" not in caplog.text


PERSON = "Priya Raman"  # a name the NER finds on its own


def test_unlisted_keys_are_logged_by_shape_never_verbatim(caplog):
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    with caplog.at_level(logging.WARNING, logger="test.egress_guard"):
        out = guard.send(b.spans([
            {"name": "a", "attrs": {f"feature.flag.{PERSON}": "on"}},
            {"name": "b", "attrs": {"feature.flag.ada_obi_beta": "on"}},  # a lower-case name in a key
            {"name": "b2", "attrs": {"feature.flag.dark_mode_beta": "on"}},
            {"name": "c", "attrs": {f"traceloop.association.properties.{PERSON}": TOKEN,
                                    "gen_ai.request.model": "gpt-4o"}},
            {"name": "d", "attrs": {f"gen_ai.custom.{PERSON}": "x"}},
            {"name": "e", "attrs": {"gen_ai.request.model": "gpt-4o"}},
        ]))
    assert _names(out) == ["e"]
    assert guard.dropped("key_not_allowed", "PERSON") == 2 and guard.dropped("key_not_allowed", "none") == 1
    assert guard.dropped("pattern", "PERSON") == 2  # c, d: keys allowed by a pattern, holding a name
    assert "<key holding PERSON>" in caplog.text and "<key not on the allow-list>" in caplog.text
    # the catalog / allow-list pattern names where, not the key
    assert "gen_ai.*" in caplog.text and "traceloop.association.properties.*" in caplog.text
    assert "Priya" not in caplog.text and "ada_obi" not in caplog.text and "dark_mode" not in caplog.text


GERMAN_PHONES = ["+49 (0)151 2345 6789", "0151 23456789", "030 12345678"]


@pytest.mark.parametrize("phone", GERMAN_PHONES)
def test_german_phone_in_a_us_prompt_is_caught_also_behind_json_escapes(phone):
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    for text in (f"Rückruf bitte unter\u00a0{phone}", f"ruf mich an: {phone}"):
        raw = '[{"role":"user","parts":[{"type":"text","content":"' + text + '"}]}]'
        assert json.loads(raw)  # valid JSON, as an SDK writes it
        out = guard.send(b.spans([{"name": "chat", "attrs": {"gen_ai.input.messages": raw,
                                                             "residency.jurisdiction": "us"}},
                                  {"name": "ok", "attrs": {"gen_ai.request.model": "gpt-4o"}}]))
        assert _names(out) == ["ok"]
    assert guard.dropped("pattern", "PHONE_NUMBER") == 2


def test_phones_of_regions_outside_the_pii_default_are_caught():
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    out = guard.send(b.spans([{"name": "a", "attrs": {"gen_ai.prompt": "ligue (11) 91234-5678"}},
                              {"name": "b", "attrs": {"gen_ai.prompt": "whatsapp 0803 123 4567"}},
                              {"name": "c", "attrs": {"gen_ai.prompt": "firmware 3.1.86.2, build 20241022"}}]))
    assert _names(out) == ["c"]


def test_names_in_values_span_names_event_names_and_json_keys_are_caught():
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    request = b.spans([
        {"name": f"call {PERSON}"},
        {"name": "a", "attrs": {"gen_ai.prompt": f"my name is {PERSON}"}},
        {"name": "b", "attrs": {"gen_ai.input.messages": json.dumps([{"role": "user", "metadata": {PERSON: 1}}])}},
        {"name": "c"},
        {"name": "ok", "attrs": {"gen_ai.prompt": f"my name is {TOKEN}"}},
    ])
    request.resource_spans[0].scope_spans[0].spans[3].events.add(name=f"escalated to {PERSON}")
    out = guard.send(request)
    assert _names(out) == ["ok"]
    assert guard.dropped("pattern", "PERSON") == 4


def test_identifier_keys_pass_only_as_pseudonym_tokens():
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    out = guard.send(b.spans([{"name": "a", "attrs": {"enduser.id": TOKEN}}, {"name": "b", "attrs": {"enduser.id": "u-26139505"}},
                              {"name": "c", "attrs": {"session.id": "<USER_ID>"}}]))
    assert _names(out) == ["a", "c"]
    assert guard.dropped("not_pseudonymized", "IDENTIFIER") == 1


def test_resource_with_pii_drops_all_its_items():
    guard = Guarded(Signal.TRACES, mode="pseudonymized")
    out = guard.send(b.spans([{"name": "a"}, {"name": "b"}], resource={"service.name": "svc-jane@example.com"}))
    assert out is None
    assert guard.dropped("pattern", "EMAIL_ADDRESS") == 2


@pytest.mark.parametrize("signal, request_", [
    (Signal.TRACES, b.spans([{"name": "a"}, {"name": "b"}])),
    (Signal.LOGS, b.logs([{"body": "x"}, {"body": "y"}])),
])
def test_aggregates_mode_drops_every_span_and_log(signal, request_):
    guard = Guarded(signal, mode="aggregates")
    assert guard.send(request_) is None
    assert guard.sink.received == []
    assert guard.dropped("signal_not_allowed", "none") == 2


def test_exemplars_are_a_violation():
    guard = Guarded(Signal.METRICS)
    assert guard.send(b.histogram("latency", [({"service.name": "a"}, [1, 0, 0], 1.0)])) is None
    assert guard.dropped("exemplar", "none") == 1


def test_the_aggregates_connector_output_passes_untouched():
    """The two halves agree: everything the aggregates connector derives from the raw
    fixtures is allowed by the guard's default allow-list in aggregates mode."""
    telemetry = Telemetry()
    settings = Settings(ComponentID("aggregates"), Kind.CONNECTOR, logging.getLogger("t"), telemetry)
    sink = SinkConsumer()
    connectors = {s: AggregatesConnector(settings, AggregatesConfig(), s, {"metrics": sink}) for s in Signal}
    for lib in ("otel-genai", "openinference", "openllmetry"):
        for signal in Signal:
            for line in (FIXTURES / lib / f"{signal}.jsonl").read_text().splitlines():
                asyncio.run(connectors[signal].consume(signal, otlpjson.loads(signal, line)))
    telemetry.counter("pii_detections", "p", ("entity_type", "role", "jurisdiction", "operator")).labels(
        "EMAIL_ADDRESS", "content", "eu", "pseudonymize").inc()
    asyncio.run(connectors[Signal.TRACES].core.flush())
    export = sink.received[-1][1]
    count = item_count(export)
    guard = Guarded(Signal.METRICS, mode="aggregates")
    out = guard.send(export)
    assert item_count(out) == count > 20


def test_registered_and_defaults_fail_closed():
    factory = default_registry().get(Kind.PROCESSOR, "egress_guard")
    assert factory is not None and factory.default_config().mode == "aggregates"
    with pytest.raises(ValueError):
        EgressGuardConfig(mode="raw")


def test_a_guard_whose_detectors_see_nothing_refuses_to_start():
    class Blind:
        def detect(self, texts, ner):
            return [[] for _ in texts]

    from scrubber.processors.egress_guard.guard import Guard
    with pytest.raises(ConfigError, match="test e-mail"):
        Guard(EgressGuardConfig(), detector=Blind())


def test_guard_on_a_detection_pool_drops_names_and_phones_and_fails_closed():
    """`pool:`: the same verdicts, with NER in a worker process; a closed pool drops the batch."""
    from scrubber.processors.pii.tests.conftest import StubHost

    guard = Guarded(Signal.TRACES, mode="pseudonymized", pool={"workers": 1})
    host = StubHost()

    async def scenario():
        await guard.processor.start(host)
        request = b.spans([{"name": f"call {PERSON}"}, {"name": "b", "attrs": {"gen_ai.prompt": "ligue (11) 91234-5678"}},
                           {"name": "ok", "attrs": {"gen_ai.prompt": f"hello {TOKEN}"}}])
        await guard.processor.consume(Signal.TRACES, request)
        kept = _names(guard.sink.received[-1][1])
        (pool,) = host.objects.values()
        await pool.close()
        await guard.processor.consume(Signal.TRACES, b.spans([{"name": "ok"}]))
        return kept, len(guard.sink.received)

    kept, received = asyncio.run(scenario())
    assert kept == ["ok"] and received == 1  # after the pool closed, nothing left
    assert guard.dropped("pattern", "PERSON") == 1 and guard.dropped("pattern", "PHONE_NUMBER") == 1
    assert guard.dropped("guard_error", "none") == 1
