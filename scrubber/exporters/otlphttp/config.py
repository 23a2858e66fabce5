"""Config of the `otlphttp` exporter (OTLP/HTTP), with the Collector's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scrubber.config.types import Duration, HttpURL
from scrubber.exporters.exporterhelper.config import SenderConfig, TLSClientConfig
from scrubber.pdata import Signal


class OTLPHTTPExporterConfig(SenderConfig):
    #: base URL; `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended
    endpoint: HttpURL = "http://localhost:4318"
    #: full URLs used as they are, overriding `endpoint` for one signal
    traces_endpoint: HttpURL | None = None
    metrics_endpoint: HttpURL | None = None
    logs_endpoint: HttpURL | None = None
    tls: TLSClientConfig = Field(default_factory=TLSClientConfig)
    #: body encoding: protobuf (the default, as in the Collector) or OTLP/JSON
    encoding: Literal["proto", "json"] = "proto"
    #: connection reuse, as the Collector's HTTP client settings
    idle_conn_timeout: Duration = 90.0
    max_idle_conns: int = Field(100, gt=0)
    disable_keep_alives: bool = False

    def url(self, signal: Signal) -> str:
        override = getattr(self, f"{signal.value}_endpoint")
        return override or f"{self.endpoint}/v1/{signal.value}"
