"""`scrubber flows` on both shipped configs: the table, the Mermaid text and the picture
(one box per destination, one edge per form, border-crossing edges marked), and which
destinations hold subject-keyed pseudonyms and which raw data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

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
    raw, keyed, aggregates = "backend must delete", "linkable while jurisdiction key lives", "no subject ids"
    assert rows == {
        ("eu", "raw", "traces, logs, metrics", "otlp/eu", "eu", raw),
        ("eu", "aggregates", "metrics", "otlp/global", "global", aggregates),
        ("in", "pseudonymized", "traces, logs, metrics", "otlp/in", "in", keyed),
        ("in", "aggregates", "metrics", "otlp/global", "global", aggregates),
        ("us", "raw", "traces, logs, metrics", "otlp/us", "us", raw),
        ("us", "pseudonymized", "traces, logs", "otlp/global", "global", keyed),
        ("us", "aggregates", "metrics", "otlp/global", "global", aggregates),
        ("default-policy", "raw", "traces, logs, metrics", "quarantine", "local", raw),
        ("default-policy", "aggregates", "metrics", "otlp/global", "global", aggregates),
        ("unknown-jurisdiction", "raw", "traces, logs, metrics", "quarantine", "local", raw),
    }
    mermaid = result.stdout.split("```mermaid\n")[1].split("```")[0]
    assert mermaid.startswith("flowchart LR\n")
    assert 'subgraph d_global["global stack"]' in mermaid and 'subgraph d_local["quarantine (local)"]' in mermaid
    assert 'j_eu ==>|"raw: traces, logs, metrics"| d_eu' in mermaid  # stays in its region: a plain edge
    assert 'j_us -->|"CROSSES BORDER pseudonymized: traces, logs"| d_global' in mermaid
    assert 'j_eu -.->|"CROSSES BORDER aggregates: metrics"| d_global' in mermaid
    assert 'j_unknown_jurisdiction ==>|"raw: traces, logs, metrics"| d_local' in mermaid
    assert mermaid.count("linkStyle") == 5  # the five border-crossing edges (4 aggregates, 1 pseudonymized) are thick
    assert "VIOLATION" not in result.stdout
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000


def test_default_flows_svg(tmp_path):
    result, picture = flows(ROOT / "config" / "default.yaml", tmp_path, "svg")
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert ("eu", "raw", "traces", "file/eu_traces", "eu", "backend must delete") in rows
    assert ("in", "pseudonymized", "logs", "file/in_logs", "in", "linkable while jurisdiction key lives") in rows
    to_global = {r for r in rows if r[4] == "global"}
    assert to_global and all(r[1] in ("aggregates", "pseudonymized") for r in to_global)
    assert {r[0] for r in to_global if r[1] == "pseudonymized"} == {"us"}
    root = ET.fromstring(picture)
    assert root.tag.endswith("svg")
    assert b"otlp" not in picture and b"file/global_metrics: aggregates" in picture  # real text of the map
    assert b"REGION EU" in picture and b"GLOBAL STACK" in picture and b"QUARANTINE (LOCAL)" in picture
    assert picture.count(b"crosses border") == 5  # four aggregates edges and US's pseudonymized ones
    assert picture.count(b"<text") < 60  # one box per destination, not one per exporter


def test_flows_marks_and_lists_violations(tmp_path, federated_env):
    config = yaml.safe_load((ROOT / "config" / "federated.yaml").read_text())
    config["service"]["pipelines"]["traces/eu"]["exporters"].append("otlp/global")
    path = tmp_path / "leaky.yaml"
    path.write_text(yaml.safe_dump(config))
    result, picture = flows(path, tmp_path, "png", federated_env)
    assert result.returncode == 1
    assert ("eu", "raw", "traces", "otlp/global", "global", "backend must delete", "VIOLATION") in table_rows(result.stdout)
    assert 'j_eu ==>|"VIOLATION raw: traces"| d_global' in result.stdout
    assert "VIOLATION service::pipelines::traces/eu: raw eu traces can reach global exporter otlp/global" in result.stderr
    assert picture.startswith(b"\x89PNG")


def test_flows_on_a_broken_config_says_why(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("receivers: {}\n")
    result, picture = flows(path, tmp_path, "svg")
    assert result.returncode == 1 and "invalid configuration" in result.stderr and picture == b""


def test_default_picture_has_one_edge_per_form_and_destination():
    from scrubber.config.loader import load_config
    from scrubber.flows import edges, groups, rows

    config = load_config(str(ROOT / "config" / "default.yaml"), checks=False)
    all_rows = rows(config)
    assert len({(r.jurisdiction, r.exporter) for r in all_rows}) > 15  # exporter-level: many arrows
    picture_edges = edges(all_rows)
    assert len(picture_edges) == 10
    assert list(groups(all_rows)) == ["eu", "in", "us", "local", "global"]
    crossing = {(e.source, e.form) for e in picture_edges if e.crosses_border}
    assert crossing == {("eu", "aggregates"), ("in", "aggregates"), ("us", "aggregates"),
                        ("default-policy", "aggregates"), ("us", "pseudonymized")}


def test_flows_shows_subject_keyed_destinations(tmp_path, monkeypatch):
    from tests.erasure.conftest import write_config
    from tests.erasure.harness import KEY_ENV

    env = dict(KEY_ENV)
    path = write_config(tmp_path, {"vault": {"directory": str(tmp_path / "vault")}, "receipts": str(tmp_path / "r")})
    result, picture = flows(path, tmp_path, "svg", env)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert ("eu", "pseudonymized", "traces", "file/global", "global", "unlinked (subject key destroyed)") in rows
    assert ("eu", "raw", "traces", "file/eu", "eu", "backend must delete") in rows
    assert 'j_eu -->|"CROSSES BORDER pseudonymized (subject keys): traces"| d_global' in result.stdout
    assert b"file/global: subject-keyed pseudonyms" in picture and b"file/eu: raw data" in picture
