"""The shipped region table: cloud region name -> jurisdiction.

Data, not code (`regions.yaml` next to this module), so a reviewer can check
it against the providers' region lists line by line. Region names are matched
case-insensitively and exactly: `eu-central-1` is Frankfurt, `eu-central-2`
(Zurich) is deliberately absent.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Mapping

import yaml

from scrubber.residency.model import is_jurisdiction


@lru_cache(maxsize=1)
def shipped_regions() -> Mapping[str, str]:
    """{region: jurisdiction} over AWS, GCP and Azure; raises if the data file is inconsistent."""
    text = resources.files(__package__).joinpath("regions.yaml").read_text(encoding="utf-8")
    return build_table(yaml.safe_load(text))


def build_table(data: Mapping[str, Mapping[str, list[str]]]) -> dict[str, str]:
    """Flatten {jurisdiction: {cloud: [region, ...]}}; a region claimed twice is an error."""
    table: dict[str, str] = {}
    for jurisdiction, clouds in data.items():
        if not is_jurisdiction(jurisdiction):
            raise ValueError(f"regions.yaml: {jurisdiction!r} is not a jurisdiction id")
        for cloud, regions in clouds.items():
            for region in regions or []:
                key = region.strip().lower()
                if table.get(key, jurisdiction) != jurisdiction:
                    raise ValueError(f"regions.yaml: {cloud} region {region!r} is listed under {table[key]!r} and {jurisdiction!r}")
                table[key] = jurisdiction
    return table
