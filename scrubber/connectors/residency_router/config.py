"""What users write under `connectors: residency_router[/name]:` (see README.md)."""

from __future__ import annotations

import re

from pydantic import ConfigDict, Field, field_validator

from scrubber.component import ComponentConfig
from scrubber.residency.policy import Policy, check_policy_names

_PIPELINE_ID = re.compile(r"(traces|metrics|logs)(/.+)?")


def _pipeline_ids(value: list[str]) -> list[str]:
    bad = [name for name in value if not _PIPELINE_ID.fullmatch(name)]
    if bad:
        raise ValueError(f"not pipeline ids (traces|metrics|logs[/name]): {', '.join(map(repr, bad))}")
    return value


class ResidencyRouterConfig(ComponentConfig):
    model_config = ConfigDict(extra="forbid", validate_default=True, populate_by_name=True)

    #: per jurisdiction (and `default`): regional pipelines, forms, key ring
    policies: dict[str, Policy] = Field(min_length=1)
    #: pipelines of the quarantine (`unknown` items; items whose policy has no regional
    #: pipeline for their signal); one per signal the router is used with
    quarantine: list[str] = Field(min_length=1)
    #: pipelines feeding the aggregator (derived metrics for the global stack)
    aggregates: list[str] = Field(default_factory=list)
    #: pipelines carrying pseudonymized spans and logs to the global stack
    global_: list[str] = Field(default_factory=list, alias="global")

    @field_validator("quarantine", "aggregates", "global_")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return _pipeline_ids(value)

    @field_validator("policies")
    @classmethod
    def _policies(cls, value: dict[str, Policy]) -> dict[str, Policy]:
        for policy in value.values():
            _pipeline_ids(policy.regional)
        return check_policy_names(value)
