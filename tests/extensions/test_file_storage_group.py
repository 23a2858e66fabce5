"""`file_group` on the file_storage extension (persistent sending queues), and the same option
on the file and quarantine exporters, through a real scrubber process: spans sent with the
OTel SDK while the backend is down are kept on disk 0640 and given to the group, next to the
data files of the other two; without it every queue file is 0600."""

from __future__ import annotations

import asyncio
import logging
import signal

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.exporters.exporterhelper.queue import QueueItem
from scrubber.extensions.file_storage import FileStorage, FileStorageConfig
from scrubber.pdata import Signal
from scrubber.service.telemetry import Telemetry
from scrubber.testing import GrpcSink
from scrubber.testing.data import synthetic_request
from tests.exporters.conftest import group_name, mode_and_gid, open_umask, shareable_group  # noqa: F401 (fixture)
from tests.support.process import ScrubberProcess, free_port

TESTDATA = "scrubber/extensions/file_storage/testdata/config.yaml"


def service_config(grpc_port: int, backend: str, tmp_path, group) -> dict:
    shared = {"file_group": group}
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "extensions": {"file_storage": {"directory": str(tmp_path / "queues"), "create_directory": True, **shared},
                       "health_check": {"endpoint": "${env:SCRUBBER_HEALTH_ENDPOINT}"}},
        "exporters": {
            "otlp/eu": {"endpoint": backend, "tls": {"insecure": True}, "timeout": "1s",
                        "sending_queue": {"storage": "file_storage"},
                        "retry_on_failure": {"initial_interval": "5s", "max_interval": "5s"}},
            "file/eu": {"path": str(tmp_path / "data" / "eu.jsonl"), **shared},
            "quarantine": {"path": str(tmp_path / "data" / "quarantine"), **shared},
        },
        "service": {"shutdown_timeout": 1, "extensions": ["health_check", "file_storage"],
                    "telemetry": {"metrics": {"address": "${env:SCRUBBER_METRICS_ENDPOINT}"}}, "pipelines": {
            "traces": {"receivers": ["otlp"], "exporters": ["otlp/eu", "file/eu", "quarantine"]}}},
    }


def send_spans(grpc_port: int, count: int) -> list[str]:
    provider = TracerProvider(resource=Resource.create({"service.name": "file-group"}))
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
    tracer = provider.get_tracer("file-group")
    results = []
    for i in range(count):
        with tracer.start_as_current_span(f"queued-{i}") as span:
            pass
        results.append(exporter.export([span]).name)
    exporter.shutdown()
    provider.shutdown()
    return results


def test_queue_and_data_files_of_a_running_scrubber_are_the_groups(tmp_path):
    gid = shareable_group()
    backend = GrpcSink()
    backend.start()
    backend.stop()  # down: everything acknowledged waits in the persistent queue
    grpc_port = free_port()
    config = tmp_path / "scrubber.yaml"  # as a file: ScrubberProcess would list only its own extensions
    config.write_text(yaml.safe_dump(service_config(grpc_port, backend.endpoint, tmp_path, group_name(gid))))
    scrubber = ScrubberProcess(config, tmp_path).start()
    try:
        assert send_spans(grpc_port, 5) == ["SUCCESS"] * 5
    finally:
        assert scrubber.stop(signal.SIGTERM) == 0, scrubber.stderr()[-2000:]
    queue_dir = tmp_path / "queues" / "exporter_otlp_eu"
    queued = sorted(queue_dir.glob("*.traces.pb"))
    assert len(queued) == 5, "kept on disk for the next start"
    assert {mode_and_gid(f) for f in queued} == {(0o640, gid)}
    assert mode_and_gid(queue_dir) == (0o750, gid) and mode_and_gid(tmp_path / "queues")[1] == gid
    data = [tmp_path / "data" / "eu.jsonl", tmp_path / "data" / "quarantine" / "traces.jsonl"]
    assert {mode_and_gid(f) for f in data} == {(0o640, gid)}


def storage_of(config: dict):
    settings = Settings(ComponentID("file_storage"), Kind.EXTENSION, logging.getLogger("test.fs"), Telemetry())
    extension = FileStorage(settings, FileStorageConfig.model_validate(config))
    asyncio.run(extension.start(None))
    return extension.storage(Kind.EXPORTER, ComponentID.parse("otlp/eu"))


@pytest.mark.usefixtures("open_umask")
def test_without_file_group_queue_files_are_owner_only(tmp_path):
    storage = storage_of({"directory": str(tmp_path / "queues"), "create_directory": True})
    key = storage.save(QueueItem(Signal.LOGS, synthetic_request(Signal.LOGS, 3), 3))
    assert mode_and_gid(tmp_path / "queues" / "exporter_otlp_eu" / key)[0] == 0o600
    # directory_permissions (0750 by default) applies to its directories, as in the Collector
    assert mode_and_gid(tmp_path / "queues" / "exporter_otlp_eu")[0] == 0o750


def test_directory_permissions_still_apply_with_a_file_group(tmp_path):
    gid = shareable_group()
    storage = storage_of({"directory": str(tmp_path / "queues"), "create_directory": True,
                          "directory_permissions": "0700", "file_group": gid})
    key = storage.save(QueueItem(Signal.METRICS, synthetic_request(Signal.METRICS, 3), 3))
    assert mode_and_gid(tmp_path / "queues" / "exporter_otlp_eu" / key) == (0o640, gid)
    assert mode_and_gid(tmp_path / "queues") == (0o700, gid)


def test_an_unknown_group_is_a_config_error_naming_its_key_path(tmp_path):
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "extensions": {"file_storage/q": {"directory": str(tmp_path), "file_group": "no-such-group-scrubber"}},
        "exporters": {"otlp": {"endpoint": "127.0.0.1:4317", "sending_queue": {"storage": "file_storage/q"}}},
        "service": {"extensions": ["file_storage/q"],
                    "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}},
    }
    with pytest.raises(ConfigError) as info:
        parse_config(config)
    assert info.value.errors == ["extensions::file_storage/q::file_group: no group 'no-such-group-scrubber' on this "
                                 "host (give a group name it knows, or a numeric gid)"]


def test_golden_config_has_file_group():
    from pathlib import Path

    golden = yaml.safe_load((Path(__file__).resolve().parents[2] / TESTDATA).read_text())
    assert FileStorageConfig.model_validate(golden["file_storage"] or {}).file_group is None
    assert FileStorageConfig.model_validate(golden["file_storage/all_settings"]).file_group == 2000
