"""Flow hooks: a plug-in outside scrubber takes part in the residency proof and in
`scrubber flows` through its factories' flow declarations alone.

The plug-in below is installed the way a third-party package is: a dist-info folder
whose entry points name factories defined in this module (a tokenizing processor and
a SaaS exporter); nothing in `scrubber/residency/` knows them.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scrubber.component import ComponentConfig, Factory, Kind, LifecycleMixin
from scrubber.config.loader import parse_config
from scrubber.consumer import SinkConsumer
from scrubber.dataflow import AGGREGATES, GLOBAL, ExporterFlow, ProcessorFlow
from scrubber.errors import ConfigError
from scrubber.pdata import Signal
from scrubber.processorhelper import ProcessorHelper
from scrubber.registry import Registry, default_registry
from scrubber.residency.check import check
from scrubber.service.graph import Graph
from scrubber.service.telemetry import Telemetry
from tests.residency.conftest import ROOT
from tests.residency.helpers import traces


# ---- the third-party plug-in -------------------------------------------------------------
class Sink(LifecycleMixin, SinkConsumer):
    """An in-memory exporter."""


class TokenizerConfig(ComponentConfig):
    #: the key rings it pseudonymizes with (a vendor tokenization service's key ids)
    key_rings: list[str] = []


def _create_tokenizer(settings, config, signal, next_consumer):
    async def process(signal_, request):
        return request  # the vendor call is beside the point here: the proof reads the declaration

    return ProcessorHelper(settings, signal, next_consumer, process, mutates_data=True)


TOKENIZER = Factory("acme_tokenizer", Kind.PROCESSOR, TokenizerConfig, _create_tokenizer,
                    flow=lambda config: ProcessorFlow(pseudonymizes=frozenset(config.key_rings)))


class SaasConfig(ComponentConfig):
    endpoint: str = "https://ingest.acme.example"


#: a SaaS backend is in the global stack whatever its config says
SAAS = Factory("acme_saas", Kind.EXPORTER, SaasConfig, lambda settings, config: Sink(),
               flow=lambda config: ExporterFlow(place=GLOBAL))

ENTRY_POINTS = f"""\
[scrubber.processors]
acme_tokenizer = {__name__}:TOKENIZER

[scrubber.exporters]
acme_saas = {__name__}:SAAS
"""


@pytest.fixture
def plugin_path(tmp_path, monkeypatch) -> Path:
    """A site folder holding the plug-in's dist-info, put on sys.path as pip would."""
    site = tmp_path / "site"
    info = site / "acme_scrubber_plugins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-scrubber-plugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def registry(plugin_path) -> Registry:
    return Registry.from_entry_points()


def plugin_config() -> dict:
    """US data goes global pseudonymized, through the plug-in's tokenizer and the egress guard."""
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "processors": {"residency": {"default_jurisdiction": "us"}, "acme_tokenizer": {"key_rings": ["us"]},
                       "egress_guard": {"mode": "pseudonymized"}},
        "exporters": {"otlp/us": {"jurisdiction": "us", "endpoint": "127.0.0.1:14003"},
                      "otlp/global": {"jurisdiction": "global", "endpoint": "127.0.0.1:14004"},
                      "acme_saas": {}, "quarantine": {"path": "data/quarantine"}},
        "connectors": {"residency_router": {
            "policies": {"us": {"key": "us", "regional": ["traces/us"], "global": "pseudonymized"}},
            "quarantine": ["traces/quarantine"], "global": ["traces/global"]}},
        "service": {"pipelines": {
            "traces": {"receivers": ["otlp"], "processors": ["residency"], "exporters": ["residency_router"]},
            "traces/us": {"receivers": ["residency_router"], "exporters": ["otlp/us"]},
            "traces/global": {"receivers": ["residency_router"], "processors": ["acme_tokenizer", "egress_guard"],
                              "exporters": ["otlp/global", "acme_saas"]},
            "traces/quarantine": {"receivers": ["residency_router"], "exporters": ["quarantine"]},
        }},
    }


def without_hook(registry: Registry, kind: Kind, type_: str) -> Registry:
    """The same plug-in, its factory stripped of the flow hook."""
    registry.factories[kind][type_] = dataclasses.replace(registry.get(kind, type_), flow=None)
    return registry


# ---- the proof -------------------------------------------------------------------------------
def test_raw_data_reaches_the_global_stack_only_through_the_declared_pseudonymization(registry):
    config = parse_config(plugin_config(), registry=registry)  # the whole-config checks pass
    assert check(config) == []
    stripped = parse_config(plugin_config(), registry=without_hook(registry, Kind.PROCESSOR, "acme_tokenizer"),
                            checks=False)
    route = "traces -> residency_router -> traces/global"
    assert check(stripped) == [
        f"service::pipelines::traces/global: raw us traces can reach global exporter {exporter} via {route}: "
        f"raw data must not reach a global exporter; add pii and egress_guard processors (or send aggregates)"
        for exporter in ("otlp/global", "acme_saas")]


def test_the_declared_key_rings_meet_the_policy(registry):
    data = plugin_config()
    data["processors"]["acme_tokenizer"]["key_rings"] = ["eu"]
    errors = check(parse_config(data, registry=registry, checks=False))
    assert errors and all("its policy pseudonymizes with key ring 'us'" in e and "would use 'no key'" in e for e in errors)


