"""Config of the `file` exporter, with the Collector's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, NonEmptyPath
from scrubber.files import FileGroup, group_errors


class RotationConfig(ComponentConfig):
    """`rotation`: start a new file when the current one would exceed `max_megabytes`."""

    #: size limit of one file in MiB (a fraction is allowed: tests use small files)
    max_megabytes: float = Field(100, gt=0)
    #: days to keep rotated files (0: no age limit)
    max_days: int = Field(0, ge=0)
    #: rotated files to keep (0: keep all)
    max_backups: int = Field(100, ge=0)
    #: name rotated files by local time instead of UTC
    localtime: bool = False


class FileExporterConfig(ComponentConfig):
    #: the file to write; parent directories are created
    path: NonEmptyPath = "data/telemetry.jsonl"
    #: `json`: one OTLP/JSON export request per line; `proto`: each request as
    #: protobuf prefixed by its length (4 bytes, big-endian)
    format: Literal["json", "proto"] = "json"
    rotation: RotationConfig | None = None
    #: how often buffered writes reach the file
    flush_interval: Duration = 1.0
    #: keep the file's existing content at start (the Collector truncates by default)
    append: bool = False
    #: a group name or gid: files 0640 and given to it (new directories 0750); absent: 0600
    file_group: FileGroup = None

    def deployment_errors(self) -> list[str]:
        return group_errors(self.file_group)
