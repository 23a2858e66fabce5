"""The `otlp` receiver: OTLP over gRPC (:4317) and HTTP (:4318), protobuf or JSON.

It speaks the protocol exactly as the OpenTelemetry Collector's otlp receiver
does, so applications can point their OTLP exporters at scrubber unchanged.
Make it through `scrubber.receivers.otlp.factory.factory`.

The names below are imported on first use, not with the package: the gRPC edge process
(`python -m scrubber.receivers.otlp.edge_process`) imports this package too, and must not pay
for the receiver and the HTTP server (aiohttp: ~14 MiB per process, counted by memory_limiter).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrubber.receivers.otlp.config import GRPCConfig, HTTPConfig, OTLPReceiverConfig, Protocols
    from scrubber.receivers.otlp.receiver import OTLPReceiver

__all__ = ["GRPCConfig", "HTTPConfig", "OTLPReceiver", "OTLPReceiverConfig", "Protocols"]

_MODULES = {"GRPCConfig": "config", "HTTPConfig": "config", "OTLPReceiverConfig": "config", "Protocols": "config",
            "OTLPReceiver": "receiver"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
