"""Five configs written from the Collector's docs validate and run (issue 10): getting
started (with batch timeout 10s), full otlp/otlphttp exporters, env references, telemetry
readers, file_storage. Each runs as a real process with the OTel SDK as the client and
real OTLP backends on loopback."""

from __future__ import annotations

import json
import signal
import ssl
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scrubber.pdata import Signal
from scrubber.testing import GrpcSink, HttpSink
from tests.parity.conftest import CONFIGS, base_env, finished_spans, scrubber, sdk_exporter, validate
from tests.support.process import free_port


@pytest.fixture
def backend():
    sink = GrpcSink()
    sink.start()
    yield sink
    sink.stop()


def names(sink) -> list[str]:
    return [s.name for r in sink.requests[Signal.TRACES] for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]


def test_getting_started_answers_within_a_second_despite_batch_timeout_10s(backend, tmp_path):
    env = base_env(backend.endpoint)
    assert validate("getting_started", env).returncode == 0
    with scrubber("getting_started", tmp_path, env) as process:
        exporter = sdk_exporter(env["OTLP_GRPC_ENDPOINT"])
        took = []
        for i in range(5):
            started = time.monotonic()
            result = exporter.export(finished_spans([f"span-{i}"]))
            took.append(time.monotonic() - started)
            assert result.name == "SUCCESS"
        assert max(took) < 1.0, took
        assert backend.wait_for_items(Signal.TRACES, 5, timeout=5)
        time.sleep(1.0)  # anything duplicated (an SDK retry, a second flush) would have arrived by now
        assert sorted(names(backend)) == [f"span-{i}" for i in range(5)]
        exporter.shutdown()
        assert "attribute_keys=" in process.stderr()  # debug verbosity: detailed
    assert process.proc.returncode == 0


def test_full_otlp_and_otlphttp_exporters_with_tls_headers_compression_retry_and_queue(certificate, tmp_path):
    cert_path, key_path, cert_pem, key_pem = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    with GrpcSink(tls=(cert_pem, key_pem)) as grpc_backend, HttpSink(ssl_context=context) as http_backend:
        env = {**base_env(f"localhost:{grpc_backend.port}"), "BACKEND_CA_FILE": cert_path,
               "BACKEND_HTTP_URL": f"https://localhost:{http_backend.port}"}
        assert validate("full_exporters", env).returncode == 0
        with scrubber("full_exporters", tmp_path, env) as process:
            exporter = sdk_exporter(env["OTLP_GRPC_ENDPOINT"])
            assert exporter.export(finished_spans(["a", "b", "c"])).name == "SUCCESS"
            assert grpc_backend.wait_for_items(Signal.TRACES, 3, timeout=10)
            assert http_backend.wait_for_items(Signal.TRACES, 3, timeout=10)
            exporter.shutdown()
            cors = _preflight(env["OTLP_HTTP_ENDPOINT"], "https://app.example.com")
            assert cors["status"] == 204 and cors["allow_origin"] == "https://app.example.com"
            assert _preflight(env["OTLP_HTTP_ENDPOINT"], "https://evil.test")["status"] == 403
        assert grpc_backend.headers[0].get("x-tenant") == "eu-1"
        assert http_backend.headers[0].get("X-Tenant") == "eu-1" or http_backend.headers[0].get("x-tenant") == "eu-1"
        assert http_backend.headers[0].get("Content-Encoding", http_backend.headers[0].get("content-encoding")) == "zstd"
        assert process.proc.returncode == 0


def _preflight(endpoint: str, origin: str) -> dict:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://{endpoint}/v1/traces", method="OPTIONS",
                                     headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return {"status": response.status, "allow_origin": response.headers.get("Access-Control-Allow-Origin")}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "allow_origin": None}


def test_env_and_file_references(backend, tmp_path):
    (tmp_path / "token").write_text("s3cret-token\n")
    env = {**base_env(backend.endpoint), "QUEUE_SIZE": "64"}
    assert validate("env_references", env, tmp_path).returncode == 0
    with scrubber("env_references", tmp_path, env):
        exporter = sdk_exporter(env["OTLP_GRPC_ENDPOINT"])
        assert exporter.export(finished_spans(["env"])).name == "SUCCESS"
        assert backend.wait_for_items(Signal.TRACES, 1, timeout=10)
        exporter.shutdown()
    headers = backend.headers[0]
    assert headers.get("authorization") == "Bearer s3cret-token" and headers.get("x-price") == "$5"


def test_env_references_name_each_unset_variable_in_one_pass(tmp_path):
    result = validate("env_references", {"OTLP_GRPC_ENDPOINT": "127.0.0.1:4317"}, tmp_path)
    assert result.returncode == 1
    text = result.stderr
    for variable in ("OTLP_HTTP_ENDPOINT", "BACKEND_GRPC_ENDPOINT", "QUEUE_SIZE"):
        assert f"environment variable {variable} is not set" in text, text
    assert "cannot read the file" in text  # the token file, in the same pass
    assert all("is not set" in line for line in text.splitlines() if "is not an endpoint" in line), text


