"""The `bearertokenauth` extension on its own: config rules, token sources, the
header comparison, and that a printed config never shows the token."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import component_config_errors
from scrubber.extensions.bearertokenauth import BearerTokenAuthConfig, factory
from scrubber.registry import default_registry
from scrubber.service.telemetry import Telemetry

TOKEN = "tok-71c0de5e1f2a"
PATH = "extensions::bearertokenauth"


def make(config: BearerTokenAuthConfig):
    settings = Settings(ComponentID("bearertokenauth"), Kind.EXTENSION, logging.getLogger("t"), Telemetry())
    extension = factory.create(settings, config)
    asyncio.run(extension.start(None))
    return extension


def test_registered_as_an_extension():
    assert default_registry().get(Kind.EXTENSION, "bearertokenauth") is factory


@pytest.mark.parametrize("body, message", [
    ({"token": "a", "filename": "f"}, "set one of token or filename, not both"),
    ({"token": "a", "scheme": "Bear er"}, "must be one word"),
    ({"token": "a", "tokens": ["b"]}, "unknown key"),
])
def test_config_errors(body, message):
    errors = component_config_errors(BearerTokenAuthConfig, body, PATH)
    assert len(errors) == 1 and errors[0].startswith(PATH) and message in errors[0]


def test_token_never_printed():
    config = BearerTokenAuthConfig(token=TOKEN)
    assert TOKEN not in repr(config) and TOKEN not in str(config) and TOKEN not in config.model_dump_json()


def test_deployment_errors(tmp_path):
    assert BearerTokenAuthConfig().deployment_errors()[0].startswith("no token configured")
    assert not make(BearerTokenAuthConfig()).authenticate({"authorization": "Bearer "})  # admits nobody
    assert BearerTokenAuthConfig(token="  ").deployment_errors() == ["token: is empty (is its environment variable set?)"]
    missing = str(tmp_path / "absent")
    assert BearerTokenAuthConfig(filename=missing).deployment_errors() == [f"filename: file {missing!r} does not exist"]
    assert BearerTokenAuthConfig(token=TOKEN).deployment_errors() == []


@pytest.mark.parametrize("header, accepted", [
    (f"Bearer {TOKEN}", True),
    (f"Bearer {TOKEN} ", True),
    (f"Bearer {TOKEN}x", False),
    (f"Bearer {TOKEN[:-1]}", False),
    (TOKEN, False),
    (f"Basic {TOKEN}", False),
    ("", False),
    (None, False),
])
def test_authenticate(header, accepted):
    extension = make(BearerTokenAuthConfig(token=TOKEN))
    headers = {} if header is None else {"authorization": header}
    assert extension.authenticate(headers) is accepted


def test_custom_and_empty_scheme():
    assert make(BearerTokenAuthConfig(token=TOKEN, scheme="Token")).authenticate({"authorization": f"Token {TOKEN}"})
    bare = make(BearerTokenAuthConfig(token=TOKEN, scheme=""))
    assert bare.authenticate({"authorization": TOKEN})
    assert not bare.authenticate({"authorization": f"Bearer {TOKEN}"})


def test_token_from_file_read_at_start(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    config = BearerTokenAuthConfig(filename=str(path))
    settings = Settings(ComponentID("bearertokenauth"), Kind.EXTENSION, logging.getLogger("t"), Telemetry())
    extension = factory.create(settings, config)
    assert not extension.authenticate({"authorization": f"Bearer {TOKEN}"})  # fails closed before start
    asyncio.run(extension.start(None))
    assert extension.authenticate({"authorization": f"Bearer {TOKEN}"})
    assert not extension.authenticate({"authorization": "Bearer "})


def test_unreadable_file_fails_the_start(tmp_path):
    config = BearerTokenAuthConfig(filename=str(tmp_path / "gone"))
    with pytest.raises(OSError, match="bearertokenauth: cannot read filename"):
        make(config)
