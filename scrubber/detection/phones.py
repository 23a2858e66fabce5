"""Phone numbers of every country, decided by libphonenumber and by the evidence around them.

The pattern row finds candidates (digits in groups, a `+`/`00` prefix, `(0)` trunk
prefixes, extensions); this validator decides, with three levels of evidence:

1. a country code (`+55 11 98765-4321`, `0044 20 7946 0958`): a valid number of
   that country, or, with a context word, a possible one;
2. the format alone (no context word): a national number that is valid in one of
   the configured `phone_regions` or in `WIDE_REGIONS` (the most populous and the
   most often seen countries outside them) and is grouped the way that country
   writes it (libphonenumber's `STRICT_GROUPING` rule), or starts with a trunk `0` / an
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
from phonenumbers import PhoneMetadata

from scrubber.detection.shapes import digits, numeric_neighbours

# libphonenumber compiles its metadata regexes on every use; over many regions they fall out of
# `re`'s 512-entry cache and get compiled again (a third of the validator's time). Its own switch
# keeps them (bounded by the metadata: a few thousand patterns).
_enable_cache = getattr(getattr(phonenumbers, "re_util", None), "enable_pattern_cache", None)
if _enable_cache is None:
    try:
        from phonenumbers.re_util import enable_pattern_cache as _enable_cache
    except ImportError:  # older phonenumbers: the re module's own cache only
        _enable_cache = None
if _enable_cache is not None:
    _enable_cache()

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
_PAREN_CC = re.compile(r"^\((\+\d{1,3})\)\s*")
_SEPARATED = re.compile(r"\d[ .\-/()]+\d")
_ZIP4 = re.compile(r"^\d{5}-\d{4}$")
_YEAR_RANGE = re.compile(r"^(?:1[89]|20)\d{2}\s?[-–/]\s?(?:1[89]|20)\d{2}$")
#: the tail of an identifier (CVE-2026-3644, JIRA_1234 5678): a letter and a dash or underscore before it
_ID_GLUE = re.compile(r"[A-Za-z][-_]$")
_DOTTED_SMALL = re.compile(r"^\d{1,3}(?:\.\d{1,3})+$")
#: French / Belgian / Swiss dotted national numbers: 01.23.45.67.89
_DOTTED_PHONE = re.compile(r"^0\d{1,2}(?:\.\d{2,3}){3,4}$")
_TRUNK = re.compile(r"\s*\(0\)\s*")
_EXTENSION = re.compile(r"[\s,]*(?:x|ext\.?|extension|#)\s*\d{1,6}$", re.IGNORECASE)


class _RegionShape:
    """A cheap necessary condition for "valid national number of this region": the digit count and the
    region's general number pattern (libphonenumber's own metadata), with or without its trunk prefix.
    Parsing and validating costs ~70 us per region; this check ~2 us, so scans over 245 regions stay cheap.
    Regions whose trunk prefix rewrites the number (Argentina's 15, Brazil's carrier codes) always pass."""

    __slots__ = ("lengths", "pattern", "prefix", "always")

    def __init__(self, region: str):
        meta = PhoneMetadata.metadata_for_region(region)
        desc = meta.general_desc if meta is not None else None
        national = desc.national_number_pattern if desc is not None else None
        self.always = meta is None or not national or bool(meta.national_prefix_transform_rule)
        self.lengths = frozenset(desc.possible_length or ()) if desc is not None else frozenset()
        self.pattern: re.Pattern[str] | None = re.compile(national) if national and not self.always else None
        prefix = meta.national_prefix_for_parsing or meta.national_prefix if meta is not None else None
        self.prefix = re.compile(prefix) if prefix else None

    def may_be(self, number: str) -> bool:
        if self.always or self.pattern is None:
            return True
        if len(number) in self.lengths and self.pattern.fullmatch(number):
            return True
        m = self.prefix.match(number) if self.prefix is not None else None
        if m is None or not m.end():
            return False
        rest = number[m.end():]
        return len(rest) in self.lengths and self.pattern.fullmatch(rest) is not None


_SHAPES: dict[str, _RegionShape] = {}


def _may_be(number: str, region: str) -> bool:
    shape = _SHAPES.get(region)
    if shape is None:
        shape = _SHAPES[region] = _RegionShape(region)
    return shape.may_be(number)


def _parse(number: str, region: str | None):
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def _valid_parse(number: str, region: str):
    """The parsed number if it is a valid national number of `region`, else None."""
    if not _may_be(digits(number), region):
        return None
    parsed = _parse(number, region)
    return parsed if parsed is not None and phonenumbers.is_valid_number(parsed) else None


def _valid_in(number: str, region: str) -> bool:
    return _valid_parse(number, region) is not None


_GROUPS = re.compile(r"\d+")


def _grouped_as_written(core: str, parsed) -> bool:
    """The digit groups of `core` are the region's own national groups, some possibly run together:
    libphonenumber's STRICT_GROUPING ("650 253 0000" and "650 2530000", not "65 02 53 00 00"),
    checked against `format_number` at ~1/50 of the cost of running its matcher."""
    want = _GROUPS.findall(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    i = 0
    for group in _GROUPS.findall(core):
        joined = ""
        while i < len(want) and len(joined) < len(group):
            joined += want[i]
            i += 1
        if joined != group:
            return False
    return i == len(want)


def _rejected_shape(core: str, text: str, start: int, end: int) -> bool:
    if _DATE_LIKE.match(core) or _SSN_SHAPE.match(core) or _YEAR_RANGE.match(core) or "--" in core:
        return True
    if "." in core and "-" in core or _ZIP4.match(core):  # CPF 818.612.110-23, ZIP+4 36144-0518
        return True
    if numeric_neighbours(text, start, end) or _ID_GLUE.search(text[max(0, start - 2):start]):
        return True
    before = text[start - 1:start]
    if before.isascii() and before.isalnum():  # 30+20221128-1 is a package version; 号码138… is a phone
        return True
    return bool(_DOTTED_SMALL.match(core)) and not _DOTTED_PHONE.match(core)


#: phone verdicts a validator remembers (cleared when full; ~100 bytes each)
VERDICTS_KEPT = 20_000


class PhoneValidator:
    """Callable validator `(value, text, start, end, context) -> bool`; see the module docstring."""

    wants_context = True

    def __init__(self, regions: tuple[str, ...], bare: bool = False):
        self.regions = tuple(r.upper() for r in regions)
        self.format_regions = tuple(dict.fromkeys(self.regions + WIDE_REGIONS))
        rest = sorted(phonenumbers.SUPPORTED_REGIONS - set(self.format_regions))
        self.all_regions = self.format_regions + tuple(rest)
        self.bare = bare
        #: (core, context word near) -> verdict: the numbers of recurring RAG chunks and history
        #: turns are judged again in every new text that holds them; libphonenumber is most of it
        self._verdicts: dict[tuple[str, bool], bool] = {}

    @staticmethod
    def plausible(value: str) -> bool:
        """Cheap test run before the context words are looked for: 7-15 digits, an extension on top."""
        n = sum(map(str.isdigit, value))
        return 7 <= n <= 21

    def __call__(self, value: str, text: str, start: int, end: int, context: bool = False) -> bool:
        core = _PAREN_CC.sub(r"\1 ", _EXTENSION.sub("", value).strip())  # (+49) 30 … reads as +49 30 …
        if not 7 <= len(digits(core)) <= 15 or _rejected_shape(core, text, start, end):
            return False
        key = (core, context)
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            verdict = self._verdicts[key] = self._number_verdict(core, context)
        return verdict

    def _number_verdict(self, core: str, context: bool) -> bool:
        """Whether `core` reads as a phone number (with a context word near it, or not): a function
        of these two alone, libphonenumber's parse and validity checks, remembered by `__call__`."""
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
            if phonenumbers.is_valid_number(parsed):
                return True
            # a country code plus phone-like grouping (`+1 (555) 010-9999`) is a phone even if the range
            # is unassigned: with a context word or separators, a possible number is enough
            if (context or _SEPARATED.search(number)) and phonenumbers.is_possible_number(parsed):
                return True
        return False

    def _national(self, core: str, context: bool) -> bool:
        trunk = core[0] in "0("
        for region in self.format_regions:
            parsed = _valid_parse(core, region)
            if parsed is not None and (context or trunk or _grouped_as_written(core, parsed)):
                return True
        if not context:
            return False
        return any(_valid_in(core, r) for r in self.all_regions[len(self.format_regions):])


def make_phone_validator(regions: tuple[str, ...], bare: bool = False) -> PhoneValidator:
    """A phone validator for numbers with a country code, or national numbers (see module docstring)."""
    return PhoneValidator(regions, bare)


__all__ = ["PhoneValidator", "WIDE_REGIONS", "make_phone_validator"]
