"""Factory of the `file` exporter."""

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.exporters.file.config import FileExporterConfig
from scrubber.exporters.file.exporter import FileExporter


def create_exporter(settings: Settings, config: FileExporterConfig) -> FileExporter:
    return FileExporter(settings, config)


factory = Factory(
    type="file",
    kind=Kind.EXPORTER,
    config_class=FileExporterConfig,
    create=create_exporter,
    stability=Stability.ALPHA,
)
