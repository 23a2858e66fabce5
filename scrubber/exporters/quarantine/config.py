"""What users write under `exporters: quarantine[/name]:` (see README.md)."""

from __future__ import annotations

from pydantic import Field

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, NonEmptyPath


class QuarantineExporterConfig(ComponentConfig):
    #: directory of the store (local, in the region of this scrubber); one file per signal
    path: NonEmptyPath = "data/quarantine"
    #: total size of the store in MiB; once reached, new data is refused (and counted)
    max_megabytes: float = Field(default=100.0, gt=0)
    #: size of one file before it is rotated, in MiB (at most max_megabytes)
    file_megabytes: float = Field(default=16.0, gt=0)
    #: how often buffered writes reach the disk
    flush_interval: Duration = 1.0
