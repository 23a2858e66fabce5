"""URLs (`url.full`, `http.target`, `url.query`...) and SQL text, scrubbed by structure.

A URL is not prose: NER on it finds little and costs a model call per unique
URL. What identifies someone in a URL is a *query parameter value*, named
(`email=`, `user_id=`, `token=`), or a pattern inside a path segment, the host
or a value (an e-mail address, a card number). So a URL is split into pieces:
named parameter values become identifier fields (pseudonymized or redacted
by name, no detection), every other path segment, parameter value, host and
fragment is pattern-scanned, and search-box parameters (`q=`, `search=`) are
free text (patterns and NER). Pieces are decoded (`%40` -> `@`) before
detection and pseudonymization, so the same e-mail in a URL and in `enduser.id`
gets the same token; a replaced piece is percent-encoded again, so the URL
stays valid. Untouched pieces keep their original bytes.

SQL (`db.query.text`, `db.statement`): pattern-scanned, and every quoted string
literal is a finding of its own (`SQL_LITERAL`, redacted by default): a literal
is a value of unknown meaning (a name, a password in an UPDATE), so it fails
closed; parameter placeholders (`$1`, `?`) and identifiers are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple
from urllib.parse import unquote, unquote_plus

#: keys whose whole value is a query string (no scheme, no path)
QUERY_KEYS = frozenset({"url.query"})
#: characters kept as they are when a replaced piece is encoded again (RFC 3986)
_SAFE = {"path": "!$&'()*+,;=:@", "query": "!$'()*,;:@/?", "host": "!$&'()*+,;=:[]", "fragment": "!$&'()*+,;=:@/?"}
_SCHEME_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:)?(//[^/]*)?")
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
SQL_LITERAL = "SQL_LITERAL"


class Piece(NamedTuple):
    """One scrubbable piece of a URL: `text` decoded; `name` the parameter name (lower
    case, `-` as `_`) for query values, "" elsewhere. A tuple: several are made per URL."""

    index: int  # type: ignore[assignment]  # position in the list of raw pieces (shadows tuple.index, unused)
    text: str
    kind: str  # path | query | host | fragment | userinfo
    name: str = ""


def split(url: str, query_only: bool = False) -> tuple[list[str], list[Piece]]:
    """The URL as raw pieces (joined they give `url` back) and the scrubbable ones."""
    raw: list[str] = []
    pieces: list[Piece] = []
    if query_only:
        _query(url, raw, pieces)
        return raw, pieces
    rest, hash_, fragment = url.partition("#")
    base, question, query = rest.partition("?")
    known = _BASES.get(base)
    if known is None:
        known = _split_base(base)
    raw.extend(known[0])
    pieces.extend(known[1])
    if question:
        raw.append("?")
        _query(query, raw, pieces)
    if hash_:
        raw.append("#")
        _add(raw, pieces, fragment, unquote(fragment), "fragment")
    return raw, pieces


#: scheme, authority and path of recent URLs, split: the same few recur in every span, with
#: only the query differing (bounded; user info, a secret, is never kept)
_BASES: dict[str, tuple[tuple[str, ...], tuple[Piece, ...]]] = {}
_BASES_MAX = 2048
_BASE_MAX_CHARS = 256


def _split_base(base: str) -> tuple[tuple[str, ...], tuple[Piece, ...]]:
    """Raw pieces and scrubbable pieces of the part before `?` (memoised in `_BASES`)."""
    raw: list[str] = []
    pieces: list[Piece] = []
    match = _SCHEME_AUTHORITY.match(base)
    assert match is not None  # both groups are optional: it matches every string
    raw.append(match.group(1) or "")
    if match.group(2):
        _authority(match.group(2), raw, pieces)
    _path(base[match.end():], raw, pieces)
    known = (tuple(raw), tuple(pieces))
    if "@" not in base and len(base) <= _BASE_MAX_CHARS:
        if len(_BASES) >= _BASES_MAX:
            _BASES.clear()
        _BASES[base] = known
    return known


def _add(raw: list[str], pieces: list[Piece], original: str, decoded: str, kind: str, name: str = "") -> None:
    raw.append(original)
    if original:
        pieces.append(Piece(len(raw) - 1, decoded, kind, name))


def _authority(authority: str, raw: list[str], pieces: list[Piece]) -> None:
    """`//user:password@host:port`: user info is a secret, the host is scanned (an IP)."""
    userinfo, at, host = authority[2:].rpartition("@")
    raw.append("//")
    if at:
        _add(raw, pieces, userinfo, unquote(userinfo), "userinfo")
        raw.append("@")
    _add(raw, pieces, host, host, "host")


def _path(path: str, raw: list[str], pieces: list[Piece]) -> None:
    for i, segment in enumerate(path.split("/")):
        if i:
            raw.append("/")
        _add(raw, pieces, segment, unquote(segment), "path")


def _query(query: str, raw: list[str], pieces: list[Piece]) -> None:
    """`name=value` items: `_add` inlined, as every URL of a plain span has a query string."""
    append, names = raw.append, _NAMES
    for i, item in enumerate(query.split("&")):
        if i:
            append("&")
        name, eq, value = item.partition("=")
        if not eq:  # `?jane@example.com`: a bare value
            _add(raw, pieces, item, _unquote_plus(item), "query")
            continue
        append(name + "=")
        append(value)
        if value:
            decoded = value if "%" not in value and "+" not in value else unquote_plus(value)
            pieces.append(_piece(Piece, (len(raw) - 1, decoded, "query", names.get(name) or _parameter_name(name))))


#: `Piece(...)` without the Python-level `__new__` a NamedTuple adds (several pieces per URL)
_piece = tuple.__new__


def _unquote_plus(text: str) -> str:
    """`unquote_plus(text)`, without its calls for the common text that has nothing to decode."""
    return text if "%" not in text and "+" not in text else unquote_plus(text)


#: raw parameter name -> its lookup form: the same few names recur in every URL (bounded)
_NAMES: dict[str, str] = {}


def _parameter_name(raw_name: str) -> str:
    name = _NAMES.get(raw_name)
    if name is None:
        if len(_NAMES) >= 4096:
            _NAMES.clear()
        name = _NAMES[raw_name] = unquote_plus(raw_name).strip().lower().replace("-", "_")
    return name


def encode(text: str, kind: str) -> str:
    """A replacement for a piece, percent-encoded for where it sits: what `quote(text, safe=...)`
    gives (UTF-8, upper-case hex), as one regex pass over the runs quote would change. ASCII
    text (every pseudonym token: `<`, `>`, perhaps `:`) has each of its few distinct unsafe
    characters replaced by `str.replace`, `%` first (the replacements add `%` and hex digits,
    which are safe): a tenth of the cost of the regex callback per run."""
    if text[:1] == "<" and text[-1:] == ">" and kind in _SAFE and _TOKEN_BODY.fullmatch(text, 1, len(text) - 1):
        return "%3C" + text[1:-1] + "%3E"  # a token or a redaction: only its brackets are unsafe
    unsafe = _UNSAFE.get(kind, _UNSAFE_ELSEWHERE)
    if not text.isascii():
        return unsafe.sub(_percent, text)
    runs = unsafe.findall(text)
    if not runs:
        return text
    chars = set("".join(runs))
    if "%" in chars:
        text = text.replace("%", "%25")
        chars.discard("%")
    for char in chars:
        text = text.replace(char, _ASCII_PERCENT[char])
    return text


def _unsafe(safe: str) -> re.Pattern:
    """Runs of the characters `quote` encodes: all but ASCII letters, digits, `_.-~` and `safe`."""
    return re.compile("[^A-Za-z0-9_.~" + re.escape("-" + safe) + "]+")


def _percent(match: re.Match[str]) -> str:
    return "".join(["%{:02X}".format(byte) for byte in match.group().encode("utf-8")])


_UNSAFE = {kind: _unsafe(safe) for kind, safe in _SAFE.items()}
#: what a pseudonym token or a redaction holds between its brackets (`<TYPE:KEYID:DIGEST>`,
#: `<TYPE>`): characters every piece kind of `_SAFE` keeps as they are (`:` is in each one)
_TOKEN_BODY = re.compile(r"[A-Za-z0-9_.~:\-]*")
assert all(":" in safe for safe in _SAFE.values())
_UNSAFE_ELSEWHERE = _unsafe("")
#: an ASCII character as `quote` writes it encoded
_ASCII_PERCENT = {chr(code): "%{:02X}".format(code) for code in range(128)}


def sql_literals(text: str) -> list[tuple[int, int]]:
    """(start, end) of the contents of every single-quoted literal (quotes excluded)."""
    return [(m.start() + 1, m.end() - 1) for m in _SQL_LITERAL.finditer(text) if m.end() - m.start() > 2]


@dataclass(slots=True)
class Rebuild:
    """Writes a URL back once its pieces are replaced (a finalizer), only if one changed."""

    raw: list[str]
    setter: Callable[[str], None]
    changed: bool = False

    def piece_setter(self, piece: Piece):
        def set_piece(value: str) -> None:
            self.raw[piece.index] = encode(value, piece.kind)
            self.changed = True
        return set_piece

    def __call__(self) -> None:
        if self.changed:
            self.setter("".join(self.raw))
