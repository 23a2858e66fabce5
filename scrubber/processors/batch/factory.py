from scrubber.component import Factory, Kind, Stability
from scrubber.processors.batch.config import BatchConfig
from scrubber.processors.batch.processor import BatchProcessor

factory = Factory(type="batch", kind=Kind.PROCESSOR, config_class=BatchConfig, create=BatchProcessor, stability=Stability.BETA)
