"""The CLI contract: `scrubber validate` exits 0 when valid, else lists every error."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrubber", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_validate_valid_file(tmp_path):
    config = tmp_path / "ok.yaml"
    config.write_text(textwrap.dedent("""
        receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:4318"}}}}
        exporters: {debug: {}}
        service: {pipelines: {logs: {receivers: [otlp], exporters: [debug]}}}
    """))
    result = run_cli("validate", str(config))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_validate_lists_every_error_and_fails(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent("""
        receivers: {otlp: {protocols: {grpc: {endpoint: "nope"}}}}
        processors: {batch: {send_batch_size: -1}}
        exporters: {otlp/eu: {endpoint: "${env:SCRUBBER_TEST_UNSET_ENDPOINT}"}}
        service: {pipelines: {traces: {receivers: [otlp], processors: [batch], exporters: [otlp/eu]}}}
    """))
    result = run_cli("validate", str(config))
    assert result.returncode != 0
    assert "3 errors" in result.stderr
    for path in ("receivers::otlp::protocols::grpc::endpoint", "processors::batch::send_batch_size", "exporters::otlp/eu::endpoint"):
        assert path in result.stderr


def test_run_refuses_invalid_config_with_the_same_messages(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("receivers: {otlp: {protocols: {grpc: {endpoint: nope}}}}\nexporters: {debug: {}}\n"
                      "service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 1
    assert "receivers::otlp::protocols::grpc::endpoint" in result.stderr


def test_module_and_console_script_are_the_same_program():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("scrubber ")
