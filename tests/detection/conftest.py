"""One Detector with NER for the whole session: the spaCy model loads once per process."""

from __future__ import annotations

import pytest

from scrubber.detection import DetectionConfig, Detector


@pytest.fixture(scope="session")
def ner_detector() -> Detector:
    detector = Detector(DetectionConfig())
    detector.detect(["warm up"], [True])
    return detector


def spans_of(detector: Detector, text: str, ner: bool = True) -> list[tuple[str, str]]:
    [found] = detector.detect([text], [ner])
    return [(f.entity_type, text[f.start:f.end]) for f in found]
