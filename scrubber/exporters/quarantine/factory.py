"""Factory of the `quarantine` exporter."""

from scrubber.component import Factory, Kind, Stability
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.exporters.quarantine.exporter import QuarantineExporter

factory = Factory(type="quarantine", kind=Kind.EXPORTER, config_class=QuarantineExporterConfig,
                  create=QuarantineExporter, stability=Stability.ALPHA)
