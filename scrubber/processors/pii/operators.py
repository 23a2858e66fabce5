"""What happens to a value once it is known to be personal.

`pseudonymize` keyed HMAC token (keys.py), `redact` a fixed `<TYPE>`
placeholder, `mask` all but a tail (`************4736`), `drop` the whole
attribute (inside text or JSON, where nothing can be dropped, it redacts),
`keep` leaves it. Every operator is a pure function of (spec, entity, value,
jurisdiction, keys, subject key): the same input always gives the same output,
which is what makes pseudonyms correlate across spans, requests and signals.

With `subjects` on, a value in an item of a known data subject is pseudonymized
under that subject's own secret (scrubber/subjects), never the jurisdiction key:
`<TYPE:s-<16 hex>:DIGEST>`, the key id saying it is a subject key. Erasing the
subject destroys the secret, and with it every way to recompute those tokens.
If the subject's vault could not answer, the value is not keyed with anything
else: the field fails closed (redacted whole, counted as `vault_unavailable`).
"""

from __future__ import annotations

from scrubber.processors.pii.config import OperatorSpec
from scrubber.processors.pii.keys import KeyStore, KeyUnavailable, normalize
from scrubber.subjects.keys import UNAVAILABLE, SubjectKey

REDACTED = "<REDACTED>"
#: returned by `apply` for `drop`: the caller removes the attribute
DROP = object()


class NoKey(KeyUnavailable):
    """No key for this jurisdiction: the caller fails closed (redacts) and counts it by `reason`."""

    reason = "no_key"


class SubjectKeyUnavailable(NoKey):
    """The subject's vault did not answer: fail closed, never fall back to the jurisdiction key."""

    reason = "vault_unavailable"


def redact(entity: str) -> str:
    return f"<{entity}>"


def mask(value: str, keep_last: int, mask_char: str) -> str:
    """All but the last `keep_last` characters replaced; a value not longer than the
    tail is masked entirely (a tail that is the whole value hides nothing)."""
    if keep_last == 0 or len(value) <= keep_last:
        return mask_char * len(value)
    return mask_char * (len(value) - keep_last) + value[-keep_last:]


def subject_pseudonym(key: SubjectKey, entity: str, value: str, length: int) -> str:
    """The token of `value` under a subject's secret (same normalization as jurisdiction tokens)."""
    return f"<{entity}:{key.key_id}:{key.digest(normalize(entity, value), length)}>"


def apply(spec: OperatorSpec, entity: str, value: str, jurisdiction: str, keys: KeyStore, subject_key=None):
    """The replacement for `value` (a str), or DROP. `subject_key`: the item's SubjectKey,
    UNAVAILABLE (its vault failed) or None (no subject: the jurisdiction key)."""
    name = spec.operator
    if name != "pseudonymize":  # the common case (nearly every finding) first: one comparison
        if name == "keep":
            return value
        if name == "redact":
            return redact(entity)
        if name == "mask":
            return mask(value, spec.keep_last, spec.mask_char)
        if name == "drop":
            return DROP
    if subject_key is not None:
        if subject_key is UNAVAILABLE:
            raise SubjectKeyUnavailable(jurisdiction)
        return subject_pseudonym(subject_key, entity, value, keys.length)
    try:
        return keys.pseudonym(jurisdiction, entity, value)
    except KeyUnavailable as exc:
        raise NoKey(str(exc)) from None
