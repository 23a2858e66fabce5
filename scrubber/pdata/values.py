"""Python values to OTLP AnyValue / KeyValue: one converter for every component and test."""

from __future__ import annotations

from typing import Any, Mapping

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


def any_value(value: Any) -> AnyValue:
    """bool, int, float, str, bytes, mappings (kvlist) and sequences (array), at any depth;
    an AnyValue is returned as is; anything else becomes its string."""
    if isinstance(value, AnyValue):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    result = AnyValue()
    if isinstance(value, Mapping):
        result.kvlist_value.values.extend(key_value(k, v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        result.array_value.values.extend(any_value(v) for v in value)
    else:
        result.string_value = str(value)
    return result


def key_value(key: str, value: Any) -> KeyValue:
    return KeyValue(key=key, value=any_value(value))
