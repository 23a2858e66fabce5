"""Config of the `memory_limiter` processor, with the Collector's key names."""

from __future__ import annotations

from pydantic import Field, model_validator

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration


class MemoryLimiterConfig(ComponentConfig):
    #: how often memory use is measured
    check_interval: Duration = 1.0
    #: hard limit of resident memory (MiB) of scrubber and its worker processes
    limit_mib: int = Field(default=0, ge=0)
    #: headroom below the hard limit at which data is already refused; default 20% of the limit
    spike_limit_mib: int = Field(default=0, ge=0)
    #: alternatively, limits as a percentage of the machine's total memory
    limit_percentage: int = Field(default=0, ge=0, le=100)
    spike_limit_percentage: int = Field(default=0, ge=0, le=100)

    @model_validator(mode="after")
    def _one_limit(self) -> "MemoryLimiterConfig":
        if self.check_interval <= 0:
            raise ValueError("check_interval must be greater than zero")
        if not self.limit_mib and not self.limit_percentage:
            raise ValueError("set limit_mib or limit_percentage")
        if self.limit_mib and self.spike_limit_mib >= self.limit_mib:
            raise ValueError("spike_limit_mib must be smaller than limit_mib")
        if self.limit_percentage and self.spike_limit_percentage >= self.limit_percentage:
            raise ValueError("spike_limit_percentage must be smaller than limit_percentage")
        return self
