"""The test key every engine of these tests is built with (see `engines.py`)."""

import pytest

from tests.perf_paths.engines import KEY_ENV


@pytest.fixture(autouse=True)
def _engine_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k" * 32)
