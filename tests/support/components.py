"""In-test components for graph tests: a receiver that only keeps its consumers (the test feeds
them) and an exporter that keeps what it gets, so a test sees exactly what each pipeline
delivers without a network in between."""

from __future__ import annotations

from scrubber.component import ComponentConfig, Factory, Kind, LifecycleMixin
from scrubber.consumer import SinkConsumer
from scrubber.registry import Registry


class Empty(ComponentConfig):
    pass


class CaptureReceiver(LifecycleMixin):
    def __init__(self, settings, config, consumers):
        self.consumers = consumers


class SinkExporter(SinkConsumer, LifecycleMixin):
    def __init__(self, settings, config):
        super().__init__()


def add_capture_and_sink(registry: Registry) -> Registry:
    """Register `capture` (receiver) and `sink` (exporter) in `registry` and return it."""
    registry.add(Factory("capture", Kind.RECEIVER, Empty, CaptureReceiver))
    registry.add(Factory("sink", Kind.EXPORTER, Empty, SinkExporter))
    return registry
