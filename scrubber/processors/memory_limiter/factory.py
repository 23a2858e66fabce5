from scrubber.component import Factory, Kind, Stability
from scrubber.processors.memory_limiter.config import MemoryLimiterConfig
from scrubber.processors.memory_limiter.processor import MemoryLimiter

factory = Factory(type="memory_limiter", kind=Kind.PROCESSOR, config_class=MemoryLimiterConfig,
                  create=MemoryLimiter, stability=Stability.BETA)
