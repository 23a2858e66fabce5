"""Factory of the `debug` exporter."""

from scrubber.component import Factory, Kind, Settings, Stability
from scrubber.dataflow import ExporterFlow
from scrubber.exporters.debug.config import DebugExporterConfig
from scrubber.exporters.debug.exporter import DebugExporter


def create_exporter(settings: Settings, config: DebugExporterConfig) -> DebugExporter:
    return DebugExporter(settings, config)


#: the flow hook: it logs counts and shapes, never a value, so no personal data leaves
#: through it (and an undeclared debug exporter on a raw pipeline is no warning)
FORWARDS_NOTHING = ExporterFlow(forwards_payloads=False)


factory = Factory(
    type="debug",
    kind=Kind.EXPORTER,
    config_class=DebugExporterConfig,
    create=create_exporter,
    stability=Stability.DEVELOPMENT,
    flow=lambda config: FORWARDS_NOTHING,
)
