"""`scrubber scan`: a dry run of a config's pii processors over OTLP/JSON lines."""

from __future__ import annotations

import io
import json

import pytest

from scrubber.pdata import otlpjson
from scrubber.processors.pii.scan import run_scan
from scrubber.processors.pii.tests.conftest import fixture_dirs, planted

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc:
processors:
  pii/eu:
    keys:
      default: {active: k1, keys: {k1: {env: SCRUBBER_TEST_PII_KEY}}}
    metrics: {identifiers: drop}
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [pii/eu], exporters: [debug]}
    metrics: {receivers: [otlp], processors: [pii/eu], exporters: [debug]}
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    return path


def test_scan_prints_table_and_writes_scrubbed_lines(config_file, tmp_path):
    folder = fixture_dirs()[0]
    source = tmp_path / "capture.jsonl"
    source.write_text("".join((folder / f"{name}.jsonl").read_text() for name in ("traces", "logs", "metrics")))
    output, out = tmp_path / "scrubbed.jsonl", io.StringIO()
    assert run_scan(str(config_file), str(source), str(output), out=out) == 0
    table = out.getvalue()
    lines = table.splitlines()
    assert lines[0].split() == ["KEY", "ENTITY", "TYPE", "COUNT", "OPERATOR"]
    rows = {tuple(line.split()[:2]): line.split() for line in lines[1:] if line.strip() and "request(s)" not in line}
    assert rows[("span:user.email", "EMAIL_ADDRESS")][-1] == "pseudonymize"
    assert rows[("metric:enduser.id", "USER_ID")][-1] == "drop"
    assert any(key[0].startswith("log:<body>") and key[1] == "PERSON" for key in rows)
    written = output.read_text().splitlines()
    assert len(written) == len(source.read_text().splitlines())
    text = output.read_text()
    for value in planted(folder):
        assert value not in text and json.dumps(value)[1:-1] not in text and value not in table
    signals = [otlpjson.load_line(line)[0].value for line in written]
    assert set(signals) == {"traces", "logs", "metrics"}


def test_scan_reports_config_and_input_errors(config_file, tmp_path, monkeypatch):
    out = io.StringIO()
    monkeypatch.delenv("SCRUBBER_TEST_PII_KEY")
    assert run_scan(str(config_file), str(tmp_path / "none.jsonl"), None, out=out) == 1  # as validate
    assert "processors::pii/eu::keys::default::keys::k1: environment variable SCRUBBER_TEST_PII_KEY is not set" in out.getvalue()
    monkeypatch.setenv("SCRUBBER_TEST_PII_KEY", "y" * 20)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": []}\nnot json\n')
    out = io.StringIO()
    assert run_scan(str(config_file), str(bad), None, out=out) == 1
    assert f"{bad}:2: skipped" in out.getvalue() and "1 request(s) scanned" in out.getvalue()


POOLED_CONFIG = CONFIG.replace("    metrics: {identifiers: drop}\n", "    metrics: {identifiers: drop}\n"
                               "    worker_pool: worker_pool/detection\n") + """
extensions:
  worker_pool/detection: {workers: 1}
"""


def test_scan_runs_a_config_whose_pii_processor_names_a_worker_pool(tmp_path):
    """The scan starts the config's worker_pool extension, so a policy that runs detection on
    shared workers is tried out as it will run (and its workers stop with the scan)."""
    config = tmp_path / "pooled.yaml"
    config.write_text(POOLED_CONFIG.replace("service:\n", "service:\n  extensions: [worker_pool/detection]\n"))
    folder = fixture_dirs()[0]
    source = tmp_path / "capture.jsonl"
    source.write_text((folder / "traces.jsonl").read_text())
    output, out = tmp_path / "scrubbed.jsonl", io.StringIO()
    assert run_scan(str(config), str(source), str(output), out=out) == 0, out.getvalue()
    assert "span:user.email" in out.getvalue()
    text = output.read_text()
    assert text and all(value not in text for value in planted(folder))
