"""A size-rotating append-only file, named like the Collector's (lumberjack) rotation.

The active file keeps its name; when a write would push it past the limit it is
renamed to `<stem>-<timestamp><ext>` (timestamp `YYYY-MM-DDTHH-MM-SS.mmm`, UTC
unless `localtime`) and a new file is started. Old backups beyond
`max_backups` or older than `max_days` are removed. Blocking I/O: callers run
it on a worker thread; a lock makes it safe from several.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterable

from scrubber.exporters.file.config import RotationConfig
from scrubber.files import PRIVATE, FileAccess

_STAMP = "%Y-%m-%dT%H-%M-%S"


def open_data_file(path: str, append: bool, access: FileAccess):
    """Open for writing with the access's mode (0600, or 0640 for its group) whatever the
    umask; an existing file is set to it too."""
    fd = access.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC))
    try:
        return os.fdopen(fd, "ab" if append else "wb")
    except BaseException:
        os.close(fd)
        raise


class RotatingWriter:
    def __init__(self, path: str, rotation: RotationConfig | None, append: bool, access: FileAccess = PRIVATE):
        self.path = path
        self.rotation = rotation
        self.access = access
        self._lock = threading.Lock()
        access.make_directory(os.path.dirname(os.path.abspath(path)))
        self._file = open_data_file(path, append, access)
        self._size = self._file.tell()
        self._max_bytes = int(rotation.max_megabytes * 1024 * 1024) if rotation else 0

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file is None:
                raise ValueError("the file exporter is closed")
            if self._max_bytes and self._size and self._size + len(data) > self._max_bytes:
                self._rotate()
            self._file.write(data)
            self._size += len(data)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def backups(self) -> list[str]:
        """Rotated files of this path, oldest first (timestamps sort as text)."""
        directory, stem, ext = self._parts()
        prefix = stem + "-"
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(ext) and n != os.path.basename(self.path)]
        return [os.path.join(directory, n) for n in sorted(names)]

    def _rotate(self) -> None:
        self._file.close()
        os.replace(self.path, self._backup_name())
        self._file = open_data_file(self.path, False, self.access)
        self._size = 0
        self._prune()

    @property
    def _rotation(self) -> RotationConfig:
        """The rotation settings, read only on the rotating path (so only when they are set)."""
        assert self.rotation is not None
        return self.rotation

    def _parts(self) -> tuple[str, str, str]:
        directory = os.path.dirname(os.path.abspath(self.path))
        stem, ext = os.path.splitext(os.path.basename(self.path))
        return directory, stem, ext

    def _backup_name(self) -> str:
        directory, stem, ext = self._parts()
        now = datetime.now() if self._rotation.localtime else datetime.now(timezone.utc)
        stamp = now.strftime(_STAMP) + f".{now.microsecond // 1000:03d}"
        candidate = os.path.join(directory, f"{stem}-{stamp}{ext}")
        serial = 0
        while os.path.exists(candidate):  # two rotations in one millisecond
            serial += 1
            candidate = os.path.join(directory, f"{stem}-{stamp}{serial:03d}{ext}")
        return candidate

    def _prune(self) -> None:
        backups = self.backups()
        doomed = []
        if self._rotation.max_backups and len(backups) > self._rotation.max_backups:
            doomed = backups[: len(backups) - self._rotation.max_backups]
        if self._rotation.max_days:
            cutoff = time.time() - self._rotation.max_days * 86400
            doomed += [b for b in backups if b not in doomed and os.path.getmtime(b) < cutoff]
        for path in doomed:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass


async def flush_every(interval: float, writers: Callable[[], Iterable[RotatingWriter]], logger: logging.Logger,
                      owner: str) -> None:
    """Flush each writer every `interval` seconds, off the event loop, until cancelled; a failed
    flush is logged (its OS reason only) and retried next time. Shared by the file and
    quarantine exporters."""
    while True:
        await asyncio.sleep(interval)
        for writer in list(writers()):
            try:
                await asyncio.to_thread(writer.flush)
            except OSError as exc:
                logger.error("%s: flush failed: %s", owner, exc.strerror)


async def stop_writers(flusher: asyncio.Task | None, writers: Iterable[RotatingWriter], timeout: float) -> None:
    """Stop the flush task, then close (flush) every writer within `timeout` seconds each."""
    if flusher is not None:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
    for writer in list(writers):
        await asyncio.wait_for(asyncio.to_thread(writer.close), timeout=max(timeout, 0.1))
