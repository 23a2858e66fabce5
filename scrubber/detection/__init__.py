"""Detection of personal data and secrets in free text: patterns with checksums, and NER.

Public surface (pinned by tests/detection/test_api.py):
- `Finding`: one detected span (entity type, offsets, score, detector);
- `DetectionConfig`: the `detection:` block of the pii processor's config;
- `Detector`: the synchronous batch API, `detect(texts, ner) -> list[list[Finding]]`;
- `InProcessDetection`: the async facade the pii processor awaits;
- `FindingsCache`: the content-addressed cache of findings.
"""

from scrubber.detection.cache import FindingsCache
from scrubber.detection.config import CacheConfig, DetectionConfig, NerConfig, PatternSpec
from scrubber.detection.detector import Detector
from scrubber.detection.finding import Finding, resolve_overlaps
from scrubber.detection.service import InProcessDetection

__all__ = [
    "CacheConfig",
    "DetectionConfig",
    "Detector",
    "Finding",
    "FindingsCache",
    "InProcessDetection",
    "NerConfig",
    "PatternSpec",
    "resolve_overlaps",
]
