"""One spaCy memory zone per pipeline, kept open across detections and renewed by size.

Why a zone at all: spaCy keeps every token string it has read. A pool worker lives for days
and reads user turns full of names, e-mails and ids that never recur: without a zone it grew by
~2.3 KB of resident memory per unique chat turn, linearly. Inside `nlp.memory_zone()` the strings,
lexemes and tokenizer-cache entries made are freed when the zone ends.

Why not one zone per call, as before: the zone also empties spaCy's tokenizer cache, so every
call tokenized every word as never seen ("the", "my", "please," ...): 12x the cost of a warm
tokenizer, ~25-30% of spaCy's whole time on new chat text. Here the zone stays open from call to
call and is closed and reopened once the calls inside it have read `max_chars` characters: the
memory is still bounded (a zone holds ~9 bytes per character read: ~9 MB at the default, measured
as 18 MB more resident memory than a zone per call after 2M characters of unique chat turns), and
the tokenizer is warm for all but the first call after a renewal. Findings are the same either way:
a lexeme's attributes are functions of its string (`tests/detection/test_vocab_bounded.py`).

spaCy forbids nested zones, and a renewal frees what every `Doc` of the zone points to, so all
spaCy work on a pipeline goes through its one `RollingZone.reading` block, under its lock: a
second detector on the same model (two pii processors in one process) waits instead of nesting
a zone or having its `Doc`s freed under it. Nothing read inside may outlive the block: findings
hold offsets and Python strings only.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

#: characters read inside one zone before it is renewed
ZONE_CHARS = 1_000_000

_zones: dict[int, "RollingZone"] = {}
_zones_lock = threading.Lock()


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

    @contextlib.contextmanager
    def reading(self, chars: int) -> Iterator[None]:
        """A block of spaCy work that reads about `chars` characters, inside the open zone."""
        with self._lock:
            if self._open is not None and self._chars >= self.max_chars and not self._depth:
                self.close()  # never inside an enclosing block of this thread: its Docs live
                self.renewals += 1
            if self._open is None:
                self._enter()
            self._chars += chars
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
