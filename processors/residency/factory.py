from scrubber.component import Factory, Kind, Stability

from processors.residency.config import ResidencyConfig
from processors.residency.processor import create

factory = Factory(type="residency", kind=Kind.PROCESSOR, config_class=ResidencyConfig, create=create,
                  stability=Stability.ALPHA)
