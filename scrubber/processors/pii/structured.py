"""JSON held in string attributes: parse, and write back in the same style.

Scrubbing changes only string leaves, so re-serializing the parsed document
keeps its structure (same keys, same array lengths). The writer copies the
source's style where it is visible (compact or spaced separators, `\\uXXXX`
escapes or raw UTF-8) so that diffs against the original stay readable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SPACED = re.compile(r'"\s*:\s+|,\s+["\[{\d-]')


@dataclass(frozen=True, slots=True)
class JSONStyle:
    separators: tuple[str, str]
    ensure_ascii: bool

    @classmethod
    def of(cls, text: str) -> "JSONStyle":
        spaced = _SPACED.search(text) is not None
        return cls((", ", ": ") if spaced else (",", ":"), "\\u" in text)

    def dumps(self, document: Any) -> str:
        return json.dumps(document, separators=self.separators, ensure_ascii=self.ensure_ascii)


def looks_like_json(text: str) -> bool:
    """An object or array by its first and last characters (cheap, before parsing)."""
    stripped = text.strip()
    return len(stripped) >= 2 and (stripped[0], stripped[-1]) in (("{", "}"), ("[", "]"))


#: deeper JSON is treated as invalid (redacted whole, fail closed): the walk and the
#: writer recurse once per level and must stay far from Python's recursion limit
MAX_DEPTH = 64


def parse(text: str) -> Any:
    """The document, or raise ValueError (also when nested deeper than `MAX_DEPTH`)."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(document) > MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    return document


def _depth(document: Any) -> int:
    """Nesting depth, without recursion (the document may be thousands deep)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return depth
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest
