"""Phone numbers of every country, decided by libphonenumber and by the evidence around them.

The pattern row finds candidates (digits in groups, a `+`/`00` prefix, `(0)` trunk
prefixes, extensions); this validator decides, with three levels of evidence:

1. a country code (`+55 11 98765-4321`, `0044 20 7946 0958`): a valid number of
   that country, or, with a context word, a possible one;
2. the format alone (no context word): a national number that is valid in one of
   the configured `phone_regions` or in `WIDE_REGIONS` (the most populous and the
   most often seen countries outside them) and is grouped the way that country
   writes it (libphonenumber's `STRICT_GROUPING`), or starts with a trunk `0` / an
   area code in parentheses;
3. a context word (phone, Telefon, portable, celular, "number hai"...; see
   `context.PHONE`): valid in ANY of libphonenumber's 245 regions, tried in order
   of likelihood. Recall first: where the text says phone, a valid number of any
   country is one.

Dates, `1.2.3` versions, IPs, SSN shapes and numbers glued to longer dotted or
dashed digit runs are rejected first, whatever the context.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency

from scrubber.detection.shapes import digits, numeric_neighbours, wants_context

#: regions tried on the format alone after the configured ones: the most populous countries
#: and the ones most often seen in multinational telemetry
WIDE_REGIONS = (
    "BR", "CN", "NG", "AE", "JP", "MX", "ZA", "TR", "RU", "ID", "PK", "BD", "EG", "PH", "VN", "KR", "SA",
    "AR", "CO", "AU", "CA", "KE", "TH", "MY", "SG", "CH", "AT", "BE", "PT", "SE", "IE", "IL", "NZ", "CL",
    "PE", "GH", "MA", "UA", "DK", "NO", "FI", "CZ", "GR", "RO", "HU",
)

_DATE_LIKE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:[ T]\d{1,2})?$"
)
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_DOTTED_SMALL = re.compile(r"^\d{1,3}(?:\.\d{1,3})+$")
#: French / Belgian / Swiss dotted national numbers: 01.23.45.67.89
_DOTTED_PHONE = re.compile(r"^0\d{1,2}(?:\.\d{2,3}){3,4}$")
_TRUNK = re.compile(r"\s*\(0\)\s*")
_EXTENSION = re.compile(r"[\s,]*(?:x|ext\.?|extension|#)\s*\d{1,6}$", re.IGNORECASE)


def _parse(number: str, region: str | None):
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def _valid_in(number: str, region: str | None) -> bool:
    parsed = _parse(number, region)
    return parsed is not None and phonenumbers.is_valid_number(parsed)


def _strictly_grouped(number: str, region: str) -> bool:
    """The whole candidate is one number of `region`, grouped as that region writes it."""
    for m in phonenumbers.PhoneNumberMatcher(number, region, leniency=Leniency.STRICT_GROUPING):
        if m.start == 0 and m.end == len(number):
            return True
    return False


def _rejected_shape(core: str, text: str, start: int, end: int) -> bool:
    if _DATE_LIKE.match(core) or _SSN_SHAPE.match(core) or numeric_neighbours(text, start, end):
        return True
    return bool(_DOTTED_SMALL.match(core)) and not _DOTTED_PHONE.match(core)


class PhoneValidator:
    """Callable validator `(value, text, start, end, context) -> bool`; see the module docstring."""

    wants_context = True

    def __init__(self, regions: tuple[str, ...], bare: bool = False):
        self.regions = tuple(r.upper() for r in regions)
        self.format_regions = tuple(dict.fromkeys(self.regions + WIDE_REGIONS))
        rest = sorted(phonenumbers.SUPPORTED_REGIONS - set(self.format_regions))
        self.all_regions = self.format_regions + tuple(rest)
        self.bare = bare

    def __call__(self, value: str, text: str, start: int, end: int, context: bool = False) -> bool:
        core = _EXTENSION.sub("", value).strip()
        if not 7 <= len(digits(core)) <= 15 or _rejected_shape(core, text, start, end):
            return False
        if core.startswith("+") or core.startswith("00"):
            return self._international("+" + core[2:] if core.startswith("00") else core, context)
        if core.isdigit():
            # a bare run of digits is an id or a timestamp unless the text says phone
            if not self.bare:
                return False
            return any(_valid_in(core, r) for r in (self.all_regions if context else self.regions))
        return self._national(core, context)

    @staticmethod
    def _international(number: str, context: bool) -> bool:
        # `+44 (0)20 ...` drops the trunk 0; `+39 (0) 02 ...` (Italy keeps it) only reads without the "(0)"
        for probe in dict.fromkeys((number, _TRUNK.sub(" ", number))):
            parsed = _parse(probe, None)
            if parsed is None:
                continue
            if phonenumbers.is_valid_number(parsed) or (context and phonenumbers.is_possible_number(parsed)):
                return True
        return False

    def _national(self, core: str, context: bool) -> bool:
        trunk = core[0] in "0("
        for region in self.format_regions:
            if _valid_in(core, region) and (context or trunk or _strictly_grouped(core, region)):
                return True
        if not context:
            return False
        return any(_valid_in(core, r) for r in self.all_regions[len(self.format_regions):])


def make_phone_validator(regions: tuple[str, ...], bare: bool = False) -> PhoneValidator:
    """A phone validator for numbers with a country code, or national numbers (see module docstring)."""
    return PhoneValidator(regions, bare)


__all__ = ["PhoneValidator", "WIDE_REGIONS", "make_phone_validator", "wants_context"]
