"""Factory of the `egress_guard` processor."""

from scrubber.component import Factory, Kind, Stability
from scrubber.dataflow import ProcessorFlow
from scrubber.processors.egress_guard.config import EgressGuardConfig
from scrubber.processors.egress_guard.processor import create_processor

#: the flow hook: whatever the mode, every payload passing it is checked once more
GUARDS = ProcessorFlow(guards=True)

factory = Factory(type="egress_guard", kind=Kind.PROCESSOR, config_class=EgressGuardConfig, create=create_processor,
                  stability=Stability.ALPHA, flow=lambda config: GUARDS)
