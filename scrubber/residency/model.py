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

import re

#: the attribute an app (or the residency processor) sets on items and resources
ATTRIBUTE = "residency.jurisdiction"
UNKNOWN = "unknown"
GLOBAL = "global"
LOCAL = "local"
DEFAULT_POLICY = "default"
RESERVED = frozenset({UNKNOWN, GLOBAL, LOCAL, DEFAULT_POLICY})

_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def normalize(value: object) -> str | None:
    """The jurisdiction id `value` names (case and surrounding blanks ignored), or None
    when it is not a well-formed id. A malformed value is never guessed at: callers
    treat it as `unknown` (fail closed)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if _ID.fullmatch(text) else None


def is_jurisdiction(value: str) -> bool:
    """A well-formed jurisdiction id that a policy or an exporter can name (not reserved)."""
    return normalize(value) == value and value not in RESERVED


def check_exporter_jurisdiction(value: object) -> str | None:
    """The error text for an exporter's `jurisdiction:` value, or None if it is fine."""
    if isinstance(value, str) and (value in (GLOBAL, LOCAL) or is_jurisdiction(value)):
        return None
    return (f"must be a lowercase jurisdiction id (e.g. eu, us), {GLOBAL!r} for the global stack "
            f"or {LOCAL!r} for a store on this deployment; got {value!r}")
