"""Config loading: the Collector's YAML shape, strict, every error with its key path."""

from __future__ import annotations

import pytest

from scrubber.component import ComponentID, Kind
from scrubber.config.expand import expand
from scrubber.config.loader import load_config, parse_config
from scrubber.config.types import parse_duration, parse_endpoint
from scrubber.errors import ConfigError
from scrubber.pdata import Signal

VALID = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
    "processors": {"batch": {"timeout": "1s"}},
    "exporters": {"debug": {}, "file/out": {"path": "data/out.jsonl"}},
    "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["debug", "file/out"]}}},
}


def errors_of(data: dict, environ=None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, environ=environ or {})
    return caught.value.errors


def test_valid_config_resolves_components_and_pipelines():
    config = parse_config(VALID, environ={})
    pipeline = config.pipelines["traces"]
    assert pipeline.signal is Signal.TRACES
    assert pipeline.exporters == [ComponentID("debug"), ComponentID("file", "out")]
    assert config.entry(Kind.PROCESSOR, ComponentID("batch")).config.timeout == 1.0


def test_three_mistakes_are_reported_together_with_key_paths():
    data = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "localhost:99999"}}}},
        "processors": {"batch": {"timeout": "soon"}},
        "exporters": {"debug": {"colour": "red"}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["debug"]}}},
    }
    errors = errors_of(data)
    assert len(errors) == 3, errors
    assert any(e.startswith("receivers::otlp::protocols::grpc::endpoint:") for e in errors)
    assert any(e.startswith("processors::batch::timeout:") and "duration" in e for e in errors)
    assert "exporters::debug::colour: unknown key" in errors


def test_unknown_type_names_the_entry_point_group_and_path():
    data = {**VALID, "exporters": {"kafka/eu": {}}}
    data["service"] = {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["kafka/eu"]}}}
    errors = errors_of(data)
    assert any(e.startswith("exporters::kafka/eu: unknown exporter type 'kafka'") and "scrubber.exporters" in e for e in errors)


def test_missing_reference_and_bad_pipeline_id():
    data = dict(VALID)
    data["service"] = {"pipelines": {
        "traces": {"receivers": ["otlp"], "exporters": ["otlp/nowhere"]},
        "profiles": {"receivers": ["otlp"], "exporters": ["debug"]},
    }}
    errors = errors_of(data)
    assert "service::pipelines::traces::exporters::0: references exporter 'otlp/nowhere', which is not configured under exporters" in errors
    assert any(e.startswith("service::pipelines::profiles:") for e in errors)


def test_unknown_top_level_and_service_keys():
    data = {**VALID, "recievers": {}}
    errors = errors_of(data)
    assert "recievers: unknown key" in errors


def test_env_expansion_with_defaults_and_types():
    environ = {"PORT_EP": "127.0.0.1:5555", "SIZE": "512", "EMPTY": ""}
    tree = {"a": "${env:PORT_EP}", "b": "${env:MISSING:-localhost:4317}", "c": "${env:SIZE}",
            "d": "x-${env:SIZE}", "e": "$${env:SIZE}", "f": "${env:EMPTY:-fallback}", "g": "${env:MISSING}"}
    assert expand(tree, environ) == {"a": "127.0.0.1:5555", "b": "localhost:4317", "c": 512, "d": "x-512",
                                     "e": "${env:SIZE}", "f": "fallback", "g": ""}


def test_unsupported_reference_is_an_error_with_path():
    errors: list[str] = []
    expand({"exporters": {"otlp": {"endpoint": "${yaml:x}"}}}, {}, errors=errors)
    assert errors and errors[0].startswith("exporters::otlp::endpoint:")


def test_bare_and_file_references(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    tree = {"a": "${PORT_EP}", "b": "${MISSING:-x}", "c": f"Bearer ${{file:{secret}}}", "d": "${env:SIZE}"}
    assert expand(tree, {"PORT_EP": "h:1", "SIZE": "7"}) == {"a": "h:1", "b": "x", "c": "Bearer s3cret", "d": 7}


@pytest.mark.parametrize("text,seconds", [("5s", 5.0), ("200ms", 0.2), ("1.5m", 90.0), ("1h", 3600.0), (3, 3.0)])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["5 parsecs", "-1s", True, "ms"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("endpoint", ["localhost:4317", "0.0.0.0:1", "[::1]:4318", ":4317"])
def test_good_endpoints(endpoint):
    assert parse_endpoint(endpoint) == endpoint


@pytest.mark.parametrize("endpoint", ["localhost", "localhost:0", "localhost:70000", "http://x:1", ""])
def test_bad_endpoints(endpoint):
    with pytest.raises(ValueError):
        parse_endpoint(endpoint)


def test_load_config_reports_yaml_errors_and_missing_files(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yaml")
    assert "cannot read config" in str(caught.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("receivers: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(broken)
    assert "not valid YAML" in str(caught.value)


def test_shipped_default_config_is_valid(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2]
    config = load_config(root / "config" / "default.yaml")
    assert {p.signal for p in config.pipelines.values()} == set(Signal)


def test_a_service_mistake_does_not_hide_the_component_mistakes():
    data = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "localhost:99999"}}}},
        "exporters": {"debug": {"colour": "red"}, "nosuch": {}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": []}}, "typo": 1},
    }
    errors = errors_of(data)
    assert "service::typo: unknown key" in errors
    assert "service::pipelines::traces::exporters: must not be empty (list at least one)" in errors
    assert any(e.startswith("receivers::otlp::protocols::grpc::endpoint:") for e in errors)
    assert "exporters::debug::colour: unknown key" in errors
    assert any(e.startswith("exporters::nosuch: unknown exporter type") for e in errors)


def test_a_bad_reference_is_reported_once():
    data = {**VALID, "exporters": {"otlp": {"endpoint": "${http:/etc/endpoint}"}}}
    data["service"] = {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}}
    errors = errors_of(data)
    assert [e for e in errors if e.startswith("exporters::otlp::endpoint:")] == [
        "exporters::otlp::endpoint: unsupported reference ${http:/etc/endpoint}: use ${env:VAR}, ${VAR}, "
        "${env:VAR:-default} or ${file:PATH}"]