def test_the_plugin_exporters_declared_place_makes_a_raw_path_an_error(registry):
    data = plugin_config()
    data["service"]["pipelines"]["traces/us"]["exporters"] = ["otlp/us", "acme_saas"]
    with pytest.raises(ConfigError) as info:
        parse_config(data, registry=registry)
    assert info.value.errors == [
        "service::pipelines::traces/us: raw us traces can reach global exporter acme_saas via "
        "traces -> residency_router -> traces/us: raw data must not reach a global exporter; "
        "add pii and egress_guard processors (or send aggregates)"]
    # without its declaration the exporter is merely undeclared (and named as such)
    errors = check(parse_config(data, registry=without_hook(registry, Kind.EXPORTER, "acme_saas"), checks=False))
    assert errors[0] == ("exporters::acme_saas::jurisdiction: required in a config that routes by jurisdiction: "
                         "a jurisdiction id (e.g. eu), global or local")


def test_scrubber_flows_lists_the_plugins(plugin_path, tmp_path):
    config = tmp_path / "acme.yaml"
    config.write_text(yaml.safe_dump(plugin_config()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), str(ROOT)])}
    result = subprocess.run([sys.executable, "-m", "scrubber", "flows", "--config", str(config), "--format", "svg",
                             "--output", str(tmp_path / "flows")], capture_output=True, text=True, timeout=120,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("\n\n")[0].splitlines()
    rows = {tuple(line.split()[:5]) for line in table[2:]}
    assert ("us", "pseudonymized", "traces", "acme_saas", "global") in rows  # the tokenizer's doing
    assert ("us", "pseudonymized", "traces", "otlp/global", "global") in rows
    assert ("us", "raw", "traces", "otlp/us", "us") in rows
    assert "x_acme_saas" in result.stdout  # in the Mermaid picture too
    assert (tmp_path / "flows.svg").stat().st_size > 0


# ---- the boundary ----------------------------------------------------------------------------
def _component_types() -> set[str]:
    registry = default_registry()
    return {t for kind in (Kind.PROCESSOR, Kind.EXPORTER, Kind.CONNECTOR) for t in registry.types(kind)}


@pytest.mark.parametrize("module", sorted((ROOT / "scrubber" / "residency").glob("*.py")), ids=lambda p: p.name)
def test_residency_names_no_component_type(module):
    """No type comparison, no component import: only messages may name shipped components."""
    tree = ast.parse(module.read_text())
    # the package's own name and the form `aggregates` (a policy value) are words, not type checks
    types = _component_types() - {"residency", AGGREGATES}
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not literals & types
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "type"]
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m and m.startswith(("scrubber.processors", "scrubber.exporters",
                                                           "scrubber.connectors"))]


def test_the_config_loader_does_not_import_residency():
    code = ("import sys, scrubber.config.loader; "
            "print(sorted(m for m in sys.modules if m.startswith('scrubber.residency')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---- the pii processor reads a jurisdiction as residency does --------------------------------
class _Receiver:
    def __init__(self, settings, config, consumers):
        self.consumers = consumers

    async def start(self, host) -> None:
        return None

    async def shutdown(self, timeout: float) -> None:
        return None


def test_pii_keys_by_the_normalized_jurisdiction(monkeypatch):
    """`residency.jurisdiction: " EU "` is `eu` to the router, so the pii processor uses eu's key;
    a malformed stamp is `unknown` (quarantined by the router), so the default key."""
    monkeypatch.setenv("ACME_KEY_DEFAULT", "default-test-key-0123456789")
    monkeypatch.setenv("ACME_KEY_EU", "eu-test-key-0123456789abcdef")
    registry = Registry()
    registry.add(default_registry().get(Kind.PROCESSOR, "pii"))
    registry.add(Factory("fake", Kind.RECEIVER, ComponentConfig, _Receiver))
    registry.add(Factory("sink", Kind.EXPORTER, ComponentConfig, lambda settings, config: Sink()))
    keys = {"default": {"active": "k1", "keys": {"k1": {"env": "ACME_KEY_DEFAULT"}}},
            "eu": {"active": "eu-1", "keys": {"eu-1": {"env": "ACME_KEY_EU"}}}}
    config = parse_config({
        "receivers": {"fake": None}, "exporters": {"sink": None},
        "processors": {"pii": {"keys": keys, "detection": {"ner": {"enabled": False}}}},
        "service": {"pipelines": {"traces": {"receivers": ["fake"], "processors": ["pii"], "exporters": ["sink"]}}},
    }, registry=registry)
    graph = Graph(config, Telemetry())
    request = traces(({}, [{"residency.jurisdiction": " EU ", "user.email": "ana@example.org"},
                           {"residency.jurisdiction": "e u!", "user.email": "ana@example.org"}]))

    async def scenario():
        await graph.start()
        try:
            await graph.receivers[next(iter(graph.receivers))].consumers[Signal.TRACES].consume(Signal.TRACES, request)
        finally:
            await graph.shutdown(timeout=5)

    asyncio.run(scenario())
    [(_, out)] = graph.exporters[next(iter(graph.exporters))].received
    emails = [next(kv.value.string_value for kv in span.attributes if kv.key == "user.email")
              for span in out.resource_spans[0].scope_spans[0].spans]
    assert [e.split(":")[:2] for e in emails] == [["<EMAIL_ADDRESS", "eu-1"], ["<EMAIL_ADDRESS", "k1"]]
