"""Each exporter's testdata/config.yaml parses into the expected model; bad input is refused."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from scrubber.component import Kind
from scrubber.exporters.debug.config import DebugExporterConfig
from scrubber.exporters.exporterhelper import QueueConfig, RetryConfig, TLSClientConfig
from scrubber.exporters.file.config import FileExporterConfig, RotationConfig
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlphttp.config import OTLPHTTPExporterConfig
from scrubber.pdata import Signal
from tests.exporters.conftest import make_settings

EXPORTERS = Path(__file__).resolve().parents[2] / "scrubber" / "exporters"

EXPECTED = {
    "otlp": {
        "otlp": OTLPExporterConfig(),
        "otlp/eu": OTLPExporterConfig(
            endpoint="backend.eu.example:4317", tls=TLSClientConfig(insecure=True), headers={"x-tenant": "eu-prod"},
            compression="none", timeout=10.0,
            sending_queue=QueueConfig(num_consumers=4, queue_size=500, storage="/var/lib/scrubber/queue"),
            retry_on_failure=RetryConfig(initial_interval=1.0, randomization_factor=0.2, multiplier=2.0,
                                         max_interval=10.0, max_elapsed_time=120.0),
        ),
    },
    "otlphttp": {
        "otlphttp": OTLPHTTPExporterConfig(),
        "otlphttp/global": OTLPHTTPExporterConfig(
            endpoint="https://otlp.global.example:4318", logs_endpoint="https://logs.global.example/otlp/v1/logs",
            headers={"authorization": "Bearer example-token"}, timeout=3.0,
            sending_queue=QueueConfig(num_consumers=2, queue_size=100),
            retry_on_failure=RetryConfig(initial_interval=0.5, max_interval=5.0, max_elapsed_time=60.0),
        ),
    },
    "file": {
        "file": FileExporterConfig(),
        "file/quarantine": FileExporterConfig(
            path="./data/quarantine/otlp.jsonl", flush_interval=0.2, append=True,
            rotation=RotationConfig(max_megabytes=10, max_days=3, max_backups=5), file_group=2000,
        ),
    },
    "debug": {
        "debug": DebugExporterConfig(),
        "debug/normal": DebugExporterConfig(verbosity="normal", sampling_initial=10, sampling_thereafter=100),
    },
}


def factories():
    return {ep.name: ep.load() for ep in entry_points(group=Kind.EXPORTER.entry_point_group) if ep.name in EXPECTED}


@pytest.mark.parametrize("type_", sorted(EXPECTED))
def test_testdata_config_parses_into_the_expected_model(type_):
    factory = factories()[type_]
    raw = yaml.safe_load((EXPORTERS / type_ / "testdata" / "config.yaml").read_text())
    parsed = {key: factory.config_class.model_validate(value or {}) for key, value in raw.items()}
    assert parsed == EXPECTED[type_]
    assert factory.type == type_ and factory.kind == Kind.EXPORTER
    assert factory.default_config() == EXPECTED[type_][type_]


def test_otlphttp_signal_urls():
    config = EXPECTED["otlphttp"]["otlphttp/global"]
    assert config.url(Signal.TRACES) == "https://otlp.global.example:4318/v1/traces"
    assert config.url(Signal.LOGS) == "https://logs.global.example/otlp/v1/logs"


@pytest.mark.parametrize("config_class, raw, where", [
    (OTLPExporterConfig, {"endpiont": "a:1"}, "endpiont"),
    (OTLPExporterConfig, {"endpoint": "no-port"}, "endpoint"),
    (OTLPExporterConfig, {"endpoint": "host:99999"}, "endpoint"),
    (OTLPExporterConfig, {"sending_queue": {"queue_size": 0}}, "queue_size"),
    (OTLPExporterConfig, {"sending_queue": {"size": 10}}, "size"),
    (OTLPExporterConfig, {"retry_on_failure": {"initial_interval": "soon"}}, "initial_interval"),
    (OTLPExporterConfig, {"retry_on_failure": {"initial_interval": "10s", "max_interval": "1s"}}, "max_interval"),
    (OTLPExporterConfig, {"compression": "lz4"}, "compression"),
    (OTLPExporterConfig, {"tls": {"insecure_skip_verify": True}}, "insecure_skip_verify"),
    (OTLPExporterConfig, {"tls": {"ca_file": "/nonexistent/ca.pem"}}, "ca_file"),
    (OTLPExporterConfig, {"timeout": "0s"}, "timeout"),
    (OTLPHTTPExporterConfig, {"endpoint": "localhost:4318"}, "endpoint"),
    (OTLPHTTPExporterConfig, {"traces_endpoint": "ftp://x/v1/traces"}, "traces_endpoint"),
    (OTLPHTTPExporterConfig, {"encoding": "xml"}, "encoding"),
    (FileExporterConfig, {"path": "x", "rotation": {"max_megabytes": 0}}, "max_megabytes"),
    (FileExporterConfig, {"path": "x", "compression": "zstd"}, "compression"),
    (FileExporterConfig, {"path": " "}, "path"),
    (DebugExporterConfig, {"verbosity": "loud"}, "verbosity"),
])
def test_invalid_config_is_refused_naming_the_key(config_class, raw, where):
    with pytest.raises(ValidationError) as info:
        config_class.model_validate(raw)
    assert where in str(info.value)


@pytest.mark.parametrize("type_", sorted(EXPECTED))
def test_every_exporter_is_a_consumer_with_an_idempotent_lifecycle(type_, tmp_path):
    factory = factories()[type_]
    config = factory.default_config()
    if type_ == "file":
        config = FileExporterConfig(path=str(tmp_path / "out.jsonl"))
    exporter = factory.create(make_settings(f"{type_}/lifecycle"), config)
    assert exporter.mutates_data is False

    async def scenario():
        await exporter.shutdown(1)  # safe without start
        await exporter.shutdown(1)

    asyncio.run(scenario())
