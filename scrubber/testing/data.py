"""Test data: the shared GenAI fixtures when present, and synthetic requests.

`fixture_requests(signal)` loads `instrumented/*/<signal>.jsonl` from the
directory named by `SCRUBBER_FIXTURES`, `tests/fixtures` in the repository, or
the team's `../shared/fixtures`; `planted_values()` the personal values planted
in them. `synthetic_request(signal, n, marker)` builds a request of `n` items
whose every item carries `marker` (to find it downstream) and an optional
`payload` string attribute (to make it large or compressible).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrubber.pdata import Request, Signal, items, otlpjson

_REPO = Path(__file__).resolve().parents[2]


def fixtures_dir() -> Path | None:
    candidates = [os.environ.get("SCRUBBER_FIXTURES"), _REPO / "tests" / "fixtures", _REPO.parent / "shared" / "fixtures"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "instrumented").is_dir():
            return Path(candidate) / "instrumented"
    return None


def require_fixtures_dir() -> Path:
    """The fixtures directory; tests that need it fail loudly (never skip) when it is absent."""
    root = fixtures_dir()
    if root is None:
        raise FileNotFoundError("GenAI fixtures not found: set SCRUBBER_FIXTURES or put shared/ beside the repository")
    return root


def fixture_requests(signal: Signal) -> list[Request]:
    root = fixtures_dir()
    if root is None:
        return []
    requests = []
    for path in sorted(root.glob(f"*/{signal.value}.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                requests.append(otlpjson.loads(signal, line))
    return requests


def planted_values() -> list[str]:
    root = fixtures_dir()
    if root is None:
        return []
    values: set[str] = set()
    for path in root.glob("*/planted.json"):
        values.update(entry["value"] for entry in json.loads(path.read_text(encoding="utf-8")))
    return sorted(values)


def _attribute(attributes, key: str, value: str) -> None:
    attribute = attributes.add()
    attribute.key = key
    attribute.value.string_value = value


def synthetic_request(signal: Signal, n: int = 3, marker: str = "m", payload: str = "") -> Request:
    request = signal.new_request()
    if signal == Signal.TRACES:
        scope = request.resource_spans.add().scope_spans.add()
        for i in range(n):
            span = scope.spans.add(name=f"span-{i}", trace_id=bytes([i % 256 + 1]) * 16, span_id=bytes([i % 256 + 1]) * 8)
            _attribute(span.attributes, "marker", marker)
            if payload:
                _attribute(span.attributes, "payload", payload)
    elif signal == Signal.LOGS:
        scope = request.resource_logs.add().scope_logs.add()
        for i in range(n):
            record = scope.log_records.add(time_unix_nano=i + 1)
            record.body.string_value = payload or f"log {i}"
            _attribute(record.attributes, "marker", marker)
    else:
        metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="requests")
        for i in range(n):
            point = metric.sum.data_points.add(as_int=i, time_unix_nano=i + 1)
            _attribute(point.attributes, "marker", marker)
            if payload:
                _attribute(point.attributes, "payload", payload)
    return request


def markers(requests) -> list[str]:
    """The `marker` attribute of every item of the given requests (to count duplicates)."""
    found: list[str] = []
    for request in requests:
        for _resource, _scope, item in items(request):
            found.extend(a.value.string_value for a in item.attributes if a.key == "marker")
    return found
