"""The plain path: fields that detection would leave alone skip the per-field machinery.

Most strings of ordinary spans (`server.address`, `db.namespace`, span names, the keys
no table names, URL path segments) hold nothing to scrub, and the same few recur in
every span. Each still cost a `Field`, a slot in the deduplicated detection call, a
look-up of its hits, a propagation check and an `_apply` call in the main process.
`Prepass.clean(text, ner)` says, before any of that, that detection would find nothing:

- **seen clean**: this processor's detection service answered "no findings" for
  exactly this text with this NER flag before (a bounded memo, filled by the engine
  from detection's answers; detection is deterministic per detector fingerprint, and
  a processor's service never changes);
- **no pattern candidate**: for a text without NER (patterns only), no regex of the
  active pattern table matches anywhere in it, asked of the same RE2 `Set` the pattern
  engine runs first (`patterns.Re2SetPrefilter`); the pattern engine returns nothing
  for such a text, so this answer is exact by construction.

It fails closed, by construction and by test (`tests/perf_paths/test_prepass.py`):
anything else is "not clean" and takes the full path. A clean field is still kept,
lazily (`Quiet`): a value found personal elsewhere in the batch is searched in it
(`propagate_values`), and if detection fails for the request every quiet field is
redacted with the others, exactly as before.

The memo holds texts detection judged to have nothing personal, at most
`MEMO_ENTRIES` of at most `MEMO_TEXT_CHARS` characters each (a few MB).
"""

from __future__ import annotations

from typing import Any, Callable

from scrubber.detection import DetectionConfig
from scrubber.detection.patterns import Re2SetPrefilter, active_specs

MEMO_ENTRIES = 20_000
MEMO_TEXT_CHARS = 256


#: a field the walker did not build because detection would find nothing in it:
#: (text detection would see (a key's probe text), build, args, subject); `build(*args)` makes the
#: `Field` when something must be done to it after all. A plain tuple: one is made per quiet
#: field of every span, and a tuple costs a fraction of a dataclass instance.
Quiet = tuple[str, Callable[..., Any], tuple, "str | None"]


class Prepass:
    def __init__(self, detection: DetectionConfig):
        specs = active_specs(detection)
        self._prefilter = None
        if detection.engine != "re" and specs:
            prefilter = Re2SetPrefilter([(s.regex, s.ignore_case) for s in specs])
            if not prefilter.always:  # a pattern outside RE2's syntax runs on every text
                self._prefilter = prefilter
        self._memo: tuple[set[str], set[str]] = (set(), set())  # (patterns only, with NER)
        #: the memo, read: `text in seen[ner]` is `clean`'s first answer without its call (the
        #: walker asks it first for every quiet candidate; the sets are cleared, never replaced)
        self.seen: tuple[set[str], set[str]] = self._memo

    def clean(self, text: str, ner: bool) -> bool:
        """True only if detection is known to find nothing in `text` (see the module doc)."""
        if text in self._memo[ner]:
            return True
        if ner or self._prefilter is None:
            return False
        if self._prefilter.hits(text):
            return False
        self.learn(text, ner)
        return True

    def learn(self, text: str, ner: bool) -> None:
        """Detection answered no findings for `text` (bounded: cleared when full)."""
        if len(text) > MEMO_TEXT_CHARS:
            return
        memo = self._memo[ner]
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo.add(text)

    def __len__(self) -> int:
        return len(self._memo[0]) + len(self._memo[1])
