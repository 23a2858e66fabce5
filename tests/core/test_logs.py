"""Logs never carry an exception's message: it may quote the payload being handled."""

from __future__ import annotations

import io
import json
import logging

import pytest

from scrubber.service.logs import setup_logging

PLANTED = "alice.doe@example.com"


@pytest.mark.parametrize("encoding", ["json", "console"])
def test_logged_exception_keeps_type_and_place_but_not_its_text(encoding, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("info", encoding)
        try:
            {}[PLANTED]
        except KeyError:
            logging.getLogger("scrubber.test").exception("unexpected error sending traces")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    text = stream.getvalue()
    assert PLANTED not in text
    assert "KeyError" in text and "test_logs.py" in text
    if encoding == "json":
        assert json.loads(text.splitlines()[0])["msg"] == "unexpected error sending traces"
