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

    @model_validator(mode="after")
    def _max_not_below_size(self) -> "BatchConfig":
        if self.send_batch_max_size and self.send_batch_max_size < self.send_batch_size:
            raise ValueError("send_batch_max_size must be 0 or at least send_batch_size")
        return self
