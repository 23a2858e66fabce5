"""Per-jurisdiction policies: where a jurisdiction's data may go, and in which form.

Written under the `residency_router` connector (see its README):

    policies:
      eu: {regional: [traces/eu, logs/eu, metrics/eu]}            # full regional, global aggregates
      in: {regional: [...], regional_form: pseudonymized}
      us: {regional: [...], global: pseudonymized}
      default: {regional: [], global: aggregates}

- `regional`: the pipelines (of any signal) carrying its data to its regional
  backends; a signal with none there is kept in quarantine (local) instead;
- `regional_form`: `full` (default) or `pseudonymized` (those pipelines must then
  pseudonymize with the jurisdiction's key; `scrubber validate` checks it);
- `global`: `aggregates` (default: only derived metrics leave), `pseudonymized`
  (pseudonymized spans and logs too, plus aggregates) or `none`;
- `key`: the pii key ring its data is pseudonymized with (default: the
  jurisdiction itself; `default` for the shared default key).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrubber.residency.model import DEFAULT_POLICY, is_jurisdiction

RegionalForm = Literal["full", "pseudonymized"]
GlobalForm = Literal["aggregates", "pseudonymized", "none"]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    regional: list[str] = Field(default_factory=list)
    regional_form: RegionalForm = "full"
    global_: GlobalForm = Field(default="aggregates", alias="global")
    key: str | None = None

    @field_validator("key")
    @classmethod
    def _key_name(cls, value: str | None) -> str | None:
        if value is not None and value != DEFAULT_POLICY and not is_jurisdiction(value):
            raise ValueError(f"{value!r} is not a key ring name (a jurisdiction id or 'default')")
        return value

    def key_ring(self, jurisdiction: str) -> str:
        """The pii key ring that must pseudonymize this jurisdiction's data."""
        return self.key or jurisdiction


def check_policy_names(policies: dict[str, Policy]) -> dict[str, Policy]:
    """Policy keys are jurisdiction ids or `default`; reserved names are refused."""
    bad = [name for name in policies if name != DEFAULT_POLICY and not is_jurisdiction(name)]
    if bad:
        raise ValueError(f"policy names must be lowercase jurisdiction ids or 'default' "
                         f"(unknown, global and local are reserved): {', '.join(map(repr, bad))}")
    return policies
