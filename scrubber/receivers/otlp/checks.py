"""Whole-config check (entry point `scrubber.config_checks`): every receiver
`auth.authenticator` names an extension configured under `extensions` and
listed in `service::extensions`, as the Collector requires (an authenticator
that never starts would otherwise be found only when the receiver starts)."""

from __future__ import annotations

from scrubber.component import ComponentID, Kind
from scrubber.config.model import Config
from scrubber.receivers.otlp.config import OTLPReceiverConfig


def check(config: Config) -> list[str]:
    errors = []
    configured = config.components.get(Kind.EXTENSION, {})
    enabled = set(config.extensions)
    for receiver_id, entry in config.components.get(Kind.RECEIVER, {}).items():
        if not isinstance(entry.config, OTLPReceiverConfig):
            continue
        for name, server in entry.config.servers().items():
            if server.auth is None:
                continue
            wanted = server.auth.authenticator
            path = f"receivers::{receiver_id}::protocols::{name}::auth::authenticator"
            if ComponentID.parse(wanted) not in configured:
                errors.append(f"{path}: references extension {wanted!r}, which is not configured under extensions")
            elif ComponentID.parse(wanted) not in enabled:
                errors.append(f"{path}: extension {wanted!r} is not listed in service::extensions")
    return errors
