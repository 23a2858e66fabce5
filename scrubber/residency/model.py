"""What a jurisdiction is, and the reserved names around it.

A jurisdiction is a short lowercase id (`eu`, `uk`, `in`, `br`, `cn`, `us`,
`ca`, `jp`, `au`, `sg`, or one a deployment adds). Three names are reserved:
- `unknown`: no rule matched; such items are quarantined, never exported globally;
- `global`: the jurisdiction an exporter to the global observability stack declares;
- `local`: an exporter whose data stays on this deployment (the quarantine store,
  local files): any jurisdiction's data may go there because it does not move.
`default` names the fallback policy of jurisdictions that have none of their own.
"""

from __future__ import annotations

# the id syntax and the reserved names sit below the config loader and the flow hooks,
# which need them too (`scrubber.dataflow`); here they are residency's vocabulary
from scrubber.dataflow import DEFAULT_POLICY, GLOBAL, LOCAL, RESERVED, UNKNOWN, is_jurisdiction, normalize

#: the attribute an app (or the residency processor) sets on items and resources
ATTRIBUTE = "residency.jurisdiction"

__all__ = ["ATTRIBUTE", "DEFAULT_POLICY", "GLOBAL", "LOCAL", "RESERVED", "UNKNOWN", "is_jurisdiction", "normalize"]
