"""Fixtures of the erasure tests: key variables, a SQLite vault in a temp dir, and the
config file the `scrubber erase` command reads (the same pii processor as in-process)."""

from __future__ import annotations

import pytest
import yaml

from tests.erasure.harness import DETECTION, KEY_ENV, KEYS


@pytest.fixture(autouse=True)
def _keys(monkeypatch):
    for name, value in KEY_ENV.items():
        monkeypatch.setenv(name, value)


def write_config(tmp_path, subjects: dict, name: str = "scrubber.yaml", http_port: int = 0) -> str:
    """A runnable config: OTLP/HTTP in, routed by jurisdiction: eu and us raw to their regional
    file exporters (lineage recorded by subject_lineage), pseudonymized (pii with `subjects`)
    to the global one."""
    out = tmp_path / "out"
    pii = {"keys": KEYS, "default_jurisdiction": "eu", "detection": DETECTION, "subjects": subjects}
    config = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{http_port}"}}}},
        "processors": {"residency": {}, "pii": pii, "egress_guard": {"mode": "pseudonymized"},
                       "subject_lineage": {"default_jurisdiction": "eu"}},
        "connectors": {"residency_router": {
            "policies": {"eu": {"key": "eu", "regional": ["traces/eu"], "global": "pseudonymized"},
                         "us": {"key": "us", "regional": ["traces/us"], "global": "pseudonymized"}},
            "quarantine": ["traces/quarantine"], "global": ["traces/global"]}},
        "exporters": {"file/eu": {"jurisdiction": "eu", "path": str(out / "eu.jsonl")},
                      "file/us": {"jurisdiction": "us", "path": str(out / "us.jsonl")},
                      "file/global": {"jurisdiction": "global", "path": str(out / "global.jsonl")},
                      "quarantine": {"path": str(out / "quarantine")}},
        "service": {"pipelines": {
            "traces": {"receivers": ["otlp"], "processors": ["residency"], "exporters": ["residency_router"]},
            "traces/eu": {"receivers": ["residency_router"], "processors": ["subject_lineage"],
                          "exporters": ["file/eu"]},
            "traces/us": {"receivers": ["residency_router"], "processors": ["subject_lineage"],
                          "exporters": ["file/us"]},
            "traces/global": {"receivers": ["residency_router"], "processors": ["pii", "egress_guard"],
                              "exporters": ["file/global"]},
            "traces/quarantine": {"receivers": ["residency_router"], "exporters": ["quarantine"]}}},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the session (Debian's package; .ci/run installs it)."""
    import os

    from tests.erasure.postgres import PostgresServer, bindir

    if bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed: .ci/run must install Debian's postgresql")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    server = PostgresServer().start()
    yield server
    server.stop()
