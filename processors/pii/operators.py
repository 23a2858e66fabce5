"""What happens to a value once it is known to be personal.

`pseudonymize` keyed HMAC token (keys.py), `redact` a fixed `<TYPE>`
placeholder, `mask` all but a tail (`************4736`), `drop` the whole
attribute (inside text or JSON, where nothing can be dropped, it redacts),
`keep` leaves it. Every operator is a pure function of (spec, entity, value,
jurisdiction, keys): the same input always gives the same output, which is
what makes pseudonyms correlate across spans, requests and signals.
"""

from __future__ import annotations

from processors.pii.config import OperatorSpec
from processors.pii.keys import KeyError_, KeyStore

REDACTED = "<REDACTED>"
#: returned by `apply` for `drop`: the caller removes the attribute
DROP = object()


class NoKey(Exception):
    """No key for this jurisdiction: the caller fails closed (redacts) and counts it."""


def redact(entity: str) -> str:
    return f"<{entity}>"


def mask(value: str, keep_last: int, mask_char: str) -> str:
    """All but the last `keep_last` characters replaced; a value not longer than the
    tail is masked entirely (a tail that is the whole value hides nothing)."""
    if keep_last == 0 or len(value) <= keep_last:
        return mask_char * len(value)
    return mask_char * (len(value) - keep_last) + value[-keep_last:]


def apply(spec: OperatorSpec, entity: str, value: str, jurisdiction: str, keys: KeyStore):
    """The replacement for `value` (a str), or DROP."""
    name = spec.operator
    if name == "keep":
        return value
    if name == "redact":
        return redact(entity)
    if name == "mask":
        return mask(value, spec.keep_last, spec.mask_char)
    if name == "drop":
        return DROP
    try:
        return keys.pseudonym(jurisdiction, entity, value)
    except KeyError_ as exc:
        raise NoKey(str(exc)) from None
