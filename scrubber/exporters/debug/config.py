"""Config of the `debug` exporter, with the Collector's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scrubber.component import ComponentConfig


class DebugExporterConfig(ComponentConfig):
    #: `basic`: counts per batch; `normal`: also scopes and items per resource;
    #: `detailed`: also the attribute keys seen (the Collector prints whole payloads
    #: there; scrubber never logs a value, so keys are as far as it goes)
    verbosity: Literal["basic", "normal", "detailed"] = "basic"
    #: log the first `sampling_initial` batches of each second, then every
    #: `sampling_thereafter`-th (the Collector's defaults: 2 and 1, no sampling)
    sampling_initial: int = Field(2, gt=0)
    sampling_thereafter: int = Field(1, gt=0)
