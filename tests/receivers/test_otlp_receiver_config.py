"""The otlp receiver's config: the golden testdata/config.yaml, the Collector's
null-means-defaults rule, and one invalid case per rule with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import scrubber.receivers.otlp as otlp_package
from scrubber.component import Kind, Stability
from scrubber.receivers.otlp.config import (
    GRPCConfig,
    HTTPConfig,
    KeepaliveConfig,
    KeepaliveEnforcementPolicy,
    KeepaliveServerParameters,
    OTLPReceiverConfig,
    Protocols,
)
from scrubber.receivers.otlp.factory import factory
from scrubber.receivers.otlp.grpc_server import server_options

TESTDATA = Path(otlp_package.__file__).parent / "testdata" / "config.yaml"


def load(name: str) -> OTLPReceiverConfig:
    receivers = yaml.safe_load(TESTDATA.read_text())["receivers"]
    return OTLPReceiverConfig.model_validate(receivers[name] or {})


def test_golden_config():
    expected = OTLPReceiverConfig(
        protocols=Protocols(
            grpc=GRPCConfig(
                endpoint="0.0.0.0:4317",
                max_recv_msg_size_mib=32,
                max_concurrent_streams=16,
                edge="process",
                keepalive=KeepaliveConfig(
                    server_parameters=KeepaliveServerParameters(
                        max_connection_idle=11, max_connection_age=12, max_connection_age_grace=13, time=30, timeout=5
                    ),
                    enforcement_policy=KeepaliveEnforcementPolicy(min_time=10, permit_without_stream=True),
                ),
            ),
            http=HTTPConfig(
                endpoint="0.0.0.0:4318",
                traces_url_path="/traces",
                metrics_url_path="/v2/metrics",  # leading slash added, as the Collector does
                logs_url_path="/log/ingest",
                max_request_body_size=10 * 1024 * 1024,
            ),
        )
    )
    assert load("otlp") == expected
    options = dict(server_options(expected.protocols.grpc))
    assert options["grpc.max_receive_message_length"] == 32 << 20
    assert options["grpc.keepalive_time_ms"] == 30_000 and options["grpc.keepalive_permit_without_calls"] == 1


def test_null_protocol_means_enabled_with_defaults_and_absent_means_disabled():
    assert load("otlp/grpc_only") == OTLPReceiverConfig(protocols=Protocols(grpc=GRPCConfig()))
    assert load("otlp/grpc_only").protocols.http is None


def test_default_config_enables_both_protocols_on_collector_ports():
    config = factory.default_config()
    assert load("otlp/defaults") == config
    assert (config.protocols.grpc.endpoint, config.protocols.http.endpoint) == ("localhost:4317", "localhost:4318")
    assert config.protocols.grpc.max_recv_msg_size_mib == 4
    assert config.protocols.http.max_request_body_size == 20 * 1024 * 1024
    assert (factory.type, factory.kind, factory.stability) == ("otlp", Kind.RECEIVER, Stability.BETA)


@pytest.mark.parametrize(
    "config, location, text",
    [
        ({"protocols": {"grpc": {"endpont": "localhost:4317"}}}, ("protocols", "grpc", "endpont"), "Extra inputs"),
        ({"protocol": {"grpc": None}}, ("protocol",), "Extra inputs"),
        ({"protocols": {"grpc": {"endpoint": "localhost"}}}, ("protocols", "grpc", "endpoint"), "not an endpoint"),
        ({"protocols": {"http": {"endpoint": "localhost:99999"}}}, ("protocols", "http", "endpoint"), "not an endpoint"),
        ({"protocols": {"grpc": {"max_recv_msg_size_mib": 0}}}, ("protocols", "grpc", "max_recv_msg_size_mib"), "greater than 0"),
        ({"protocols": {"http": {"traces_url_path": "/v1/traces?x=1"}}}, ("protocols", "http", "traces_url_path"), "URL path"),
        ({"protocols": {"grpc": {"keepalive": {"server_parameters": {"time": "soon"}}}}},
         ("protocols", "grpc", "keepalive", "server_parameters", "time"), "duration"),
        ({"protocols": {"grpc": {"edge": "fork"}}}, ("protocols", "grpc", "edge"), "'thread' or 'process'"),
        ({"protocols": None}, ("protocols",), "at least one protocol"),
        ({"protocols": {}}, ("protocols",), "at least one protocol"),
    ],
    ids=["unknown-key", "unknown-top-key", "endpoint-no-port", "endpoint-port-range", "zero-size", "bad-path", "bad-duration",
         "bad-edge", "null-protocols", "no-protocol"],
)
def test_invalid_configs_name_the_field(config, location, text):
    with pytest.raises(ValidationError) as info:
        OTLPReceiverConfig.model_validate(config)
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [location]
    assert text in errors[0]["msg"]
