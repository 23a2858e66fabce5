"""Job handlers the pool tests register with the workers (built in the worker by name)."""

from __future__ import annotations

import os
import time

from scrubber.detection import DetectionConfig

#: the rig's detection config as its text handler sends it (worker cache off): same detector
RIG_DETECTION = DetectionConfig.model_validate({"cache": {"max_entries": 0}}).model_dump_json()


class Echo:
    """`run(payload)`: (spec, payload), or raise / sleep / detect / grow (answering its pid) on request."""

    def __init__(self, spec, context):
        self.spec = spec
        self.context = context

    def run(self, payload):
        if isinstance(payload, tuple) and payload[0] == "grow":  # hold that many MiB, written to
            self.ballast = bytes(range(256)) * (payload[1] * 4096)
            return os.getpid()
        if payload == "raise":
            raise ValueError("a message that might quote data")
        if isinstance(payload, tuple) and payload[0] == "sleep":
            time.sleep(payload[1])
        if payload == "detect":
            from scrubber.detection.worker import worker_detector

            detector = worker_detector(self.context, RIG_DETECTION)
            return [f.entity_type for f in detector.detect(["mail jane@example.com"], [False])[0]]
        return (self.spec, payload)


class Sizes:
    """A batch handler: each item answers (item, how many items came in its message)."""

    def __init__(self, spec, context):
        pass

    def run_batch(self, payloads):
        return [(payload, len(payloads)) for payload in payloads]


class Broken:
    """A handler whose factory raises in the worker (a model that cannot load)."""

    def __init__(self, spec, context):
        raise OSError("a message that might quote a path")
