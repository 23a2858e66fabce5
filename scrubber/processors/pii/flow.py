"""The pii processor's flow hook: raw data leaves it pseudonymized, with the key rings
it holds (the residency proof checks each jurisdiction's policy names one of them),
keyed per data subject when `subjects` is on (erasure then unlinks the tokens)."""

from __future__ import annotations

from scrubber.dataflow import ProcessorFlow
from scrubber.processors.pii.config import PIIProcessorConfig


def pii_flow(config: PIIProcessorConfig) -> ProcessorFlow:
    return ProcessorFlow(pseudonymizes=frozenset(config.keys), subject_keyed=config.subjects is not None)
