"""Issue 13, files: what scrubber writes is owner-only (0600) whatever the umask, and a key file
others can read is refused (one its group can read is accepted with a loud warning).

Real parts: the file exporter's writer with rotation, the persistent sending queue's file
storage, and the pii key loader, under a permissive umask (0o000) as a careless service
manager would set it."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from scrubber.exporters.exporterhelper.queue import FileStorage, QueueItem
from scrubber.exporters.file.config import RotationConfig
from scrubber.exporters.file.writer import RotatingWriter
from scrubber.pdata import Signal
from scrubber.processors.pii.keys import JurisdictionKeys, KeyStore, KeyUnavailable, check_keys
from scrubber.testing.data import synthetic_request


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_files_and_their_rotations_are_0600(tmp_path, open_umask):
    path = tmp_path / "regional" / "eu" / "traces.jsonl"
    writer = RotatingWriter(str(path), RotationConfig(max_megabytes=0.001, max_backups=5), append=True)
    for _ in range(5):
        writer.write(b"x" * 600 + b"\n")
    writer.close()
    files = list(path.parent.iterdir())
    assert len(files) > 1, "rotation happened"
    assert {mode(f) for f in files} == {0o600}
    assert mode(path.parent) == 0o700


def test_an_existing_0644_data_file_is_narrowed(tmp_path, open_umask):
    path = tmp_path / "traces.jsonl"
    path.write_bytes(b"old\n")
    path.chmod(0o644)
    RotatingWriter(str(path), None, append=True).close()
    assert mode(path) == 0o600


def test_persistent_queue_files_are_0600(tmp_path, open_umask):
    storage = FileStorage(str(tmp_path / "queue"))
    request = synthetic_request(Signal.TRACES, 2)
    key = storage.save(QueueItem(Signal.TRACES, request, 2))
    assert mode(tmp_path / "queue" / key) == 0o600
    assert mode(tmp_path / "queue") == 0o700
    assert [item.request for item in storage.load()] == [request]


def _keys(path) -> dict:
    return {"eu": JurisdictionKeys.model_validate({"active": "k", "keys": {"k": {"file": str(path)}}})}


@pytest.mark.parametrize("file_mode", [0o644, 0o604, 0o622, 0o666])
def test_a_key_file_others_can_read_or_write_is_refused(tmp_path, file_mode):
    path = tmp_path / "eu.key"
    path.write_text("k" * 32)
    path.chmod(file_mode)
    errors = check_keys(_keys(path))
    assert len(errors) == 1 and f"mode {file_mode:04o}" in errors[0] and "0600" in errors[0]
    assert "k" * 32 not in errors[0]
    with pytest.raises(KeyUnavailable):
        KeyStore.load(_keys(path))


def test_a_group_readable_key_file_loads_with_a_loud_warning(tmp_path, caplog):
    path = tmp_path / "eu.key"
    path.write_text("k" * 32)
    path.chmod(0o640)
    with caplog.at_level(logging.WARNING):
        KeyStore.load(_keys(path), logger=logging.getLogger("test.keys"))
    assert any("0640" in r.getMessage() and "group" in r.getMessage() for r in caplog.records)
    assert all("k" * 32 not in r.getMessage() for r in caplog.records)
    path.chmod(0o600)
    assert check_keys(_keys(path)) == []
