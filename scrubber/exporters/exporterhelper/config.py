"""Config models shared by the network exporters, with the Collector's key names
(`sending_queue`, `retry_on_failure`, `timeout`, `tls`, `headers`, `compression`)."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, NonNegativeInt, PositiveInt


class QueueBatchConfig(ComponentConfig):
    """`sending_queue.batch`: merge queued requests before sending (the Collector's
    exporter batching). Sizes are in items (spans, data points, log records)."""

    #: send a batch this long after its first request at the latest
    flush_timeout: Duration = 0.2
    #: send as soon as this many items have gathered
    min_size: NonNegativeInt = 8192
    #: never merge beyond this many items (0: no bound); a single larger request goes whole
    max_size: NonNegativeInt = 0
    #: the unit of min_size / max_size; only items is implemented
    sizer: Literal["items"] = "items"

    @model_validator(mode="after")
    def _max_not_below_min(self) -> "QueueBatchConfig":
        if self.max_size and self.max_size < self.min_size:
            raise ValueError("max_size must be 0 or at least min_size")
        return self


_STORAGE_EXTENSION = re.compile(r"^file_storage(?:/[^/]+)?$")


class QueueConfig(ComponentConfig):
    """`sending_queue`: a bounded queue of export requests drained by `num_consumers` tasks."""

    enabled: bool = True
    num_consumers: PositiveInt = 10
    #: capacity, in `sizer` units (requests, as the Collector's default, or items)
    queue_size: PositiveInt = 1000
    sizer: Literal["requests", "items"] = "requests"
    #: a `file_storage` extension id (as in the Collector) keeps queued requests on disk
    #: until sent; a directory path is still accepted for configs written before that
    storage: str | None = None
    #: the Collector's `blocking: true` (wait for room instead of refusing) is refused
    blocking: bool = False
    #: merge queued requests before sending; absent means each request is sent alone
    batch: QueueBatchConfig | None = None

    @field_validator("sizer", mode="before")
    @classmethod
    def _no_bytes(cls, value: object) -> object:
        if value == "bytes":
            raise ValueError("'bytes' is not supported; use requests or items")
        return value

    @model_validator(mode="after")
    def _not_blocking(self) -> "QueueConfig":
        if self.blocking:
            raise ValueError("blocking: true is not supported: a full queue refuses at once (UNAVAILABLE) so that "
                             "the client retries and no caller is held; raise queue_size instead")
        return self

    def storage_extension(self) -> str | None:
        """The id of the storage extension `storage` names, or None if it names a directory."""
        if self.storage and _STORAGE_EXTENSION.match(self.storage):
            return self.storage
        return None

    def extension_references(self) -> list[tuple[str, str]]:
        ref = self.storage_extension()
        return [("sending_queue::storage", ref)] if ref else []


class RetryConfig(ComponentConfig):
    """`retry_on_failure`: exponential backoff with jitter for retryable failures."""

    enabled: bool = True
    initial_interval: Duration = 5.0
    randomization_factor: float = Field(default=0.5, ge=0.0, le=1.0)
    multiplier: float = Field(default=1.5, ge=1.0)
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
    #: lowest / highest TLS version to negotiate, as in the Collector (`"1.2"`, `"1.3"`)
    min_version: Literal["1.2", "1.3"] = "1.2"
    max_version: Literal["1.2", "1.3"] | None = None
    #: the Collector's `include_system_ca_certs_pool`: trust the system CAs besides ca_file
    include_system_ca_certs_pool: bool = False

    @field_validator("min_version", "max_version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if value in ("1.0", "1.1"):
            raise ValueError(f"TLS {value} is not supported (obsolete and insecure); use 1.2 or 1.3")
        return value

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


#: body compression; zstd is for OTLP/HTTP (the gRPC client offers gzip only)
Compression = Literal["gzip", "zstd", "none"]


class SenderConfig(ComponentConfig):
    """What every queued network exporter shares: per-attempt timeout, queue, retry."""

    timeout: Duration = 5.0
    sending_queue: QueueConfig = Field(default_factory=QueueConfig)
    retry_on_failure: RetryConfig = Field(default_factory=RetryConfig)
    headers: dict[str, str] = Field(default_factory=dict)
    compression: Compression = "gzip"

    @field_validator("compression", mode="before")
    @classmethod
    def _no_compression_as_empty(cls, value: object) -> object:
        return "none" if value in ("", None) else value

    @model_validator(mode="after")
    def _timeout_positive(self) -> "SenderConfig":
        if self.timeout <= 0:
            raise ValueError("timeout must be greater than 0")
        return self

    def extension_references(self) -> list[tuple[str, str]]:
        """Extensions this config names, as (key path, id): checked by the loader."""
        return self.sending_queue.extension_references()
