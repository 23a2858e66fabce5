"""`regex.finditer(text)` with the same matches, read only from where an RE2 form of the regex can start one.

Why: Python's `re` tries a pattern at every position of the text, and the large patterns of the
table (street names, city alternations, cue words) cost tens of microseconds per paragraph even
where they match once. RE2 scans in linear time (its DFA), so it finds the next place where a
match can start at a fraction of that; `re` then matches there, as `finditer` would.

Why the matches are the same (`guided_matches`): `finditer` yields, from where its search starts
(0, then each match's end), the match at the leftmost position where `regex` matches. The RE2 form
(`loose`) matches at every position where `regex` does (and maybe at more), so its leftmost match
from there starts at or before that position; `regex.match` at each such start, in order, finds
it (`match` at a position still reads the characters before it, as `finditer` does).

The RE2 form is only made where that superset is sure (`ascii_loose_re2`), else the caller keeps
`finditer`; a text that is not valid UTF-8 once encoded (lone surrogates) is read by `finditer`.
"""

from __future__ import annotations

import re
from typing import Iterator

import re2

#: what Python's ASCII `\s` matches; RE2's `\s` leaves out the vertical tab
_ASCII_SPACES = r"\t\n\x0b\f\r "
#: escapes that mean the same in Python (re.ASCII) and in RE2, or where RE2 matches more (`\S`)
_SAME_ESCAPES = frozenset("bBdDwWSntrfv")
#: the same, inside a character class (`\b` is a backspace there in Python, a word bound nowhere in RE2)
_SAME_CLASS_ESCAPES = frozenset("dDwWntrfv")
#: group openings both read alike
_SAME_GROUPS = ("(?:", "(?P<", "(?i:", "(?i)")
#: RE2's budget per regex: the large alternations outgrow the 8 MB default, and RE2 then leaves its
#: DFA for the NFA (slower, same matches). A budget for the state cache, not an allocation.
LOOSE_MAX_MEM = 32 << 20


class Encoded:
    """A text with its UTF-8 bytes, and character offsets to byte offsets and back (RE2 reads bytes).

    An ASCII text's offsets are the same in both; otherwise the conversions decode or encode only
    what lies between the last offset converted and the next, since `guided_matches` asks in order."""

    __slots__ = ("text", "data", "ascii", "_char", "_byte")

    def __init__(self, text: str, data: bytes | None = None):
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass") if data is None else data
        self.ascii = len(self.data) == len(text)
        self._char = self._byte = 0  # the last pair converted: character offset, byte offset

    def byte_of(self, char: int) -> int:
        if self.ascii:
            return char
        if char < self._char:
            self._char = self._byte = 0
        self._byte += len(self.text[self._char:char].encode("utf-8", "surrogatepass"))
        self._char = char
        return self._byte

    def char_of(self, byte: int) -> int:
        if self.ascii:
            return byte
        if byte < self._byte:
            self._char = self._byte = 0
        self._char += len(self.data[self._byte:byte].decode("utf-8", "surrogatepass"))
        self._byte = byte
        return self._char


def guided_matches(regex: re.Pattern, loose, encoded: Encoded) -> Iterator[re.Match]:
    """`regex.finditer(encoded.text)`, trying `regex` only where `loose` (a superset RE2 form) finds a match."""
    text, data = encoded.text, encoded.data
    at = 0  # byte offset where the next candidate is looked for
    while True:
        found = loose.search(data, at)
        if found is None:
            return
        start = encoded.char_of(found.start())
        m = regex.match(text, start)
        if m is None:
            at = encoded.byte_of(start + 1)
            continue
        if m.end() == start:  # an empty match: `finditer` goes on from there alike
            yield from regex.finditer(text, start)
            return
        yield m
        at = encoded.byte_of(m.end())
        if at >= len(data):
            return


def pattern_pieces(pattern: str) -> Iterator[tuple[int, str, bool]]:
    """`(position, piece, inside a class)` for each piece of a regex, then `(len, "", a class is
    still open)`. A piece is an escape (a backslash and the character after it; a lone trailing
    backslash alone), a class opener (`[` or `[^`, with a leading `]`, a literal in both engines),
    or one character. The one walk of a pattern that `spaces_written_out` and `ascii_loose_re2`
    both read, so they agree on what is inside a class."""
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            yield i, pattern[i:i + 2], in_class
            i += 2
        elif ch == "[" and not in_class:
            j = i + 1
            j += pattern.startswith("^", j)
            j += pattern.startswith("]", j)
            yield i, pattern[i:j], False
            in_class, i = True, j
        else:
            yield i, ch, in_class
            in_class = in_class and ch != "]"
            i += 1
    yield n, "", in_class


def _spaces(piece: str, in_class: bool) -> str:
    """`\\s` as Python's ASCII whitespace (the bare characters inside a class, a class of them outside);
    any other piece as it is."""
    if piece != "\\s":
        return piece
    return _ASCII_SPACES if in_class else f"[{_ASCII_SPACES}]"


def spaces_written_out(pattern: str) -> str:
    """`pattern` with each `\\s` written out as Python's ASCII whitespace, for RE2 (whose `\\s` lacks the
    vertical tab), so that RE2 matches a vertical tab wherever `re.ASCII` does. Nothing else changes."""
    return "".join(_spaces(piece, in_class) for _, piece, in_class in pattern_pieces(pattern))


def _loose_char_allowed(pattern: str, i: int, ch: str) -> bool:
    """Whether `ch`, at `i` outside a class, means the same in RE2 (see `ascii_loose_re2`)."""
    if ch in "^$":
        return False
    if ch == "(" and pattern.startswith("(?", i) and not pattern.startswith(_SAME_GROUPS, i):
        return False
    if ch in "*+?}" and pattern.startswith("+", i + 1):
        return False  # possessive
    return not (ch == "{" and pattern.startswith("{,", i))


def ascii_loose_re2(pattern: str, ignore_case: bool):
    """An RE2 regex matching wherever `re.compile(pattern, re.ASCII | (re.IGNORECASE if ignore_case))`
    does, or None when that cannot be made sure of.

    Under `re.ASCII`, `\\b \\d \\w` and their negations are ASCII in both engines; `\\s` is written
    out (RE2's lacks the vertical tab); RE2's case folding is a superset of ASCII's. Refused: `^`
    and `$` (Python's `$` also matches before a final newline), look-arounds and other `(?` groups
    but `(?:`, `(?P<name>` and `(?i`, possessive or atomic forms, `{,n}` (a literal in RE2), and any
    escape not listed as read alike (back-references, `\\A`, `\\Z`, `\\x`, `\\u`...)."""
    out: list[str] = []
    for i, piece, in_class in pattern_pieces(pattern):
        if not piece:  # the end
            if in_class:
                return None
            break
        if piece[0] == "\\":
            nxt = piece[1:]
            if not nxt or not nxt.isascii():
                return None
            if nxt != "s" and nxt.isalnum() and nxt not in (_SAME_CLASS_ESCAPES if in_class else _SAME_ESCAPES):
                return None
            piece = _spaces(piece, in_class)
        elif in_class:
            if piece == "[" and pattern.startswith(("[:", "[=", "[."), i):
                return None  # POSIX classes mean something in RE2, nothing in Python
        elif piece[0] != "[" and not _loose_char_allowed(pattern, i, piece):
            return None
        out.append(piece)
    options = re2.Options()
    options.max_mem = LOOSE_MAX_MEM
    try:
        return re2.compile(("(?i)" if ignore_case else "") + "".join(out), options)
    except Exception:  # noqa: BLE001 -- outside RE2's syntax: the pattern keeps `finditer`
        return None
