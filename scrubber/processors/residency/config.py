"""What users write under `processors: residency[/name]:` (see README.md)."""

from __future__ import annotations

from pydantic import Field, field_validator

from scrubber.component import ComponentConfig
from scrubber.residency.model import is_jurisdiction


class ResidencyConfig(ComponentConfig):
    #: jurisdiction of data that names none and comes from no known region (none: `unknown`)
    default_jurisdiction: str | None = None
    #: resource attribute holding the cloud region
    region_attribute: str = Field(default="cloud.region", min_length=1)
    #: extra or overriding region -> jurisdiction entries (e.g. an on-prem site)
    regions: dict[str, str] = Field(default_factory=dict)
    #: use the shipped AWS / GCP / Azure region table
    use_shipped_regions: bool = True

    @field_validator("default_jurisdiction")
    @classmethod
    def _default_is_id(cls, value: str | None) -> str | None:
        if value is not None and not is_jurisdiction(value):
            raise ValueError(f"{value!r} is not a lowercase jurisdiction id such as 'eu' (and not a reserved name)")
        return value

    @field_validator("regions")
    @classmethod
    def _regions_are_ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(f"{region}: {j!r}" for region, j in value.items() if not is_jurisdiction(j))
        if bad:
            raise ValueError(f"not lowercase jurisdiction ids: {', '.join(bad)}")
        return {region.strip().lower(): j for region, j in value.items()}
