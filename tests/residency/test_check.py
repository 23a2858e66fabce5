"""`scrubber validate` rejects configs that could carry data across a border, naming the path."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from tests.residency.conftest import ROOT


def errors_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.errors


def test_shipped_configs_are_valid(federated, monkeypatch, tmp_path):
    parse_config(federated)
    monkeypatch.chdir(tmp_path)  # default.yaml's generated key files land here, not in the repo
    parse_config(yaml.safe_load((ROOT / "config" / "default.yaml").read_text()))


def test_eu_pipeline_wired_to_the_global_exporter_is_rejected_with_its_path(federated):
    federated["service"]["pipelines"]["traces/eu"]["exporters"].append("otlp/global")
    errors = errors_of(federated)
    assert errors == [
        "service::pipelines::traces/eu: raw eu traces can reach global exporter otlp/global via "
        "traces -> residency_router -> traces/eu: raw data must not reach a global exporter; "
        "add pii and egress_guard processors (or send aggregates)"]


def test_cli_validate_names_the_path_and_fails(federated, tmp_path, federated_env):
    federated["service"]["pipelines"]["logs/eu"]["exporters"] = ["otlp/global"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(federated))
    result = subprocess.run([sys.executable, "-m", "scrubber", "validate", str(path)], capture_output=True, text=True,
                            env={**__import__("os").environ, **federated_env}, cwd=tmp_path)
    assert result.returncode == 1
    assert "service::pipelines::logs/eu: raw eu logs can reach global exporter otlp/global" in result.stderr


def test_every_residency_error_is_reported_at_once(federated):
    pipelines = federated["service"]["pipelines"]
    pipelines["traces/in"]["processors"] = ["batch"]  # in's policy: regional pseudonymized
    pipelines["traces/quarantine"]["exporters"] = ["otlp/eu"]  # unknown data into the EU backend
    pipelines["logs/global"]["processors"] = ["pii/global", "batch"]  # no egress guard
    pipelines["metrics/us"]["exporters"] = ["otlp/us", "debug"]  # an exporter that says nothing
    federated["exporters"]["debug"] = None
    federated["connectors"]["residency_router"]["policies"]["eu"]["regional"].append("logs/nowhere")
    federated["connectors"]["residency_router"]["policies"]["us"]["key"] = "default"  # pii/global has no default ring
    errors = errors_of(federated)
    expected = [
        "service::pipelines::traces/in: raw in traces can reach in exporter otlp/in via traces -> residency_router -> traces/in: "
        "the in policy says regional_form: pseudonymized",
        "service::pipelines::traces/quarantine: raw default-policy, unknown-jurisdiction traces can reach eu exporter otlp/eu",
        "service::pipelines::logs/global: pseudonymized us logs can reach global exporter otlp/global via logs -> "
        "residency_router -> logs/global: every payload bound for a global exporter must pass an egress_guard processor",
        "connectors::residency_router::quarantine::0: pipeline 'traces/quarantine' has no quarantine exporter",
        "exporters::debug::jurisdiction: required",
        "connectors::residency_router::policies::eu::regional::3: pipeline 'logs/nowhere' does not list 'residency_router'",
        "service::pipelines::traces/global: pseudonymized us traces can reach global exporter otlp/global via traces -> "
        "residency_router -> traces/global: its policy pseudonymizes with key ring 'default'",
    ]
    for start in expected:
        assert any(e.startswith(start) for e in errors), (start, errors)


def test_a_pipeline_bypassing_the_router_is_rejected(federated):
    federated["service"]["pipelines"]["traces/direct"] = {"receivers": ["otlp"], "exporters": ["otlp/eu"]}
    errors = errors_of(federated)
    assert any(e.startswith("service::pipelines::traces/direct: raw unrouted (any jurisdiction) traces can reach eu exporter otlp/eu")
               and "residency_router" in e for e in errors), errors


def test_global_beyond_what_the_policy_allows_is_rejected(federated):
    federated["connectors"]["residency_router"]["policies"]["eu"]["global"] = "none"
    federated["service"]["pipelines"]["traces/eu"]["exporters"].append("aggregates")  # a side door
    errors = errors_of(federated)
    assert errors == [
        "service::pipelines::metrics/global: aggregates eu metrics can reach global exporter otlp/global via "
        "traces -> residency_router -> traces/eu -> aggregates -> metrics/global: its policy allows global: none"]


def test_configs_without_jurisdictions_are_not_residency_configs():
    data = {"receivers": {"otlp": None}, "exporters": {"debug": None},
            "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}}}
    parse_config(data)


@pytest.mark.parametrize("change, message", [
    (lambda c: c["service"]["pipelines"].pop("metrics/global"),
     "service::pipelines::traces/aggregates::exporters: connector 'aggregates' is used as an exporter of traces"),
    (lambda c: c["service"]["pipelines"]["traces/eu"]["receivers"].append("aggregates"),
     "service::pipelines::traces/eu::receivers: connector 'aggregates' is used as a receiver of traces"),
    (lambda c: c["service"]["pipelines"]["metrics/global"]["exporters"].append("aggregates"),
     "pipelines form a cycle through connectors"),
    (lambda c: c["exporters"]["otlp/eu"].__setitem__("jurisdiction", "Europe"),
     "exporters::otlp/eu::jurisdiction: must be a lowercase jurisdiction id"),
])
def test_connector_wiring_rules(federated, change, message):
    change(federated)
    assert any(message in e for e in errors_of(federated)), errors_of(federated)
