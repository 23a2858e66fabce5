"""Golden testdata configs of the residency components parse to what they say."""

from __future__ import annotations

from pathlib import Path

import yaml

from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.processors.residency.config import ResidencyConfig

ROOT = Path(__file__).resolve().parents[2]


def test_residency_processor_golden():
    data = yaml.safe_load((ROOT / "scrubber/processors/residency/testdata/config.yaml").read_text())
    assert ResidencyConfig.model_validate(data["residency"] or {}) == ResidencyConfig()
    onprem = ResidencyConfig.model_validate(data["residency/onprem"])
    assert (onprem.default_jurisdiction, onprem.region_attribute) == ("eu", "host.region")
    assert onprem.regions == {"fra-dc-1": "eu", "mumbai-dc": "in"}


def test_residency_router_golden():
    data = yaml.safe_load((ROOT / "scrubber/connectors/residency_router/testdata/config.yaml").read_text())
    config = ResidencyRouterConfig.model_validate(data["residency_router"])
    assert config.policies["in"].regional_form == "pseudonymized" and config.policies["in"].global_ == "none"
    assert config.policies["us"].key_ring("us") == "default" and config.policies["eu"].key_ring("eu") == "eu"
    assert config.policies["default"].global_ == "aggregates" and config.policies["default"].regional == []
    assert config.global_ == ["traces/global", "logs/global"]


import pytest  # noqa: E402
from pydantic import ValidationError  # noqa: E402


@pytest.mark.parametrize("change, message", [
    ({"policies": {"unknown": {}}}, "reserved"),
    ({"policies": {"EU": {}}}, "'EU'"),
    ({"policies": {"eu": {"regional": ["spans/eu"]}}}, "spans/eu"),
    ({"policies": {"eu": {"global": "everything"}}}, "global"),
    ({"quarantine": []}, "quarantine"),
    ({"policies": {"eu": {"key": "Not A Ring"}}}, "key ring"),
])
def test_invalid_router_configs(change, message):
    body = {"policies": {"eu": {}}, "quarantine": ["traces/q"], **change}
    with pytest.raises(ValidationError, match=message):
        ResidencyRouterConfig.model_validate(body)
