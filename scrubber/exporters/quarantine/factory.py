"""Factory of the `quarantine` exporter."""

from scrubber.component import Factory, Kind, Stability
from scrubber.dataflow import LOCAL, ExporterFlow
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.exporters.quarantine.exporter import QuarantineExporter

#: the flow hook: a store on this deployment by nature (it never exports), and the one a
#: router's quarantine pipelines must end in
QUARANTINE = ExporterFlow(place=LOCAL, quarantine=True)

factory = Factory(type="quarantine", kind=Kind.EXPORTER, config_class=QuarantineExporterConfig,
                  create=QuarantineExporter, stability=Stability.ALPHA, flow=lambda config: QUARANTINE)
