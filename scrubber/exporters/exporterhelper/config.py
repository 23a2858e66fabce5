"""Config models shared by the network exporters, with the Collector's key names
(`sending_queue`, `retry_on_failure`, `timeout`, `tls`, `headers`, `compression`)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, PositiveInt


class QueueConfig(ComponentConfig):
    """`sending_queue`: a bounded queue of export requests drained by `num_consumers` tasks."""

    enabled: bool = True
    num_consumers: PositiveInt = 10
    #: capacity in requests (batches), as the Collector's default sizer
    queue_size: PositiveInt = 1000
    #: a directory where queued requests are kept until sent (persistent queue)
    storage: str | None = None


class RetryConfig(ComponentConfig):
    """`retry_on_failure`: exponential backoff with jitter for retryable failures."""

    enabled: bool = True
    initial_interval: Duration = 5.0
    randomization_factor: float = Field(0.5, ge=0.0, le=1.0)
    multiplier: float = Field(1.5, ge=1.0)
    max_interval: Duration = 30.0
    #: give up after this long (0 means retry forever, as in the Collector)
    max_elapsed_time: Duration = 300.0

    @model_validator(mode="after")
    def _intervals_ordered(self) -> "RetryConfig":
        if self.enabled and self.initial_interval <= 0:
            raise ValueError("initial_interval must be greater than 0")
        if self.max_interval < self.initial_interval:
            raise ValueError("max_interval must not be less than initial_interval")
        return self


class TLSClientConfig(ComponentConfig):
    """`tls`: how to reach the backend. `insecure: true` means plaintext (gRPC)."""

    insecure: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False
    server_name_override: str | None = None

    @model_validator(mode="after")
    def _files(self) -> "TLSClientConfig":
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file must be given together")
        for name in ("ca_file", "cert_file", "key_file"):
            path = getattr(self, name)
            if path and not os.path.isfile(path):
                raise ValueError(f"{name}: no such file {path!r}")
        return self

    def read(self, name: str) -> bytes | None:
        path = getattr(self, name)
        if not path:
            return None
        with open(path, "rb") as handle:
            return handle.read()


Compression = Literal["gzip", "none"]


class SenderConfig(ComponentConfig):
    """What every queued network exporter shares: per-attempt timeout, queue, retry."""

    timeout: Duration = 5.0
    sending_queue: QueueConfig = Field(default_factory=QueueConfig)
    retry_on_failure: RetryConfig = Field(default_factory=RetryConfig)
    headers: dict[str, str] = Field(default_factory=dict)
    compression: Compression = "gzip"

    @model_validator(mode="after")
    def _timeout_positive(self) -> "SenderConfig":
        if self.timeout <= 0:
            raise ValueError("timeout must be greater than 0")
        return self
