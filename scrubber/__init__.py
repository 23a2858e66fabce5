"""scrubber: an OTLP pipeline in the shape of the OpenTelemetry Collector that keeps
personal data inside its jurisdiction."""

__version__ = "0.1.0"
