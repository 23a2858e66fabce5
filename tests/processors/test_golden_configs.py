"""Golden testdata/config.yaml of the batch and memory_limiter processors."""

from __future__ import annotations

from pathlib import Path

import yaml

from scrubber.processors.batch.config import BatchConfig
from scrubber.processors.memory_limiter.config import MemoryLimiterConfig

ROOT = Path(__file__).resolve().parents[2] / "scrubber" / "processors"


def bodies(component: str) -> dict:
    return yaml.safe_load((ROOT / component / "testdata" / "config.yaml").read_text())["processors"]


def test_batch_golden():
    parsed = {key: BatchConfig.model_validate(body or {}) for key, body in bodies("batch").items()}
    assert parsed["batch"] == BatchConfig(send_batch_size=8192, timeout=0.2, send_batch_max_size=0)
    assert parsed["batch/custom"] == BatchConfig(send_batch_size=1000, timeout=2.0, send_batch_max_size=2000)


def test_memory_limiter_golden():
    parsed = {key: MemoryLimiterConfig.model_validate(body) for key, body in bodies("memory_limiter").items()}
    assert parsed["memory_limiter"] == MemoryLimiterConfig(check_interval=1.0, limit_mib=1536)
    assert parsed["memory_limiter/percent"] == MemoryLimiterConfig(check_interval=0.5, limit_percentage=75,
                                                                   spike_limit_percentage=15)
