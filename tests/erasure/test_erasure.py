"""Issue 12, done when: subject A's items go through scrubber; A is erased (`scrubber erase`,
a separate process, as an operator would); A's old tokens can no longer be recomputed through
any public API and the vault holds nothing derivable from A; A's new items get new tokens;
subject B's tokens are unchanged. Receipt and lineage hold no planted value."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys

import pytest

from scrubber.processors.pii.keys import KeyStore
from scrubber.subjects import receipts
from tests.erasure.conftest import write_config
from tests.erasure.harness import KEYS, Pipeline, attributes, pii_config, span_request, subject_span

A, A_MAIL, B, B_MAIL = "alice-4711", "alice.liddell@example.org", "bob-0815", "bob.builder@example.net"
PLANTED = [A, A_MAIL, B, B_MAIL, "Alice", "alice"]


def erase(config_path: str, subject: str, jurisdiction: str = "eu") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrubber", "erase", "--config", config_path, "--jurisdiction",
                           jurisdiction, "--subject-id", subject], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


def vault_bytes(directory) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.name.startswith("eu.sqlite3"))


@pytest.fixture
def setup(tmp_path):
    subjects = {"vault": {"directory": str(tmp_path / "vault"), "poll_interval": "200ms"},
                "receipts": str(tmp_path / "receipts.jsonl"), "lineage": {"flush_interval": "200ms"}}
    pipeline = Pipeline(pii_config(**{k: v for k, v in subjects.items()}))
    yield pipeline, write_config(tmp_path, subjects), tmp_path
    pipeline.close()


def tokens_of(request) -> list[dict[str, str]]:
    return attributes(request)


def test_erased_subject_is_unlinkable_and_others_are_untouched(setup):
    pipeline, config_path, tmp_path = setup
    before = tokens_of(pipeline.scrub(span_request(subject_span(A, A_MAIL), subject_span(B, B_MAIL))))
    a_old, b_old = before
    a_key = a_old["enduser.id"].split(":")[1]
    assert a_key.startswith("s-") and a_old["user.email"].split(":")[1] == a_key  # every pseudonym of A: A's key
    assert b_old["enduser.id"].split(":")[1] != a_key
    assert A_MAIL not in json.dumps(before) and A not in json.dumps(before)
    # what an attacker holding the vault file would need: A's secret and blind index, read before erasure
    with sqlite3.connect(tmp_path / "vault" / "eu.sqlite3") as db:
        a_secret, a_index = db.execute("SELECT secret, blind_index FROM scrubber_subject_keys WHERE key_id = ?",
                                       (a_key,)).fetchone()
    pipeline.sleep(0.5)  # lineage flushed

    result = erase(config_path, A)
    assert result.returncode == 0, result.stderr
    assert a_key in result.stdout and "file/global" in result.stdout
    assert "raw copies there are the backend's to delete" in result.stdout and "file/eu" in result.stdout
    pipeline.sleep(0.6)  # > poll_interval: the running process has read the erasure log
    # the vault holds nothing derivable from A (before A's next items give A a new key): no secret, no blind index, no id (db and WAL bytes)
    raw = vault_bytes(tmp_path / "vault")
    assert a_secret not in raw and a_index not in raw
    assert A.encode() not in raw and A_MAIL.encode() not in raw
    with sqlite3.connect(tmp_path / "vault" / "eu.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM scrubber_subject_keys WHERE key_id = ?", (a_key,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM scrubber_subject_lineage WHERE blind_index = ?",
                          (a_index,)).fetchone()[0] == 0

    after = tokens_of(pipeline.scrub(span_request(subject_span(A, A_MAIL), subject_span(B, B_MAIL))))
    a_new, b_new = after
    assert b_new == b_old  # B unchanged
    assert a_new["enduser.id"].split(":")[1] != a_key  # a fresh secret ...
    assert a_new["enduser.id"] != a_old["enduser.id"] and a_new["user.email"] != a_old["user.email"]  # ... new tokens
    # no public API recomputes the old tokens: the jurisdiction keys do not know the subject key id
    store = KeyStore.load(pipeline.processor.config.keys)
    assert not store.knows(a_key)
    assert not store.matches(A, a_old["enduser.id"]) and not store.matches(A_MAIL, a_old["user.email"])
    # the process's own cache dropped it too
    assert all(key.key_id != a_key for key in pipeline.processor.engine.subjects.vault.cache.values())


def test_receipt_and_lineage_hold_no_planted_value(setup):
    pipeline, config_path, tmp_path = setup
    prompt = f"Hi, I am Alice, write to {A_MAIL} or call my friend {B} at {B_MAIL}"
    pipeline.scrub(span_request(subject_span(A, A_MAIL, prompt), subject_span(B, B_MAIL)))
    pipeline.sleep(0.6)
    with sqlite3.connect(tmp_path / "vault" / "eu.sqlite3") as db:
        lineage = db.execute("SELECT * FROM scrubber_subject_lineage").fetchall()
    assert len(lineage) == 2 and {row[2] for row in lineage} == {"traces/global"}
    lineage_text = repr(lineage).encode() + vault_bytes(tmp_path / "vault")
    result = erase(config_path, A)
    assert result.returncode == 0, result.stderr
    [receipt] = receipts.read(tmp_path / "receipts.jsonl")
    assert receipt["jurisdiction"] == "eu" and len(receipt["key_ids_destroyed"]) == 1
    assert receipt["lineage"][0]["exporters"][0]["exporter"] == "file/global"
    assert {d["exporter"] for d in receipt["destinations"]} == {"file/eu", "file/global"}
    receipt_text = (tmp_path / "receipts.jsonl").read_bytes()
    for value in PLANTED:
        assert value.encode() not in receipt_text, value
        assert value.encode() not in result.stdout.encode(), value
        assert value.encode() not in lineage_text, value
    assert oct((tmp_path / "receipts.jsonl").stat().st_mode & 0o777) == "0o600"


def test_erasing_twice_is_harmless_and_recorded(setup):
    pipeline, config_path, tmp_path = setup
    pipeline.scrub(span_request(subject_span(A, A_MAIL)))
    assert erase(config_path, A).returncode == 0
    second = erase(config_path, A)
    assert second.returncode == 0 and "none (no key existed)" in second.stdout
    assert len(receipts.read(tmp_path / "receipts.jsonl")) == 2


def test_unknown_jurisdiction_is_refused(setup):
    _, config_path, tmp_path = setup
    result = erase(config_path, A, jurisdiction="br")
    assert result.returncode == 1 and "no pii processor with subjects holds a key for jurisdiction 'br'" in result.stderr
    assert not (tmp_path / "receipts.jsonl").exists()


def test_vault_unreachable_fails_closed(tmp_path, caplog):
    pipeline = Pipeline(pii_config({"directory": str(tmp_path / "vault")}, receipts=str(tmp_path / "r.jsonl")))
    (tmp_path / "vault").write_text("x")  # after start, the vault's place is taken by a file: every call fails
    try:
        with caplog.at_level(logging.WARNING):
            out = attributes(pipeline.scrub(span_request(
                subject_span(A, A_MAIL), {"user.email": B_MAIL, "residency.jurisdiction": "eu"})))
        a, no_subject = out
        assert a["enduser.id"] == "<REDACTED>" and a["user.email"] == "<REDACTED>"
        assert "<REDACTED>" in a["gen_ai.input.messages"] and A_MAIL not in a["gen_ai.input.messages"]
        assert no_subject["user.email"].startswith("<EMAIL_ADDRESS:eu-1:")  # items without a subject: as before
        text = caplog.text
        assert "subject vault unavailable" in text
        for value in PLANTED:
            assert value not in text
        processor = pipeline.processor
        assert processor.subject_failures.labels(jurisdiction="eu")._value.get() == 1
    finally:
        pipeline.close()


def test_validate_checks_the_vault_settings(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.delenv("NO_SUCH_DSN", raising=False)
    bad_sqlite = write_config(tmp_path, {"vault": {"directory": str(blocker / "v")}, "receipts": str(tmp_path / "r")}, "a.yaml")
    bad_pg = write_config(tmp_path, {"vault": {"backend": "postgresql", "dsn_env": {"eu": "NO_SUCH_DSN"}}}, "b.yaml")
    no_dsn = write_config(tmp_path, {"vault": {"backend": "postgresql"}}, "c.yaml")
    outputs = {}
    for path in (bad_sqlite, bad_pg, no_dsn):
        result = subprocess.run([sys.executable, "-m", "scrubber", "validate", path], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1
        outputs[path] = result.stderr
    assert "processors::pii::subjects::vault::directory:" in outputs[bad_sqlite]
    assert "is not a directory" in outputs[bad_sqlite]
    assert "processors::pii::subjects::vault::dsn_env::eu: environment variable NO_SUCH_DSN is not set" in outputs[bad_pg]
    assert "backend postgresql needs dsn_env" in outputs[no_dsn]


def test_subject_resolution_order_and_openai_user():
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    from scrubber.subjects.resolve import SubjectResolver

    def kvs(**values):
        return [KeyValue(key=k.replace("__", ".").replace("_", "."), value=AnyValue(string_value=v))
                for k, v in values.items()]

    resolver = SubjectResolver(["enduser.id", "user.id", "gen_ai.user", "llm.invocation_parameters.user"])
    assert resolver.of(kvs(user_id="u2", enduser_id="u1")) == "u1"  # configured order, not attribute order
    params = [KeyValue(key="llm.invocation_parameters", value=AnyValue(string_value='{"model": "x", "user": "u9"}'))]
    assert resolver.of(params) == "u9"
    assert resolver.of(params + [KeyValue(key="gen_ai.user", value=AnyValue(string_value="u3"))]) == "u3"
    assert resolver.of(kvs(other="x"), fallback="from-resource") == "from-resource"  # item, then resource
    assert resolver.of(kvs(enduser_id="  ")) is None
    assert KEYS  # the same keys the pipeline uses
