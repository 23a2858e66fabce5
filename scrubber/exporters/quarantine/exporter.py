"""The `quarantine` exporter: where items of `unknown` jurisdiction wait, locally.

Nobody knows whose data they are, so they may go to no backend: they are
written as OTLP/JSON lines (the file exporter's encoding and rotating writer,
imported, not copied) under `path`, one file per signal, and nothing here ever
sends them anywhere else.

The store is bounded by `max_megabytes` in total. When it is full, NEW data is
refused, not old data deleted: what is quarantined is evidence of a
misconfigured app or region table, and the first occurrences are the ones an
operator needs; deleting files behind their back would also make any count of
what is stored wrong. Refused items are counted
(`quarantine_dropped_items{signal, reason="full"}`) and logged once per
episode; the sender is not asked to retry (retrying cannot free space), so the
other pipelines of the same request are unaffected. When an operator removes
files, the space is found again at the next refusal (the directory is re-measured).

Quarantining is said in the log too, not only counted: the first time at once, then
at most once per `LOG_INTERVAL` seconds, with the counts per signal since the last
line (never a value, never an attribute of the items).
"""

from __future__ import annotations

import asyncio
import os
import time

from scrubber.component import Host, Settings
from scrubber.errors import RetryableError
from scrubber.exporters.file.config import RotationConfig
from scrubber.exporters.file.exporter import encode
from scrubber.exporters.file.writer import RotatingWriter, flush_every, stop_writers
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.files import PRIVATE, FileAccess
from scrubber.pdata import Request, Signal, item_count

MIB = 1024 * 1024
#: seconds between two "data was quarantined" log lines
LOG_INTERVAL = 60.0
FULL = "full"
IO_ERROR = "io_error"


def directory_size(path: str) -> int:
    total = 0
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total


class QuarantineExporter:
    mutates_data = False

    def __init__(self, settings: Settings, config: QuarantineExporterConfig):
        self.settings = settings
        self.config = config
        self.log = settings.logger
        self.max_bytes = int(config.max_megabytes * MIB)
        self.writers: dict[Signal, RotatingWriter] = {}
        self.used = 0
        self._full_logged = False
        self._started = False
        self._closed = False
        self._flusher: asyncio.Task | None = None
        self.access = PRIVATE  # set from file_group at start
        self._lock = asyncio.Lock()
        self._unlogged: dict[Signal, int] = {}
        self._logged_at: float | None = None
        telemetry = settings.telemetry
        self.items = telemetry.counter("quarantine_items", "Items of unknown jurisdiction kept in quarantine.", ("signal",))
        self.dropped = telemetry.counter("quarantine_dropped_items",
                                         "Items of unknown jurisdiction the quarantine could not keep.", ("signal", "reason"))

    async def start(self, host: Host | None = None) -> None:
        if self._started or self._closed:
            return
        self.access = FileAccess.at_start(self.config.file_group, f"{self.settings.kind.value}::{self.settings.id}::file_group")
        self._started = True
        await asyncio.to_thread(self.access.make_directory, self.config.path)
        self.used = await asyncio.to_thread(directory_size, self.config.path)
        flushing = flush_every(self.config.flush_interval, self.writers.values, self.log, f"quarantine {self.settings.id}")
        self._flusher = asyncio.create_task(flushing, name=f"{self.settings.id}-flush")

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._closed:
            raise RetryableError(f"exporter {self.settings.id} is shut down")
        if not self._started:
            await self.start()
        count = item_count(request)
        data = encode(request, "json")
        async with self._lock:  # one size decision at a time
            if not await self._has_room(len(data)):
                self._refuse(signal, count)
                return
            try:
                await asyncio.to_thread(self._write, signal, data)
            except (OSError, ValueError) as exc:
                self.dropped.labels(str(signal), IO_ERROR).inc(count)
                self.log.error("quarantine %s: cannot write: %s", self.settings.id, type(exc).__name__)
                raise RetryableError(f"exporter {self.settings.id} cannot write its store") from exc
            self.used += len(data)
        self._full_logged = False
        self.items.labels(str(signal)).inc(count)
        self._say_quarantined(signal, count)

    def _say_quarantined(self, signal: Signal, count: int) -> None:
        """A rate-limited line: counts per signal and the jurisdiction (unknown), never values."""
        self._unlogged[signal] = self._unlogged.get(signal, 0) + count
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < LOG_INTERVAL:
            return
        counts = ", ".join(f"{n} {s.item_name[:-1] if n == 1 else s.item_name}" for s, n in sorted(self._unlogged.items()))
        since = "" if self._logged_at is None else f" in the last {now - self._logged_at:.0f}s"
        self.log.warning("quarantine %s: kept %s of unknown jurisdiction%s under %s; they go to no backend. "
                         "Set residency.jurisdiction or cloud.region on the app's resource, or a default jurisdiction",
                         self.settings.id, counts, since, self.config.path,
                         extra={"jurisdiction": "unknown", **{f"quarantined_{s.item_name}": n for s, n in self._unlogged.items()}})
        self._unlogged.clear()
        self._logged_at = now

    async def _has_room(self, size: int) -> bool:
        if self.used + size <= self.max_bytes:
            return True
        self.used = await asyncio.to_thread(self._measure)  # files may have been removed
        return self.used + size <= self.max_bytes

    def _measure(self) -> int:
        for writer in self.writers.values():
            writer.flush()
        return directory_size(self.config.path)

    def _refuse(self, signal: Signal, count: int) -> None:
        self.dropped.labels(str(signal), FULL).inc(count)
        if not self._full_logged:
            self._full_logged = True
            self.log.warning("quarantine %s: store %s is full (%.1f MiB); refusing new %s until space is freed",
                             self.settings.id, self.config.path, self.config.max_megabytes, signal.item_name)

    def _write(self, signal: Signal, data: bytes) -> None:
        self._writer(signal).write(data)

    def _writer(self, signal: Signal) -> RotatingWriter:
        writer = self.writers.get(signal)
        if writer is None:
            file_mb = min(self.config.file_megabytes, self.config.max_megabytes)
            rotation = RotationConfig(max_megabytes=file_mb, max_backups=0, max_days=0)
            path = os.path.join(self.config.path, f"{signal}.jsonl")
            writer = self.writers[signal] = RotatingWriter(path, rotation, append=True, access=self.access)
        return writer

    async def shutdown(self, timeout: float = 5.0) -> None:
        if self._closed:
            return
        self._closed = True
        await stop_writers(self._flusher, self.writers.values(), timeout)
