"""The `file_storage` extension: a directory that components keep state in, referenced by id.

As in the Collector, an exporter's `sending_queue: {storage: file_storage}` names this
extension instead of a path, so two queues on one volume are configured once and two
differently configured storages are two extensions. Each client gets its own
subdirectory, `<kind>_<type>_<name>` (e.g. `exporter_otlp_eu`), holding one file per
queued request (see `scrubber.exporters.exporterhelper.queue.FileStorage`).

Collector keys: `directory`, `create_directory`, `directory_permissions`, `timeout`,
`fsync`, `compaction`. There is nothing to compact (a sent request's file is deleted), so
`compaction` is accepted for compatibility and has no effect. Ours: `file_group`, for a
backup agent or an inspector running as another user (see `scrubber.files`): queued
requests are 0600 without it, 0640 and given to that group with it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import Field, field_validator

from scrubber.component import ComponentConfig, ComponentID, Factory, Host, Kind, Settings, Stability
from scrubber.config.types import Duration, NonEmptyPath
from scrubber.files import PRIVATE, FileAccess, FileGroup, group_errors


class CompactionConfig(ComponentConfig):
    """The Collector's compaction keys; no effect here (see the module docstring)."""

    on_start: bool = False
    on_rebound: bool = False
    directory: str | None = None
    max_transaction_size: int = Field(default=65536, ge=0)
    rebound_needed_threshold_mib: int = Field(default=100, ge=0)
    rebound_trigger_threshold_mib: int = Field(default=10, ge=0)
    check_interval: Duration = 5.0
    cleanup_on_start: bool = False


class FileStorageConfig(ComponentConfig):
    #: where state is kept; must exist unless create_directory is true (the Collector's rule)
    directory: NonEmptyPath = "/var/lib/scrubber/file_storage"
    create_directory: bool = False
    #: octal permissions of directories this extension creates
    directory_permissions: str = "0750"
    #: how long an operation may wait for the storage (kept for compatibility)
    timeout: Duration = 1.0
    #: fsync each written request: survives a power loss, at the cost of a disk flush per request
    fsync: bool = False
    compaction: CompactionConfig = Field(default_factory=CompactionConfig)
    #: a group name or gid: queue files 0640 and given to it, new directories too; absent: 0600
    file_group: FileGroup = None

    @field_validator("directory_permissions")
    @classmethod
    def _octal(cls, value: str) -> str:
        if not re.fullmatch(r"0?[0-7]{3}", value):
            raise ValueError(f"{value!r} is not an octal permission such as '0750'")
        return value

    def deployment_errors(self) -> list[str]:
        errors = group_errors(self.file_group)
        if not self.create_directory and not os.path.isdir(self.directory):
            errors.append(f"directory: {self.directory!r} does not exist (create it, or set create_directory: true)")
        return errors


class FileStorage:
    def __init__(self, settings: Settings, config: FileStorageConfig):
        self.settings = settings
        self.config = config
        self.access = PRIVATE  # set from file_group at start

    async def start(self, host: Host) -> None:
        self.access = FileAccess.at_start(self.config.file_group, f"{self.settings.kind.value}::{self.settings.id}::file_group")
        if self.config.create_directory:
            self.access.make_directory(self.config.directory, self._directory_mode)

    @property
    def _directory_mode(self) -> int:
        return int(self.config.directory_permissions, 8)

    async def shutdown(self, timeout: float) -> None:
        return None

    def directory_for(self, kind: Kind, component_id: ComponentID) -> str:
        """The client's own subdirectory, named as the Collector names its storage files."""
        name = "_".join(part for part in (kind.value[:-1], component_id.type, component_id.name) if part)
        path = os.path.join(self.config.directory, re.sub(r"[^A-Za-z0-9_.-]", "_", name))
        self.access.make_directory(path, self._directory_mode)
        return path

    def storage(self, kind: Kind, component_id: ComponentID) -> Any:
        """A persistent-queue storage for one exporter."""
        from scrubber.exporters.exporterhelper.queue import FileStorage as QueueStorage

        return QueueStorage(self.directory_for(kind, component_id), fsync=self.config.fsync, access=self.access)


factory = Factory(
    type="file_storage",
    kind=Kind.EXTENSION,
    config_class=FileStorageConfig,
    create=FileStorage,
    signals=frozenset(),
    stability=Stability.BETA,
)
