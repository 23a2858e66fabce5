"""Jurisdiction resolution, in the design's order, and the shipped region table."""

from __future__ import annotations

import pytest

from scrubber.processors.residency.config import ResidencyConfig
from scrubber.processors.residency.processor import make_resolver, stamp
from scrubber.residency.regions import build_table, shipped_regions
from tests.residency.helpers import stamps, traces

R = "residency.jurisdiction"


@pytest.mark.parametrize("resource, span, default, expected", [
    # 1. the item's own attribute wins over everything
    ({R: "us", "cloud.region": "eu-central-1"}, {R: "in"}, "eu", "in"),
    ({}, {R: " EU "}, None, "eu"),  # case and blanks ignored
    # 2. then the resource's attribute
    ({R: "br", "cloud.region": "eu-central-1"}, {}, "us", "br"),
    # 3. then the region table over cloud.region (AWS, GCP, Azure names)
    ({"cloud.region": "eu-central-1"}, {}, "us", "eu"),
    ({"cloud.region": "asia-south1"}, {}, None, "in"),
    ({"cloud.region": "westeurope"}, {}, None, "eu"),
    ({"cloud.region": "eu-west-2"}, {}, None, "uk"),
    ({"cloud.region": "SouthEastAsia"}, {}, None, "sg"),
    ({"cloud.region": "chinanorth3"}, {}, None, "cn"),
    # 4. then the deployment's default (a region not in the table falls through)
    ({"cloud.region": "eu-central-2"}, {}, "ca", "ca"),  # Zurich: not EU/EEA, never guessed
    ({}, {}, "jp", "jp"),
    # 5. otherwise unknown
    ({"cloud.region": "mars-north-1"}, {}, None, "unknown"),
    ({}, {}, None, "unknown"),
    # a malformed declaration is not guessed at: unknown, even with a known region
    ({"cloud.region": "eu-central-1"}, {R: "not a jurisdiction!"}, "eu", "unknown"),
    ({R: 42, "cloud.region": "us-east-1"}, {}, "us", "unknown"),
])
def test_resolution_order(resource, span, default, expected):
    request = traces((resource, [span]))
    counts = stamp(make_resolver(ResidencyConfig(default_jurisdiction=default)), request)
    assert stamps(request) == [expected]
    assert counts == {expected: 1}


def test_configured_region_key_and_extra_regions_override_the_table():
    config = ResidencyConfig(region_attribute="host.region", regions={"FRA-DC-1": "eu", "us-east-1": "ca"})
    request = traces(({"host.region": "fra-dc-1"}, [{}]), ({"host.region": "us-east-1"}, [{}]),
                     ({"cloud.region": "eu-central-1"}, [{}]))  # not the configured key
    stamp(make_resolver(config), request)
    assert stamps(request) == ["eu", "ca", "unknown"]


def test_existing_stamp_is_replaced_not_duplicated():
    request = traces(({"cloud.region": "us-east-1"}, [{R: "EU"}]))
    stamp(make_resolver(ResidencyConfig()), request)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert [kv.value.string_value for kv in span.attributes if kv.key == R] == ["eu"]


def test_shipped_table_covers_every_jurisdiction_on_every_cloud_it_exists_on():
    table = shipped_regions()
    by_jurisdiction: dict[str, set[str]] = {}
    for region, jurisdiction in table.items():
        by_jurisdiction.setdefault(jurisdiction, set()).add(region)
    assert set(by_jurisdiction) == {"eu", "uk", "in", "br", "cn", "us", "ca", "jp", "au", "sg"}
    samples = {"eu": ["eu-west-1", "europe-west4", "germanywestcentral"], "uk": ["eu-west-2", "europe-west2", "uksouth"],
               "in": ["ap-south-1", "asia-south1", "centralindia"], "br": ["sa-east-1", "southamerica-east1", "brazilsouth"],
               "cn": ["cn-north-1", "chinaeast2"], "us": ["us-east-1", "us-central1", "eastus"],
               "ca": ["ca-central-1", "northamerica-northeast1", "canadacentral"],
               "jp": ["ap-northeast-1", "asia-northeast1", "japaneast"],
               "au": ["ap-southeast-2", "australia-southeast1", "australiaeast"],
               "sg": ["ap-southeast-1", "asia-southeast1", "southeastasia"]}
    for jurisdiction, regions in samples.items():
        assert all(table[r] == jurisdiction for r in regions), jurisdiction
    for outside in ("eu-central-2", "europe-west6", "switzerlandnorth", "me-central-1", "southamerica-west1"):
        assert outside not in table


def test_a_region_claimed_by_two_jurisdictions_is_an_error():
    with pytest.raises(ValueError, match="eu-west-2"):
        build_table({"eu": {"aws": ["eu-west-2"]}, "uk": {"aws": ["eu-west-2"]}})


@pytest.mark.parametrize("body, message", [
    ({"default_jurisdiction": "EU"}, "default_jurisdiction"),
    ({"default_jurisdiction": "unknown"}, "reserved"),
    ({"regions": {"dc1": "Europe!"}}, "dc1"),
    ({"colour": "red"}, "Extra inputs"),
])
def test_invalid_processor_config(body, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        ResidencyConfig.model_validate(body)
