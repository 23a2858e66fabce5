"""Factory of the `debug` exporter."""

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.exporters.debug.config import DebugExporterConfig
from scrubber.exporters.debug.exporter import DebugExporter


def create_exporter(settings: Settings, config: DebugExporterConfig) -> DebugExporter:
    return DebugExporter(settings, config)


factory = Factory(
    type="debug",
    kind=Kind.EXPORTER,
    config_class=DebugExporterConfig,
    create=create_exporter,
    stability=Stability.DEVELOPMENT,
)
