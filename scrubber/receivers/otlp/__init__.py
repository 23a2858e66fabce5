"""The `otlp` receiver: OTLP over gRPC (:4317) and HTTP (:4318), protobuf or JSON.

It speaks the protocol exactly as the OpenTelemetry Collector's otlp receiver
does, so applications can point their OTLP exporters at scrubber unchanged.
Make it through `scrubber.receivers.otlp.factory.factory`.
"""

from scrubber.receivers.otlp.config import GRPCConfig, HTTPConfig, OTLPReceiverConfig, Protocols
from scrubber.receivers.otlp.receiver import OTLPReceiver

__all__ = ["GRPCConfig", "HTTPConfig", "OTLPReceiver", "OTLPReceiverConfig", "Protocols"]
