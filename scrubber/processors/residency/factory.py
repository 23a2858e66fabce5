from scrubber.component import Factory, Kind, Stability
from scrubber.processors.residency.config import ResidencyConfig
from scrubber.processors.residency.processor import create

factory = Factory(type="residency", kind=Kind.PROCESSOR, config_class=ResidencyConfig, create=create,
                  stability=Stability.ALPHA)
