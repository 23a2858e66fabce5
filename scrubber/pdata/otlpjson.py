"""The OTLP/JSON encoding (OTLP spec, "JSON Protobuf Encoding").

It is protobuf's canonical JSON mapping with two differences that protobuf's
own `json_format` does not know: trace and span ids are lowercase hex, not
base64, and enums are integers. This module is the one place that knows them;
the HTTP receiver, the file exporter and `scrubber scan` all go through it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from google.protobuf import json_format

from scrubber.errors import PermanentError
from scrubber.pdata import Request, Signal

# Every bytes field of the OTLP data model that the spec encodes as hex.
_HEX_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


class OTLPJSONError(PermanentError, ValueError):
    """The text is not a valid OTLP/JSON export request; the message says where. Permanent: the
    same text never parses (a receiver answers 400); still a ValueError for callers that parse."""


def _walk(node: Any, convert) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_KEYS and isinstance(value, str):
                node[key] = convert(key, value)
            else:
                _walk(value, convert)
    elif isinstance(node, list):
        for value in node:
            _walk(value, convert)


def _hex_to_b64(key: str, value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    except ValueError as exc:
        raise OTLPJSONError(f"{key}: not a hex id") from exc


def _b64_to_hex(_key: str, value: str) -> str:
    return base64.b64decode(value).hex()


def request_from_dict(signal: Signal, data: Any) -> Request:
    """Build an export request from decoded OTLP/JSON (the dict is modified in place)."""
    if not isinstance(data, dict):
        raise OTLPJSONError(f"an OTLP/JSON {signal} request must be a JSON object")
    request = signal.new_request()
    try:
        _walk(data, _hex_to_b64)
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, TypeError) as exc:
        raise OTLPJSONError(str(exc)) from exc
    except RecursionError as exc:
        raise OTLPJSONError("nested too deeply") from exc
    return request


def loads(signal: Signal, text: str | bytes) -> Request:
    """Parse one OTLP/JSON export request."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OTLPJSONError(f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise OTLPJSONError("malformed JSON: nested too deeply") from exc
    return request_from_dict(signal, data)


def request_to_dict(request: Request) -> dict:
    data = json_format.MessageToDict(request, use_integers_for_enums=True)
    _walk(data, _b64_to_hex)
    return data


def dumps(request: Request) -> str:
    """Serialize one export request as compact OTLP/JSON (one line, no trailing newline)."""
    return json.dumps(request_to_dict(request), separators=(",", ":"), ensure_ascii=False)


_TOP_KEYS = {"resourceSpans": Signal.TRACES, "resourceMetrics": Signal.METRICS, "resourceLogs": Signal.LOGS}


def sniff_signal(data: dict) -> Signal:
    """Which signal a decoded OTLP/JSON request carries, from its top-level key."""
    for key, signal in _TOP_KEYS.items():
        if key in data or key.replace("resource", "resource_").lower() in data:
            return signal
    raise OTLPJSONError("not an OTLP/JSON export request: no resourceSpans, resourceMetrics or resourceLogs")


def load_line(line: str) -> tuple[Signal, Request]:
    """Parse one line of an OTLP/JSON lines file whose signal is not known in advance."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise OTLPJSONError(f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise OTLPJSONError("malformed JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise OTLPJSONError("an OTLP/JSON request must be a JSON object")
    signal = sniff_signal(data)
    return signal, request_from_dict(signal, data)