def test_telemetry_readers_and_log_output_paths(backend, tmp_path):
    port = free_port()
    log_file = tmp_path / "scrubber.log"
    env = {**base_env(backend.endpoint), "METRICS_PORT": str(port), "LOG_FILE": str(log_file)}
    assert validate("telemetry_readers", env).returncode == 0
    with scrubber("telemetry_readers", tmp_path, env) as process:
        process.metrics_port = port
        exporter = sdk_exporter(env["OTLP_GRPC_ENDPOINT"])
        assert exporter.export(finished_spans(["t1", "t2"])).name == "SUCCESS"
        assert backend.wait_for_items(Signal.TRACES, 2, timeout=10)
        exporter.shutdown()
        families = {f.name: f for f in text_string_to_metric_families(process.metrics())}
    assert "scrubber_receiver_accepted_spans" in families or "scrubber_receiver_accepted_spans_total" in families
    assert "process_cpu_seconds" in families and "scrubber_build_info" in families
    build = families["scrubber_build_info"].samples[0].labels
    assert build["service_instance_id"] == "parity-1" and build["version"]
    assert not any(s.name.endswith("_created") for f in families.values() for s in f.samples)
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    assert any("Everything is ready" in line["msg"] for line in lines)


def test_file_storage_extension_keeps_acknowledged_spans_across_sigkill(tmp_path):
    backend = GrpcSink()
    backend.start()
    backend.stop()  # the backend is down: its port is known, nothing answers
    storage = tmp_path / "storage"
    env = {**base_env(backend.endpoint), "STORAGE_DIR": str(storage)}
    assert validate("file_storage", env).returncode == 0
    process = scrubber("file_storage", tmp_path, env).start()
    exporter = sdk_exporter(env["OTLP_GRPC_ENDPOINT"])
    for i in range(10):
        assert exporter.export(finished_spans([f"kept-{i}"])).name == "SUCCESS"
    exporter.shutdown()
    assert process.stop(signal.SIGKILL) == -signal.SIGKILL
    assert len(list((storage / "exporter_otlp").glob("*.pb"))) == 10
    backend.start()
    try:
        with scrubber("file_storage", tmp_path, env):
            assert backend.wait_for_items(Signal.TRACES, 10, timeout=20)
            time.sleep(0.5)
        assert sorted(names(backend)) == sorted(f"kept-{i}" for i in range(10))
        assert list((storage / "exporter_otlp").glob("*.pb")) == []
    finally:
        backend.stop()


def test_a_plain_collector_config_is_warned_about_and_refused_with_strict():
    env = base_env()
    result = validate("getting_started", env)
    assert result.returncode == 0 and "valid (3 pipelines" in result.stdout
    warning = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warning) == 1 and "exporters::otlp: receives unscrubbed data (pipelines logs, metrics, traces)" in warning[0]
    assert "debug" not in warning[0]  # it logs counts and keys only
    strict = validate("getting_started", env, None, "--strict")
    assert strict.returncode == 1 and "(1 error)" in strict.stderr and "exporters::otlp: receives unscrubbed data" in strict.stderr


@pytest.mark.parametrize("extension", ["pprof", "zpages"])
def test_pprof_and_zpages_are_refused_with_the_reason_and_the_alternative(tmp_path, extension):
    text = (CONFIGS / "getting_started.yaml").read_text()
    text = text.replace("extensions:\n  health_check:", f"extensions:\n  {extension}:\n  health_check:")
    text = text.replace("extensions: [health_check]", f"extensions: [health_check, {extension}]")
    path = tmp_path / "with.yaml"
    path.write_text(text)
    import os
    import subprocess
    import sys

    env = {**os.environ, **base_env(), "SCRUBBER_HEALTH_ENDPOINT": "127.0.0.1:1", "SCRUBBER_METRICS_ENDPOINT": "127.0.0.1:2"}
    result = subprocess.run([sys.executable, "-m", "scrubber", "validate", str(path)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert f"extensions::{extension}: '{extension}' is deliberately not part of scrubber" in result.stderr
    assert "instead" in result.stderr
    assert "references extension" not in result.stderr  # no follow-on error for service::extensions
    assert "(1 error)" in result.stderr


def test_run_logs_the_residency_warning_as_a_json_line(backend, tmp_path):
    env = base_env(backend.endpoint)
    with scrubber("getting_started", tmp_path, env) as process:
        pass
    lines = [json.loads(line) for line in process.stderr().splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line["level"] == "warning" and "receives unscrubbed data" in line["msg"]]
    assert len(warnings) == 1 and "exporters::otlp" in warnings[0]["msg"]
