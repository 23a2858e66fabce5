"""Config of the pii processor: the golden file, one invalid body per rule with its message,
key loading (missing variable or file named, generated file 0600), and the helper's counters."""

from __future__ import annotations

import asyncio
import logging
import stat
from pathlib import Path

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import component_config_errors, load_config
from scrubber.consumer import SinkConsumer
from scrubber.errors import ConfigError
from scrubber.pdata import Signal
from scrubber.processorhelper import ProcessorHelper
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.factory import factory
from scrubber.processors.pii.keys import JurisdictionKeys, KeySource, KeyStore, check_keys
from scrubber.processors.pii.processor import load_keys
from scrubber.processors.pii.tests import build
from scrubber.processors.pii.tests.conftest import Harness, make_config
from scrubber.service.telemetry import Telemetry

TESTDATA = Path(__file__).resolve().parents[1] / "testdata" / "config.yaml"


def test_golden_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRUBBER_TEST_KEY_DEFAULT", "x" * 20)
    monkeypatch.setenv("SCRUBBER_TEST_KEY_EU", "y" * 20)
    monkeypatch.setenv("SCRUBBER_TEST_KEY_DIR", str(tmp_path))
    (tmp_path / "eu-2025b.key").write_text("z" * 32)
    (tmp_path / "eu-2025b.key").chmod(0o600)  # a key file others can read is refused
    config = load_config(TESTDATA)
    entries = config.components[Kind.PROCESSOR]
    plain = entries[ComponentID("pii")].config
    assert plain.model_dump(exclude={"keys"}) == factory.default_config().model_dump(exclude={"keys"})
    eu = entries[ComponentID("pii", "eu")].config
    assert eu.keys["eu"].active == "eu-2026a" and eu.keys["eu"].keys["eu-2025b"].file == f"{tmp_path}/eu-2025b.key"
    assert eu.default_jurisdiction == "eu" and eu.pseudonym_length == 16 and eu.unknown_keys == "redact"
    assert eu.operators.resolve("content", "CREDIT_CARD").keep_last == 4
    assert eu.operators.resolve("patterns", "PHONE_NUMBER").operator == "redact"
    assert eu.operators.resolve("content", "PHONE_NUMBER").operator == "pseudonymize"
    assert eu.rules[2].operator.operator == "drop" and eu.detection_timeout == 2.0
    assert eu.metrics.identifiers == "drop" and eu.audit.attributes is True


@pytest.mark.parametrize("body,message", [
    ({"pseudonym_length": 4}, "pseudonym_length: Input should be greater than or equal to 8"),
    ({"unknown_keys": "ignore"}, "unknown_keys: Input should be 'patterns', 'content' or 'redact'"),
    ({"operators": {"default": "scramble"}}, "operators::default::operator: Input should be"),
    ({"operators": {"entities": {"email": "redact"}}}, "operators::entities::email::[key]: String should match pattern"),
    ({"keys": {"default": {"active": "k1", "keys": {"k1": {"env": "A", "file": "/b"}}}}}, "give exactly one of 'env' or 'file'"),
    ({"keys": {"default": {"active": "k2", "keys": {"k1": {"env": "A"}}}}}, "active key 'k2' is not in keys"),
    ({"keys": {"default": {"active": "k1", "keys": {"k1": {"key": "literal-secret"}}}}}, "keys::default::keys::k1::key: unknown key"),
    ({"rules": [{"key": "a", "role": "secret"}]}, "rules::0::role: Input should be"),
    ({"detection_timeout": "soon"}, "detection_timeout: 'soon' is not a duration"),
    ({"colour": "red"}, "colour: unknown key"),
    ({"whole_requests": "without_content"}, "whole_requests: 'without_content' needs pool: {scope: requests}"),
    ({"pool": {}, "whole_requests": "without_content"}, "whole_requests: 'without_content' needs pool"),
    ({"pool": {"scope": "requests"}, "whole_requests": "some"}, "whole_requests:"),
])
def test_invalid_config_names_key_path(body, message):
    errors = component_config_errors(PIIProcessorConfig, body, "processors::pii")
    assert any(e.startswith("processors::pii::") and message in e for e in errors), errors


def test_missing_keys_are_reported_by_name(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRUBBER_PII_NOPE", raising=False)
    config = make_config(keys={"default": {"active": "a", "keys": {"a": {"env": "SCRUBBER_PII_NOPE"},
                                                                     "b": {"file": str(tmp_path / "missing.key")}}}})
    errors = config.deployment_errors()
    assert errors == ["keys::default::keys::a: environment variable SCRUBBER_PII_NOPE is not set",
                      f"keys::default::keys::b: key file {tmp_path / 'missing.key'} does not exist"]
    assert PIIProcessorConfig().deployment_errors()[0].startswith("keys: no pseudonymization key configured")
    settings = Settings(ComponentID("pii", "eu"), Kind.PROCESSOR, logging.getLogger("t"), Telemetry())
    with pytest.raises(ConfigError) as raised:
        load_keys(settings, config)
    assert "processors::pii/eu::keys::default::keys::a: environment variable SCRUBBER_PII_NOPE is not set" in raised.value.errors


def test_short_key_rejected(monkeypatch):
    monkeypatch.setenv("SCRUBBER_PII_SHORT", "abc")
    assert check_keys({"default": JurisdictionKeys(active="a", keys={"a": KeySource(env="SCRUBBER_PII_SHORT")})}) == [
        "keys::default::keys::a: key from SCRUBBER_PII_SHORT is shorter than 16 bytes"]


def test_generated_key_file_is_private_and_never_logged(tmp_path, caplog):
    path = tmp_path / "data" / "keys" / "default.key"
    keys = {"default": JurisdictionKeys(active="g", keys={"g": KeySource(file=str(path), generate_if_missing=True)})}
    assert check_keys(keys) == [] and not path.exists()  # validate does not create it
    with caplog.at_level(logging.WARNING):
        store = KeyStore.load(keys, logger=logging.getLogger("t"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    material = path.read_text().strip()
    assert "generated a new random pseudonymization key file" in caplog.text and material not in caplog.text
    again = KeyStore.load(keys)  # the second start reuses it
    assert store.pseudonym("x", "USER_ID", "u") == again.pseudonym("x", "USER_ID", "u")


def test_processorhelper_counts_items_and_calls_next():
    telemetry = Telemetry()
    sink = SinkConsumer()
    settings = Settings(ComponentID("noop"), Kind.PROCESSOR, logging.getLogger("t"), telemetry, "traces")

    async def drop_second_span(signal, request):
        del request.resource_spans[0].scope_spans[0].spans[1]
        return request

    helper = ProcessorHelper(settings, Signal.TRACES, sink, drop_second_span, mutates_data=True)
    asyncio.run(helper.consume(Signal.TRACES, build.traces({}, {}, {})))
    labels = {"processor": "noop", "pipeline": "traces", "signal": "traces"}
    assert telemetry.value("processor_incoming_items_total", labels) == 3
    assert telemetry.value("processor_outgoing_items_total", labels) == 2
    assert len(sink.received) == 1 and helper.mutates_data

    async def keep_nothing(signal, request):
        return None

    quiet = ProcessorHelper(settings, Signal.TRACES, sink, keep_nothing, mutates_data=False)
    asyncio.run(quiet.consume(Signal.TRACES, build.traces({})))
    assert len(sink.received) == 1


def test_factory_contract(host):
    assert factory.type == "pii" and factory.kind is Kind.PROCESSOR
    processor = Harness(make_config(), host).processor(Signal.LOGS)
    assert processor.mutates_data is True
    asyncio.run(processor.shutdown(1.0))
