"""Golden testdata configs of the aggregates connector, egress guard and quarantine exporter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrubber.component import Kind
from scrubber.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    (Kind.CONNECTOR, ROOT / "scrubber/connectors/aggregates/testdata/config.yaml"),
    (Kind.PROCESSOR, ROOT / "scrubber/processors/egress_guard/testdata/config.yaml"),
    (Kind.EXPORTER, ROOT / "scrubber/exporters/quarantine/testdata/config.yaml"),
]


@pytest.mark.parametrize("kind, path", CASES, ids=lambda c: getattr(c, "name", ""))
def test_testdata_config_parses_and_empty_means_defaults(kind, path):
    section = yaml.safe_load(path.read_text())[kind.value]
    for component_id, body in section.items():
        factory = default_registry().get(kind, component_id.split("/")[0])
        config = factory.config_class.model_validate(body or {})
        if body is None:
            assert config == factory.default_config()


def test_custom_values_are_read():
    section = yaml.safe_load(CASES[0][1].read_text())["connectors"]["aggregates/custom"]
    config = default_registry().get(Kind.CONNECTOR, "aggregates").config_class.model_validate(section)
    assert (config.metrics_flush_interval, config.aggregation_temporality, config.cardinality_limit) == (30.0, "delta", 500)
    section = yaml.safe_load(CASES[2][1].read_text())["exporters"]["quarantine/small"]
    config = default_registry().get(Kind.EXPORTER, "quarantine").config_class.model_validate(section)
    assert (config.max_megabytes, config.flush_interval) == (10, 0.5)
