"""Config of the `otlp` exporter (OTLP/gRPC), with the Collector's key names."""

from __future__ import annotations

from pydantic import Field, model_validator

from scrubber.config.types import Endpoint
from scrubber.exporters.exporterhelper.config import SenderConfig, TLSClientConfig


class OTLPExporterConfig(SenderConfig):
    #: the backend's `host:port`
    endpoint: Endpoint = "localhost:4317"
    tls: TLSClientConfig = Field(default_factory=TLSClientConfig)
    #: the client's `max_send_msg_size`, in MiB
    max_send_msg_size_mib: int = Field(64, gt=0)

    @model_validator(mode="after")
    def _grpc_tls(self) -> "OTLPExporterConfig":
        if self.tls.insecure_skip_verify:
            raise ValueError("tls.insecure_skip_verify is not supported by the gRPC client; set tls.ca_file instead")
        return self
