"""Job handlers the pool tests register with the workers (imported in the worker by name)."""

from __future__ import annotations

import time


class Echo:
    """`run(payload)`: ("echo", payload), or raise / sleep on request."""

    def __init__(self, spec, detector):
        self.spec = spec
        self.detector = detector

    def run(self, payload):
        if payload == "raise":
            raise ValueError("a message that might quote data")
        if isinstance(payload, tuple) and payload[0] == "sleep":
            time.sleep(payload[1])
        if payload == "detect":
            return [f.entity_type for f in self.detector.detect(["mail jane@example.com"], [False])[0]]
        return (self.spec, payload)
