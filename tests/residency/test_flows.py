"""`scrubber flows` on both shipped configs: the table, the Mermaid text and the picture."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from tests.residency.conftest import FEDERATED_ENV, ROOT


def flows(config, tmp_path, fmt: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, bytes]:
    output = tmp_path / "flows"
    result = subprocess.run([sys.executable, "-m", "scrubber", "flows", "--config", str(config), "--output", str(output),
                             "--format", fmt], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, **(env or {})}, timeout=60)
    picture = output.with_suffix(f".{fmt}")
    return result, picture.read_bytes() if picture.exists() else b""


def table_rows(stdout: str) -> set[tuple[str, ...]]:
    lines = stdout.split("```mermaid")[0].strip().splitlines()[2:]
    return {tuple(re.split(r"\s{2,}", line.strip())) for line in lines}


def test_federated_flows_table_mermaid_and_png(tmp_path):
    result, picture = flows(ROOT / "config" / "federated.yaml", tmp_path, "png", FEDERATED_ENV)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert rows == {
        ("eu", "raw", "traces, logs, metrics", "otlp/eu", "eu"),
        ("eu", "aggregates", "metrics", "otlp/global", "global"),
        ("in", "pseudonymized", "traces, logs, metrics", "otlp/in", "in"),
        ("in", "aggregates", "metrics", "otlp/global", "global"),
        ("us", "raw", "traces, logs, metrics", "otlp/us", "us"),
        ("us", "pseudonymized", "traces, logs", "otlp/global", "global"),
        ("us", "aggregates", "metrics", "otlp/global", "global"),
        ("default-policy", "raw", "traces, logs, metrics", "quarantine", "local"),
        ("default-policy", "aggregates", "metrics", "otlp/global", "global"),
        ("unknown-jurisdiction", "raw", "traces, logs, metrics", "quarantine", "local"),
    }
    mermaid = result.stdout.split("```mermaid\n")[1].split("```")[0]
    assert mermaid.startswith("flowchart LR\n")
    assert 'j_eu ==>|"raw: traces, logs, metrics"| x_otlp_eu' in mermaid
    assert 'j_us -->|"pseudonymized: traces, logs"| x_otlp_global' in mermaid
    assert 'j_eu -.->|"aggregates: metrics"| x_otlp_global' in mermaid
    assert "VIOLATION" not in result.stdout
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000


def test_default_flows_svg(tmp_path):
    result, picture = flows(ROOT / "config" / "default.yaml", tmp_path, "svg")
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert ("eu", "raw", "traces", "file/eu_traces", "eu") in rows
    assert ("in", "pseudonymized", "logs", "file/in_logs", "in") in rows
    to_global = {r for r in rows if r[4] == "global"}
    assert to_global and all(r[1] in ("aggregates", "pseudonymized") for r in to_global)
    assert {r[0] for r in to_global if r[1] == "pseudonymized"} == {"us"}
    root = ET.fromstring(picture)
    assert root.tag.endswith("svg")
    assert b"otlp" not in picture and b"file/global_metrics" in picture  # real text of the map


def test_flows_marks_and_lists_violations(tmp_path, federated_env):
    config = yaml.safe_load((ROOT / "config" / "federated.yaml").read_text())
    config["service"]["pipelines"]["traces/eu"]["exporters"].append("otlp/global")
    path = tmp_path / "leaky.yaml"
    path.write_text(yaml.safe_dump(config))
    result, picture = flows(path, tmp_path, "png", federated_env)
    assert result.returncode == 1
    assert ("eu", "raw", "traces", "otlp/global", "global", "VIOLATION") in table_rows(result.stdout)
    assert "VIOLATION service::pipelines::traces/eu: raw eu traces can reach global exporter otlp/global" in result.stderr
    assert picture.startswith(b"\x89PNG")


def test_flows_on_a_broken_config_says_why(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("receivers: {}\n")
    result, picture = flows(path, tmp_path, "svg")
    assert result.returncode == 1 and "invalid configuration" in result.stderr and picture == b""
