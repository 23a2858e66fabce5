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


COMMANDS = ["run", "validate", "scan", "flows", "components", "default-config", "erase"]


def test_every_command_has_a_description_examples_and_exit_codes():
    for command in COMMANDS:
        result = run_cli(command, "--help")
        assert result.returncode == 0, command
        text = result.stdout
        assert "examples:" in text and "exit codes:" in text and "2  wrong command line" in text, command
        assert "`" not in text, f"{command}: Markdown backticks in help"


def test_validate_accepts_the_collectors_config_flag_and_says_pipeline_in_the_singular(tmp_path):
    config = tmp_path / "ok.yaml"
    config.write_text("receivers: {otlp: {protocols: {http: {endpoint: '127.0.0.1:4318'}}}}\n"
                      "exporters: {debug: {}}\nservice: {pipelines: {logs: {receivers: [otlp], exporters: [debug]}}}\n")
    result = run_cli("validate", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "valid (1 pipeline: logs)" in result.stdout


def test_federated_config_without_its_environment_shows_every_error_in_one_pass():
    import os
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRUBBER_REGIONAL", "SCRUBBER_GLOBAL", "SCRUBBER_KEY"))}
    result = subprocess.run([sys.executable, "-m", "scrubber", "validate", str(root / "config" / "federated.yaml")],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    text = result.stderr
    for variable in ("SCRUBBER_REGIONAL_EU_ENDPOINT", "SCRUBBER_REGIONAL_IN_ENDPOINT", "SCRUBBER_REGIONAL_US_ENDPOINT",
                     "SCRUBBER_GLOBAL_ENDPOINT", "SCRUBBER_KEY_EU", "SCRUBBER_KEY_IN", "SCRUBBER_KEY_US"):
        assert f"environment variable {variable} is not set" in text, text  # endpoints and keys together


def test_an_invalid_extension_gets_one_error_and_no_false_reference_error(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("receivers: {otlp: {protocols: {http: {endpoint: '127.0.0.1:4318'}}}}\n"
                      "exporters: {debug: {}}\nextensions: {health_check: {colour: red}}\n"
                      "service: {extensions: [health_check], pipelines: {logs: {receivers: [otlp], exporters: [debug]}}}\n")
    result = run_cli("validate", str(config))
    assert result.returncode == 1
    assert "(1 error):" in result.stderr and "extensions::health_check::colour: unknown key" in result.stderr
    assert "references extension" not in result.stderr


def test_components_lists_installed_and_deliberately_absent_ones():
    import json

    result = run_cli("components", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    present = {(r["kind"], r["type"]) for r in rows if "reason" not in r}
    assert {("receiver", "otlp"), ("processor", "pii"), ("exporter", "otlphttp"), ("extension", "file_storage"),
            ("connector", "residency_router")} <= present
    absent = {r["type"]: r["reason"] for r in rows if "reason" in r}
    assert "py-spy" in absent["pprof"] and "health_check" in absent["zpages"]
    table = run_cli("components").stdout
    assert table.splitlines()[0].split() == ["KIND", "TYPE", "STABILITY", "SIGNALS"]


def test_exit_codes_are_the_same_across_commands(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("receivers: {otlp: {protocols: {grpc: {endpoint: nope}}}}\nexporters: {debug: {}}\n"
                   "service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n")
    capture = tmp_path / "capture.jsonl"
    capture.write_text("")
    assert run_cli("validate", str(bad)).returncode == 1
    assert run_cli("run", "--config", str(bad)).returncode == 1
    assert run_cli("scan", "--config", str(bad), str(capture)).returncode == 1
    assert run_cli("flows", "--config", str(bad), "--output", str(tmp_path / "f")).returncode == 1
    assert run_cli("validate", "--no-such-flag").returncode == 2


SCAN_CONFIG = """
receivers: {otlp: {protocols: {grpc: {endpoint: "127.0.0.1:4317"}}}}
processors:
  pii/eu: {keys: {eu: {active: eu-1, keys: {eu-1: {env: SCRUBBER_TEST_SCAN_EU}}}}, default_jurisdiction: eu}
  pii/in: {keys: {in: {active: in-1, keys: {in-1: {env: SCRUBBER_TEST_SCAN_IN}}}}, default_jurisdiction: in}
exporters: {debug: {}}
service:
  pipelines:
    traces/in: {receivers: [otlp], processors: [pii/in], exporters: [debug]}
    traces/eu: {receivers: [otlp], processors: [pii/eu], exporters: [debug]}
"""


def test_scan_processor_picks_the_pii_processor_and_says_which(tmp_path):
    import os

    config = tmp_path / "scan.yaml"
    config.write_text(SCAN_CONFIG)
    capture = tmp_path / "capture.jsonl"
    capture.write_text('{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c",'
                       '"spanId":"b7ad6b7169203331","name":"x","attributes":[{"key":"user.email","value":{"stringValue":'
                       '"jane@example.com"}}]}]}]}]}\n')
    env = {**os.environ, "SCRUBBER_TEST_SCAN_EU": "e" * 32, "SCRUBBER_TEST_SCAN_IN": "i" * 32}
    output = tmp_path / "out.jsonl"
    result = subprocess.run([sys.executable, "-m", "scrubber", "scan", "--config", str(config), "--processor", "pii/eu",
                             str(capture), "--output", str(output)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "traces: scanned with pii/eu [key rings: eu (active key eu-1)]" in result.stdout
    assert "<EMAIL_ADDRESS:eu-1:" in output.read_text() and "jane@example.com" not in output.read_text()
    default = subprocess.run([sys.executable, "-m", "scrubber", "scan", "--config", str(config), str(capture)],
                             capture_output=True, text=True, timeout=120, env=env)
    assert "scanned with pii/in" in default.stdout  # without --processor: the first pipeline's, and it says so
    wrong = subprocess.run([sys.executable, "-m", "scrubber", "scan", "--config", str(config), "--processor", "pii/us",
                            str(capture)], capture_output=True, text=True, timeout=120, env=env)
    assert wrong.returncode == 1 and "there are: pii/eu, pii/in" in wrong.stdout


def test_an_unset_variable_in_a_value_that_may_be_empty_is_warned_about(tmp_path):
    import os

    config = tmp_path / "ok.yaml"
    config.write_text("receivers: {otlp: {protocols: {http: {endpoint: '127.0.0.1:4318'}}}}\n"
                      "exporters: {otlp: {endpoint: '127.0.0.1:4317', jurisdiction: local, headers: {x-token: '${TOKEN_UNSET_X}'}}}\n"
                      "service: {pipelines: {logs: {receivers: [otlp], exporters: [otlp]}}}\n")
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_UNSET_X"}
    result = subprocess.run([sys.executable, "-m", "scrubber", "validate", str(config)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "warning: exporters::otlp::headers::x-token: TOKEN_UNSET_X is not set; the value is empty" in result.stderr


def test_run_strict_refuses_a_config_that_forwards_raw_data(tmp_path):
    config = tmp_path / "plain.yaml"
    config.write_text("receivers: {otlp: {protocols: {http: {endpoint: '127.0.0.1:0'}}}}\n"
                      "exporters: {otlp: {endpoint: '127.0.0.1:4317'}}\n"
                      "service: {pipelines: {traces: {receivers: [otlp], exporters: [otlp]}}}\n")
    result = run_cli("run", "--config", str(config), "--strict")
    assert result.returncode == 1
    assert "exporters::otlp: receives unscrubbed data (pipeline traces)" in result.stderr and "(--strict)" in result.stderr
