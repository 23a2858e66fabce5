"""The `file` exporter: every export request as one OTLP/JSON line, as the
Collector's file exporter writes (or length-prefixed protobuf with `format: proto`).

Encoding and writing run on a worker thread, so a large request or a slow
disk never holds the event loop; the writer's lock keeps lines whole when
several pipelines write at once. Writes are buffered and flushed every
`flush_interval` and at shutdown.
"""

from __future__ import annotations

import asyncio
import struct

from scrubber.component import Host, Settings
from scrubber.errors import RetryableError
from scrubber.exporters.exporterhelper.metrics import ExporterMetrics
from scrubber.exporters.file.config import FileExporterConfig
from scrubber.exporters.file.writer import RotatingWriter, flush_every, stop_writers
from scrubber.files import FileAccess
from scrubber.pdata import Request, Signal, item_count, otlpjson

IO_ERROR = "io_error"


def encode(request: Request, fmt: str) -> bytes:
    if fmt == "proto":
        body = request.SerializeToString()
        return struct.pack(">I", len(body)) + body
    return otlpjson.dumps(request).encode("utf-8") + b"\n"


class FileExporter:
    mutates_data = False

    def __init__(self, settings: Settings, config: FileExporterConfig):
        self.settings = settings
        self.config = config
        self.metrics = ExporterMetrics(settings.telemetry, str(settings.id))
        self.writer: RotatingWriter | None = None
        self._flusher: asyncio.Task | None = None
        self._closed = False
        self._starting = asyncio.Lock()

    async def start(self, host: Host | None = None) -> None:
        async with self._starting:
            if self.writer is not None or self._closed:
                return
            access = FileAccess.at_start(self.config.file_group, f"{self.settings.kind.value}::{self.settings.id}::file_group")
            self.writer = await asyncio.to_thread(RotatingWriter, self.config.path, self.config.rotation,
                                                  self.config.append, access)
        flushing = flush_every(self.config.flush_interval, lambda: [self.writer] if self.writer is not None else [], self.settings.logger,
                               f"exporter {self.settings.id}")
        self._flusher = asyncio.create_task(flushing, name=f"{self.settings.id}-flush")

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._closed:
            raise RetryableError(f"exporter {self.settings.id} is shut down")
        if self.writer is None:
            await self.start()
        count = item_count(request)
        try:
            await asyncio.to_thread(self._write, request)
        except (OSError, ValueError) as exc:  # ValueError: closed by a concurrent shutdown
            self.metrics.failed(signal, count, IO_ERROR)
            self.settings.logger.error("exporter %s: cannot write %s: %s", self.settings.id, self.config.path, type(exc).__name__)
            raise RetryableError(f"exporter {self.settings.id} cannot write its file") from exc
        self.metrics.sent(signal, count)

    def _write(self, request: Request) -> None:
        assert self.writer is not None  # consume() started it
        self.writer.write(encode(request, self.config.format))

    async def shutdown(self, timeout: float = 5.0) -> None:
        if self._closed:
            return
        self._closed = True
        await stop_writers(self._flusher, [self.writer] if self.writer is not None else [], timeout)
