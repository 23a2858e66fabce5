"""The async detection interface the pii processor awaits.

`InProcessDetection` runs `Detector.detect` in a worker thread so the event loop
stays free; the multiprocess pool (issue 5) implements the same three methods.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from scrubber.detection.config import DetectionConfig
from scrubber.detection.detector import Detector
from scrubber.detection.finding import Finding
from scrubber.errors import ScrubberError


class DetectionServiceClosed(ScrubberError):
    """`detect` was called after `close`: the caller fails closed (redacts), as for any detector error."""


class InProcessDetection:
    def __init__(self, config: DetectionConfig | None = None, *, detector: Detector | None = None):
        self.detector = detector or Detector(config or DetectionConfig())
        self._closed = False

    @property
    def fingerprint(self) -> str:
        return self.detector.fingerprint

    async def start(self, warm_up: bool = True) -> None:
        """Optionally load the NER model now, off the event loop, so the first request isn't slow."""
        if warm_up and self.detector.config.ner.enabled:
            await asyncio.to_thread(self.detector.detect, ["warm up"], [True])

    async def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list[Finding]]:
        if self._closed:
            raise DetectionServiceClosed("detection service is closed")
        if not texts:
            return []
        return await asyncio.to_thread(self.detector.detect, list(texts), list(ner))

    async def close(self) -> None:
        """Idempotent; later calls to `detect` fail (and the caller fails closed)."""
        self._closed = True