def test_a_missing_file_reference_names_the_file_once():
    data = {**VALID, "exporters": {"otlp": {"endpoint": "${file:/nonexistent/endpoint}"}}}
    data["service"] = {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}}
    assert [e for e in errors_of(data) if e.startswith("exporters::otlp::endpoint:")] == [
        "exporters::otlp::endpoint: ${file:/nonexistent/endpoint}: cannot read the file: No such file or directory"]


def with_service(**telemetry) -> dict:
    return {**VALID, "service": {**VALID["service"], "telemetry": telemetry}}


def test_telemetry_readers_give_the_endpoint_as_the_collector_writes_it():
    reader = {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": 9999}}}}
    config = parse_config(with_service(metrics={"readers": [reader]}, logs={"output_paths": ["stderr", "stdout"]}), environ={})
    assert config.service.telemetry.metrics.endpoint() == "0.0.0.0:9999"
    assert parse_config(VALID, environ={}).service.telemetry.metrics.endpoint() == "localhost:8888"


@pytest.mark.parametrize("metrics,message", [
    ({"readers": [{"periodic": {"exporter": {"otlp": {"endpoint": "x:4317"}}}}]}, "periodic (push) readers are not supported"),
    ({"readers": [{"pull": {"exporter": {"prometheus": {}}}}] * 2}, "one pull reader at most"),
    ({"address": "localhost:8888", "readers": []}, "either address or readers"),
])
def test_telemetry_readers_that_cannot_be_honoured_say_why(metrics, message):
    assert any(message in e for e in errors_of(with_service(metrics=metrics)))


def test_own_traces_are_refused_with_the_reason():
    errors = errors_of(with_service(traces={"processors": []}))
    assert any(e.startswith("service::telemetry:") and "does not trace itself" in e for e in errors), errors


def queue_storage_config(storage: str, extensions: dict, enabled: list[str]) -> dict:
    return {
        "receivers": VALID["receivers"],
        "exporters": {"otlp": {"endpoint": "127.0.0.1:4317", "tls": {"insecure": True}, "sending_queue": {"storage": storage}}},
        "extensions": extensions,
        "service": {"extensions": enabled, "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}},
    }


def test_sending_queue_storage_names_a_configured_and_enabled_file_storage_extension(tmp_path):
    good = queue_storage_config("file_storage/q", {"file_storage/q": {"directory": str(tmp_path)}}, ["file_storage/q"])
    assert parse_config(good, environ={})
    assert errors_of(queue_storage_config("file_storage/q", {}, [])) == [
        "exporters::otlp::sending_queue::storage: references extension 'file_storage/q', which is not configured under extensions"]
    assert errors_of(queue_storage_config("file_storage/q", {"file_storage/q": {"directory": str(tmp_path)}}, [])) == [
        "exporters::otlp::sending_queue::storage: extension 'file_storage/q' is configured but not listed in service::extensions"]


def test_a_missing_storage_directory_is_a_deployment_error_reported_with_the_rest(tmp_path):
    data = queue_storage_config("file_storage", {"file_storage": {"directory": str(tmp_path / "nope")}}, ["file_storage"])
    data["exporters"]["otlp"]["endpoint"] = "${env:UNSET_BACKEND}"
    errors = errors_of(data)
    assert any(e.startswith("extensions::file_storage::directory:") and "create_directory" in e for e in errors)
    assert any("environment variable UNSET_BACKEND is not set" in e for e in errors)


def test_errors_say_error_in_the_singular(tmp_path, capsys):
    from scrubber.cli import _print_errors

    _print_errors("x.yaml", ConfigError(["a: b"]))
    assert "(1 error):" in capsys.readouterr().err


def test_file_storage_golden_config():
    import pathlib

    import yaml

    from scrubber.extensions.file_storage import FileStorageConfig

    root = pathlib.Path(__file__).resolve().parents[2]
    golden = yaml.safe_load((root / "scrubber/extensions/file_storage/testdata/config.yaml").read_text())
    assert FileStorageConfig.model_validate(golden["file_storage"] or {}) == FileStorageConfig()
    full = FileStorageConfig.model_validate(golden["file_storage/all_settings"])
    assert (full.directory, full.create_directory, full.directory_permissions, full.timeout, full.fsync) == (
        "/var/lib/scrubber/queues", True, "0700", 2.0, True)
    assert full.compaction.on_rebound and full.compaction.max_transaction_size == 2048
    with pytest.raises(Exception, match="octal"):
        FileStorageConfig.model_validate({"directory_permissions": "rwx"})
