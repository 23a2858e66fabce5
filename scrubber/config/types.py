"""Value types shared by component configs, written as users write them in the
Collector's YAML: durations as `5s` / `200ms` / `1m`, endpoints as `host:port`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)\s*$")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """`5s`, `200ms`, `1.5m`, `1h` (or a bare number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration such as '5s' or '200ms' is expected")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration such as '5s' or '200ms'")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


#: a duration in seconds, written as "5s" in YAML
Duration = Annotated[float, BeforeValidator(parse_duration)]

_ENDPOINT = re.compile(r"^(?:\[(?P<ip6>[0-9a-fA-F:.]+)\]|(?P<host>[A-Za-z0-9_.\-]*)):(?P<port>\d{1,5})$")


def parse_endpoint(value: object) -> str:
    """`host:port` (host may be empty or `0.0.0.0` for all interfaces, `[::1]:4317` for IPv6)."""
    if not isinstance(value, str):
        raise ValueError("an endpoint 'host:port' string is expected")
    match = _ENDPOINT.match(value.strip())
    if not match or not 0 < int(match.group("port")) < 65536:
        raise ValueError(f"{value!r} is not an endpoint 'host:port' with a port in 1..65535")
    return value.strip()


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """`host:port` -> (host, port); an empty host means all interfaces."""
    host, _, port = endpoint.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


#: a listen or dial address 'host:port'
Endpoint = Annotated[str, BeforeValidator(parse_endpoint)]

_URL = re.compile(r"^(?:https?)://[^\s/]+(?:/\S*)?$")


def parse_url(value: object) -> str:
    if not isinstance(value, str) or not _URL.match(value.strip()):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip().rstrip("/")


#: an http(s) URL, e.g. for the otlphttp exporter
HttpURL = Annotated[str, BeforeValidator(parse_url)]

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


def parse_path(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("path must not be empty")
    return value


#: a file or directory path that must not be empty
NonEmptyPath = Annotated[str, BeforeValidator(parse_path)]
