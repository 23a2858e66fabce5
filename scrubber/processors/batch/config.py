"""Config of the `batch` processor, with the Collector's key names."""

from __future__ import annotations

from pydantic import Field, model_validator

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration


class BatchConfig(ComponentConfig):
    #: items (spans, data points, log records) after which a batch is sent at once
    send_batch_size: int = Field(default=8192, gt=0)
    #: time after the first item of a batch at which it is sent regardless of size
    timeout: Duration = 0.2
    #: upper bound of one sent batch; 0 means no bound. Requests are not split below
    #: resource-group granularity (see README).
    send_batch_max_size: int = Field(default=0, ge=0)
    #: the Collector's batching per client-metadata value: refused when set (see below)
    metadata_keys: list[str] = Field(default_factory=list)
    metadata_cardinality_limit: int = Field(default=1000, ge=0)

    @model_validator(mode="after")
    def _max_not_below_size(self) -> "BatchConfig":
        if self.send_batch_max_size and self.send_batch_max_size < self.send_batch_size:
            raise ValueError("send_batch_max_size must be 0 or at least send_batch_size")
        if self.metadata_keys:
            raise ValueError("metadata_keys: batching per client metadata is not supported (no scrubber component "
                             "reads client metadata); leave it empty, or run one pipeline per tenant")
        return self
