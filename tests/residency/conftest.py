from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FEDERATED_ENV = {
    "SCRUBBER_REGIONAL_EU_ENDPOINT": "127.0.0.1:14001",
    "SCRUBBER_REGIONAL_IN_ENDPOINT": "127.0.0.1:14002",
    "SCRUBBER_REGIONAL_US_ENDPOINT": "127.0.0.1:14003",
    "SCRUBBER_GLOBAL_ENDPOINT": "127.0.0.1:14004",
    "SCRUBBER_KEY_EU": "eu-test-key-0123456789abcdef",
    "SCRUBBER_KEY_IN": "in-test-key-0123456789abcdef",
    "SCRUBBER_KEY_US": "us-test-key-0123456789abcdef",
}


@pytest.fixture
def federated_env(monkeypatch):
    for name, value in FEDERATED_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(FEDERATED_ENV)


@pytest.fixture
def federated(federated_env) -> dict:
    """config/federated.yaml as a dict, to be altered by a test."""
    return copy.deepcopy(yaml.safe_load((ROOT / "config" / "federated.yaml").read_text()))
