"""Factory of the `otlp` receiver: the only way to make one."""

from __future__ import annotations

from typing import Mapping

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.consumer import Consumer
from scrubber.pdata import Signal
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.receivers.otlp.receiver import OTLPReceiver


def create_receiver(settings: Settings, config: OTLPReceiverConfig, consumers: Mapping[Signal, Consumer]) -> OTLPReceiver:
    """One receiver per id, shared by every pipeline that lists it; `consumers` holds
    only the signals some pipeline consumes (the others answer UNIMPLEMENTED / 404)."""
    return OTLPReceiver(settings, config, consumers)


factory = Factory(
    type="otlp",
    kind=Kind.RECEIVER,
    config_class=OTLPReceiverConfig,
    create=create_receiver,
    stability=Stability.BETA,
)
