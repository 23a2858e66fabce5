"""Factory of the `pii` processor."""

from scrubber.component import Factory, Kind, Stability
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.flow import pii_flow
from scrubber.processors.pii.processor import create_processor

factory = Factory(type="pii", kind=Kind.PROCESSOR, config_class=PIIProcessorConfig, create=create_processor,
                  stability=Stability.ALPHA, flow=pii_flow)
