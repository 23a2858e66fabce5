"""One spaCy memory zone per pipeline, kept open across detections and renewed by size.

Why a zone at all: spaCy keeps every token string it has read. A pool worker lives for days
and reads user turns full of names, e-mails and ids that never recur: without a zone it grew by
~2.3 KB of resident memory per unique chat turn, linearly. Inside `nlp.memory_zone()` the strings
and lexemes made are freed when the zone ends.

Why not one zone per call, as before: every call then made every lexeme of its text again
("the", "my", "please," ...). Here the zone stays open from call to call and is closed and
reopened once the calls inside it have read `max_chars` characters: the memory is still bounded
(a zone holds ~9 bytes per character read: ~9 MB at the default, measured as 18 MB more resident
memory than a zone per call after 2M characters of unique chat turns), and the lexemes of a zone
are reused by every call inside it.

Why the tokenizer is warmed between zones: spaCy 3.8's tokenizer caches nothing inside a zone
(`Tokenizer._save_cached` returns early), so every word inside one went through the prefix,
suffix and infix rules again: 0.30 s against 0.11 s with a warm cache on world-rag-concat's
37,000 first-seen tokens, ~15% of spaCy's time. So a zone counts the whitespace-delimited chunks
it reads, and when it is renewed, the chunks read at least `WARM_COUNT` times are tokenized once
*outside* any zone: their strings and cache entries then stay for good, and later zones read them
from the cache. Only lower-case words are warmed (letters with punctuation around them: no digit,
no capital, no `@`, `/` or `=`), which leaves out names as written, numbers, e-mails, URLs and ids,
because what is warmed is kept for the process's life; and at most `WARM_LIMIT` of them, so the
memory stays bounded. The first zone is
renewed after a tenth of `max_chars`, so the cache fills early. Findings are the same either way:
the tokenizer's cache holds exactly the tokens its rules give, and a lexeme's attributes are
functions of its string (`tests/detection/test_vocab_bounded.py`).

spaCy forbids nested zones, and a renewal frees what every `Doc` of the zone points to, so all
spaCy work on a pipeline goes through its one `RollingZone.reading` block, under its lock: a
second detector on the same model (two pii processors in one process) waits instead of nesting
a zone or having its `Doc`s freed under it. Nothing read inside may outlive the block: findings
hold offsets and Python strings only.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from typing import Iterator, Sequence

#: characters read inside one zone before it is renewed
ZONE_CHARS = 1_000_000
#: distinct chunks a zone counts; past it, a zone counts no new ones (bounds the counter's memory)
COUNTED_CHUNKS = 50_000
#: a chunk read at least this often inside a zone is warmed when the zone is renewed
WARM_COUNT = 2
#: chunks warmed over the process's life, at most: each stays in spaCy's vocabulary for good
WARM_LIMIT = 30_000
#: the longest chunk warmed (a long lower-case run is more likely a joined identifier than a word)
WARM_CHUNK_CHARS = 24
_PUNCTUATION = ".,;:!?'\"()[]-"

_zones: dict[int, "RollingZone"] = {}
_zones_lock = threading.Lock()


def warmable(chunk: str) -> bool:
    """A chunk worth keeping in spaCy's tokenizer cache for good: a lower-case word (letters of
    any script) with punctuation around it; not a capitalised name, a number, an e-mail, a URL or an id."""
    word = chunk.strip(_PUNCTUATION)
    return len(chunk) <= WARM_CHUNK_CHARS and word.isalpha() and word.islower()


class RollingZone:
    """The memory zone of one spaCy pipeline (see the module docstring)."""

    def __init__(self, nlp, max_chars: int = ZONE_CHARS):
        self.max_chars = max_chars
        self.renewals = 0
        self._nlp = nlp
        self._lock = threading.RLock()
        self._open: contextlib.ExitStack | None = None
        self._chars = 0
        self._depth = 0  # blocks open in the thread holding the lock
        self._counts: Counter[str] = Counter()
        #: chunks tokenized outside a zone; only their count is needed, but the set keeps them from
        #: being warmed twice
        self.warmed: set[str] = set()

    @contextlib.contextmanager
    def reading(self, texts: Sequence[str]) -> Iterator[None]:
        """A block of spaCy work on `texts`, inside the open zone."""
        with self._lock:
            if self._open is not None and self._due() and not self._depth:
                self.close()  # never inside an enclosing block of this thread: its Docs live
                self.renewals += 1
                self._warm()
            if self._open is None:
                self._enter()
            self._read(texts)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def close(self) -> None:
        """End the zone: what was made inside it is freed (the next `reading` opens a new one)."""
        with self._lock:
            if self._open is not None and not self._depth:
                stack, self._open, self._chars = self._open, None, 0
                stack.close()

    def _due(self) -> bool:
        limit = self.max_chars if self.renewals else max(1, self.max_chars // 10)
        return self._chars >= limit

    def _read(self, texts: Sequence[str]) -> None:
        counting = len(self.warmed) < WARM_LIMIT
        for text in texts:
            self._chars += len(text)
            if counting and len(self._counts) < COUNTED_CHUNKS:
                self._counts.update(text.split())

    def _warm(self) -> None:
        """Tokenize, outside any zone, the lower-case chunks the last zone read often (see above)."""
        room = WARM_LIMIT - len(self.warmed)
        counts, self._counts = self._counts, Counter()
        if room <= 0:
            return
        warmed = self.warmed
        chunks = [c for c, n in counts.items() if n >= WARM_COUNT and c not in warmed and warmable(c)]
        if not chunks:
            return
        if len(chunks) > room:  # the most read first
            chunks = sorted(chunks, key=counts.__getitem__, reverse=True)[:room]
        self._nlp.tokenizer(" ".join(chunks))
        self.warmed.update(chunks)

    def _enter(self) -> None:
        stack = contextlib.ExitStack()
        zone = getattr(self._nlp, "memory_zone", None)
        if zone is not None:  # spaCy < 3.8 has none: no bound, but the same findings
            stack.enter_context(zone())
        self._open = stack


def zone_of(nlp) -> RollingZone:
    """The one `RollingZone` of `nlp` in this process."""
    with _zones_lock:
        zone = _zones.get(id(nlp))
        if zone is None or zone._nlp is not nlp:
            zone = _zones[id(nlp)] = RollingZone(nlp)
        return zone
