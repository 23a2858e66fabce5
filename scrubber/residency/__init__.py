"""Data residency: jurisdictions, the region table, resolution, policies, data flows.

Shared by the `residency` processor (stamps), the `residency_router` connector
(routes), the whole-config check (`scrubber validate`) and `scrubber flows`, so
the three agree on what a jurisdiction is and where its data may go.
"""

from scrubber.residency.model import (
    ATTRIBUTE,
    DEFAULT_POLICY,
    GLOBAL,
    LOCAL,
    UNKNOWN,
    is_jurisdiction,
    normalize,
)

__all__ = ["ATTRIBUTE", "DEFAULT_POLICY", "GLOBAL", "LOCAL", "UNKNOWN", "is_jurisdiction", "normalize"]
