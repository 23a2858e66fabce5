"""Which data subject an item is about, from its attributes.

The configured attributes are tried in order on the item (span, log record,
data point), then on its resource, as the jurisdiction is: the item's own
attribute wins. `a.b` where `a` is a JSON attribute (the OpenAI `user` inside
`llm.invocation_parameters`) means the string field `b` of that JSON object.
Only string and integer values name a subject; an empty one names none.
"""

from __future__ import annotations

import json
from typing import Iterable

#: attributes that hold a JSON object whose field names the subject
JSON_ATTRIBUTES = ("llm.invocation_parameters",)


class SubjectResolver:
    def __init__(self, attributes: Iterable[str]):
        self.order: dict[str, int] = {}  # plain attribute key -> rank
        self.json: dict[str, dict[str, int]] = {}  # JSON attribute key -> {field: rank}
        for rank, name in enumerate(attributes):
            holder = next((j for j in JSON_ATTRIBUTES if name.startswith(j + ".")), None)
            if holder is None:
                self.order.setdefault(name, rank)
            else:
                self.json.setdefault(holder, {}).setdefault(name[len(holder) + 1:], rank)
        self.keys = frozenset(self.order) | frozenset(self.json)

    def of(self, attributes, fallback: str | None = None) -> str | None:
        """The subject id named by `attributes` (KeyValues), else `fallback`."""
        best, best_rank = None, len(self.order) + sum(map(len, self.json.values()))
        keys = self.keys
        for kv in attributes:
            key = kv.key
            if key not in keys:
                continue
            rank = self.order.get(key)
            if rank is not None:
                if rank < best_rank:
                    value = _text(kv.value)
                    if value:
                        best, best_rank = value, rank
            else:
                found = self._from_json(kv.value, self.json[key], best_rank)
                if found is not None:
                    best, best_rank = found
        return best if best is not None else fallback

    @staticmethod
    def _from_json(any_value, fields: dict[str, int], best_rank: int) -> tuple[str, int] | None:
        if any_value.WhichOneof("value") != "string_value":
            return None
        try:
            document = json.loads(any_value.string_value)
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        found = None
        for name, rank in fields.items():
            value = document.get(name)
            if rank < best_rank and isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                found, best_rank = (str(value).strip(), rank), rank
        return found


def _text(any_value) -> str | None:
    kind = any_value.WhichOneof("value")
    if kind == "string_value":
        return any_value.string_value.strip() or None
    if kind == "int_value":
        return str(any_value.int_value)
    return None
