"""Config of the `debug` exporter, with the Collector's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from scrubber.component import ComponentConfig


class DebugExporterConfig(ComponentConfig):
    #: `basic`: counts per batch; `normal`: also scopes and items per resource.
    #: The Collector's `detailed` (the whole payload) is refused on purpose.
    verbosity: Literal["basic", "normal"] = "basic"
    #: log the first `sampling_initial` batches of each second, then every
    #: `sampling_thereafter`-th (the Collector's defaults: 2 and 1, no sampling)
    sampling_initial: int = Field(2, gt=0)
    sampling_thereafter: int = Field(1, gt=0)

    @field_validator("verbosity", mode="before")
    @classmethod
    def _no_payloads(cls, value: object) -> object:
        if value == "detailed":
            raise ValueError("'detailed' is not supported: the debug exporter never logs payloads (use basic or normal)")
        return value
