"""The `debug` exporter logs counts, never values."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from scrubber.exporters.debug.config import DebugExporterConfig
from scrubber.exporters.debug.factory import create_exporter
from scrubber.pdata import Signal, item_count, merge
from scrubber.testing.data import fixture_requests, planted_values, synthetic_request
from tests.exporters.conftest import make_settings, value

PLANTED = "maria.muster@example.eu"


@pytest.mark.parametrize("verbosity", ["basic", "normal", "detailed"])
def test_logs_counts_and_never_values(caplog, verbosity):
    settings = make_settings("debug/test")
    exporter = create_exporter(settings, DebugExporterConfig(verbosity=verbosity, sampling_initial=100))
    batches = [(s, r) for s in Signal for r in fixture_requests(s)]
    batches.append((Signal.LOGS, synthetic_request(Signal.LOGS, 3, PLANTED, payload=f"mail {PLANTED}")))
    two_resources = merge(Signal.METRICS, [synthetic_request(Signal.METRICS, 2), synthetic_request(Signal.METRICS, 5)])
    batches.append((Signal.METRICS, two_resources))

    async def scenario():
        for signal, request in batches:
            await exporter.consume(signal, request)
        await exporter.shutdown(1)

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    text = caplog.text
    assert len([r for r in caplog.records if r.name == "scrubber.exporters.debug/test"]) == len(batches)
    assert "logs: resources=1 log_records=3" in text
    for secret in [PLANTED, *planted_values()]:
        assert secret not in text
    if verbosity == "detailed":
        assert "attribute_keys=[" in text
    if verbosity in ("normal", "detailed"):
        assert "log_records_per_resource=[3]" in text
        assert "metrics: resources=2 metric_points=7 scopes=2 metric_points_per_resource=[2, 5]" in text
    assert value(settings, "exporter_sent_log_records_total") == sum(item_count(r) for s, r in batches if s == Signal.LOGS)


def test_detailed_verbosity_names_keys_never_values(caplog):
    settings = make_settings("debug/detailed")
    exporter = create_exporter(settings, DebugExporterConfig(verbosity="detailed"))
    request = synthetic_request(Signal.TRACES, 1)
    attribute = request.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    attribute.key, attribute.value.string_value = "user.email", PLANTED
    with caplog.at_level(logging.INFO):
        asyncio.run(exporter.consume(Signal.TRACES, request))
    assert "'user.email'" in caplog.text and PLANTED not in caplog.text


def test_an_unknown_verbosity_is_refused():
    with pytest.raises(ValidationError):
        DebugExporterConfig(verbosity="everything")


def test_sampling_limits_lines_per_second(caplog):
    exporter = create_exporter(make_settings("debug/sampled"), DebugExporterConfig(sampling_initial=2, sampling_thereafter=10))

    async def scenario():
        for _ in range(22):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())
    # 2 + every 10th of the rest (22 within ~1 s)
    assert 2 <= len([r for r in caplog.records if r.name.startswith("scrubber.exporters")]) <= 6
