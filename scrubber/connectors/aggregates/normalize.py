"""Span-name normalisation: ids in a name must not become label values.

`GET /users/12345` and `GET /users/67890` are one operation; as labels they
would be two series per user (and the number would be a user id sent to the
global stack). Order matters: e-mails and UUIDs first (they contain the
shorter shapes), then long hex and token-like runs, then digit runs. Query
strings and fragments are cut: their values are parameters, never names.
"""

from __future__ import annotations

import re
from functools import lru_cache

ID = "{id}"
EMAIL = "{email}"

_RULES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"[?#]\S*"), ""),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"), EMAIL),
    (re.compile(r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b"), ID),
    # hex ids (object ids, hashes): 8+ hex characters holding at least one digit
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), ID),
    # opaque tokens: 16+ letters and digits, mixed (session ids, API-style ids)
    (re.compile(r"\b(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{16,}\b"), ID),
    # a whole path segment of digits (`/users/7`), and any run of 3+ digits elsewhere
    (re.compile(r"(?<=/)\d+(?=/|$|\s)"), ID),
    (re.compile(r"\d{3,}"), ID),
)
_SPACES = re.compile(r"\s+")
MAX_LENGTH = 128


@lru_cache(maxsize=4096)
def normalize_span_name(name: str) -> str:
    """The name with ids replaced by `{id}` / `{email}`, at most 128 characters."""
    for pattern, replacement in _RULES:
        name = pattern.sub(replacement, name)
    name = _SPACES.sub(" ", name).strip()
    return name[:MAX_LENGTH] or "unknown"
