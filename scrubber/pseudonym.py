"""The grammar of pseudonym tokens, on its own so that nothing needs the pii processor to read one.

The pii processor makes tokens; egress_guard lets them through and the key-name evidence skips
them. Both sides read the same grammar from here, so egress_guard does not depend on pii (and a
change of format is made once).

Format (documented in README.md): `<TYPE:KEYID:DIGEST>`, DIGEST being the first hex digits of
HMAC-SHA-256(key, normalized value) (see `scrubber.processors.pii.keys`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a key id as config names it and as it appears in tokens
KEY_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}"
#: one whole token; groups: type, key id, digest
TOKEN_RE = re.compile(r"<([A-Z][A-Z0-9_]*):(" + KEY_ID + r"):([0-9a-f]{8,64})>")


@dataclass(frozen=True)
class Token:
    entity: str
    key_id: str
    digest: str


def parse_token(text: str) -> Token | None:
    """The parts of a pseudonym token, if `text` is exactly one."""
    match = TOKEN_RE.fullmatch(text)
    return Token(*match.groups()) if match else None
