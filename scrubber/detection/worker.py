"""The worker-process half of pooled detection: the `Detector` a pool worker holds, and the
handler that answers batches of texts with it.

A `WorkerPool` builds these in its workers from import strings
(`"scrubber.detection.worker:DetectTexts"`), so the pool itself imports no detection code.
Every handler of one worker that asks `worker_detector` for the same detection config gets
the same `Detector` (one spaCy model per worker), e.g. the text handler and the pii
processor's request scrubber. A worker sends back findings (offsets), never text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrubber.detection.detector import Detector
    from scrubber.extensions.worker_pool.worker import WorkerContext

#: run once per worker when its detector is built, so the model is loaded before the first job
WARM_UP = "warm up: Jane Doe lives in Berlin, jane@example.com"


def worker_detector(context: "WorkerContext", config_json: str) -> "Detector":
    """This worker's Detector for the detection config `config_json`, loaded and warmed up once."""

    def make() -> "Detector":
        from scrubber.detection import DetectionConfig, Detector  # heavy imports in the worker only

        detector = Detector(DetectionConfig.model_validate_json(config_json))
        detector.detect([WARM_UP], [True])
        return detector

    return context.shared(("detector", config_json), make)


class DetectTexts:
    """A batch handler: `run_batch([(text, ner), ...])` -> the findings of each text."""

    def __init__(self, config_json: str, context: "WorkerContext"):
        self.detector = worker_detector(context, config_json)

    def run_batch(self, payloads: list[tuple[str, bool]]) -> list:
        return self.detector.detect([text for text, _ in payloads], [ner for _, ner in payloads])
