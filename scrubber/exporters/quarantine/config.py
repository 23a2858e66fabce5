"""What users write under `exporters: quarantine[/name]:` (see README.md)."""

from __future__ import annotations

from pydantic import Field

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, NonEmptyPath
from scrubber.files import FileGroup, group_errors


class QuarantineExporterConfig(ComponentConfig):
    #: directory of the store (local, in the region of this scrubber); one file per signal
    path: NonEmptyPath = "data/quarantine"
    #: total size of the store in MiB; once reached, new data is refused (and counted)
    max_megabytes: float = Field(default=100.0, gt=0)
    #: size of one file before it is rotated, in MiB (at most max_megabytes)
    file_megabytes: float = Field(default=16.0, gt=0)
    #: how often buffered writes reach the disk
    flush_interval: Duration = 1.0
    #: a group name or gid: files 0640 and given to it (new directories 0750); absent: 0600
    file_group: FileGroup = None

    def deployment_errors(self) -> list[str]:
        return group_errors(self.file_group)
