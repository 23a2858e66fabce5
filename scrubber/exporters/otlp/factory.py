"""Factory of the `otlp` exporter (OTLP/gRPC)."""

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.exporters.exporterhelper import QueuedExporter
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlp.exporter import GrpcClient


def create_exporter(settings: Settings, config: OTLPExporterConfig) -> QueuedExporter:
    return QueuedExporter(settings, config, GrpcClient(config))


factory = Factory(
    type="otlp",
    kind=Kind.EXPORTER,
    config_class=OTLPExporterConfig,
    create=create_exporter,
    stability=Stability.BETA,
)
