"""Factory of the `otlphttp` exporter (OTLP/HTTP)."""

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.exporters.exporterhelper import QueuedExporter
from scrubber.exporters.otlphttp.config import OTLPHTTPExporterConfig
from scrubber.exporters.otlphttp.exporter import HttpClient


def create_exporter(settings: Settings, config: OTLPHTTPExporterConfig) -> QueuedExporter:
    return QueuedExporter(settings, config, HttpClient(config))


factory = Factory(
    type="otlphttp",
    kind=Kind.EXPORTER,
    config_class=OTLPHTTPExporterConfig,
    create=create_exporter,
    stability=Stability.BETA,
)
