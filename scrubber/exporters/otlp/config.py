"""Config of the `otlp` exporter (OTLP/gRPC), with the Collector's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, Endpoint
from scrubber.exporters.exporterhelper.config import SenderConfig, TLSClientConfig


class KeepaliveClientConfig(ComponentConfig):
    """`keepalive`: HTTP/2 pings on an idle connection, as the Collector's gRPC client."""

    #: ping after this long without activity
    time: Duration = 30.0
    #: close the connection when a ping is not answered within this
    timeout: Duration = 10.0
    #: ping also when no call is in progress
    permit_without_stream: bool = False


class OTLPExporterConfig(SenderConfig):
    #: the backend's `host:port`
    endpoint: Endpoint = "localhost:4317"
    tls: TLSClientConfig = Field(default_factory=TLSClientConfig)
    #: the client's `max_send_msg_size`, in MiB
    max_send_msg_size_mib: int = Field(64, gt=0)
    keepalive: KeepaliveClientConfig | None = None
    #: gRPC load-balancing policy across the endpoint's addresses (the Collector's default is round_robin)
    balancer_name: Literal["round_robin", "pick_first"] = "round_robin"
    #: the `:authority` header (virtual host) to send instead of the endpoint's host
    authority: str | None = None
    #: wait for the connection to be ready instead of failing a call at once while reconnecting
    wait_for_ready: bool = False

    @model_validator(mode="after")
    def _grpc_tls(self) -> "OTLPExporterConfig":
        if self.tls.insecure_skip_verify:
            raise ValueError("tls.insecure_skip_verify is not supported by the gRPC client; set tls.ca_file instead")
        if self.tls.min_version == "1.3" or self.tls.max_version == "1.2":
            raise ValueError("tls::min_version / max_version: grpc's Python client always negotiates TLS 1.2 or 1.3 "
                             "and cannot pin one; leave them unset (1.2 minimum) or use the otlphttp exporter")
        if self.compression == "zstd":
            raise ValueError("compression: zstd is not available in grpc's Python client; use gzip or none "
                             "(or the otlphttp exporter, which supports zstd)")
        return self
