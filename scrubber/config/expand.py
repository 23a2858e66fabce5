"""`${...}` references in config values, as the Collector's confmap resolves them.

- `${env:VAR}`, `${VAR}` (the env provider is the default scheme), with an optional
  default: `${env:VAR:-default}`, `${VAR:-default}`;
- `${file:PATH}`: the content of a file (one trailing newline dropped), e.g. a token
  mounted from a Secret;
- `$$` is a literal `$`.

Expansion happens on the parsed YAML tree, in string values only, so a value can
never inject YAML structure. An unset variable with no default expands to the empty
string, as in the Collector, and is remembered by key path: the loader then names the
variable in the error of the key it left empty, instead of `'' is not an endpoint`.
Other schemes (`${http:...}`, `${yaml:...}`) are errors that name the ones supported.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from scrubber.errors import ScrubberError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(r"\$\$|\$\{(?:env:)?(" + _NAME + r")(?::-([^}]*))?\}|\$\{file:([^}]+)\}|\$\{([^}]*)\}")


class ExpansionError(ScrubberError, ValueError):
    pass


class Expansion:
    """The outcome of expanding one tree: problems, and unset variables by key path."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unset: dict[str, list[str]] = {}


def expand_string(value: str, environ: Mapping[str, str], unset: list[str] | None = None) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group(3) is not None:
            return _read_file(match.group(3).strip())
        if match.group(4) is not None:
            raise ExpansionError(f"unsupported reference ${{{match.group(4)}}}: use ${{env:VAR}}, ${{VAR}}, "
                                 f"${{env:VAR:-default}} or ${{file:PATH}}")
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if found is None or (found == "" and default is not None):
            if default is None and unset is not None:
                unset.append(name)
            return default if default is not None else ""
        return found

    return _REFERENCE.sub(replace, value)


def _read_file(path: str) -> str:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ExpansionError(f"${{file:{path}}}: cannot read the file: {exc.strerror or exc}") from None
    return text[:-1] if text.endswith("\n") else text


def expand(node: Any, environ: Mapping[str, str] | None = None, path: str = "", errors: list[str] | None = None,
           expansion: Expansion | None = None) -> Any:
    """Return a copy of the YAML tree with every reference expanded; problems go to `errors`
    (or `expansion.errors`), unset variables to `expansion.unset`."""
    environ = os.environ if environ is None else environ
    expansion = expansion or Expansion()
    if errors is not None:
        expansion.errors = errors
    return _walk(node, environ, path, expansion)


def _walk(node: Any, environ: Mapping[str, str], path: str, expansion: Expansion) -> Any:
    if isinstance(node, dict):
        return {key: _walk(value, environ, f"{path}::{key}" if path else str(key), expansion) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value, environ, f"{path}::{i}", expansion) for i, value in enumerate(node)]
    if isinstance(node, str) and "$" in node:
        unset: list[str] = []
        try:
            result = _typed(expand_string(node, environ, unset), whole=_REFERENCE.fullmatch(node) is not None)
        except ExpansionError as exc:
            expansion.errors.append(f"{path}: {exc}")
            return node
        if unset:
            expansion.unset[path] = unset
        return result
    return node


_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?$")


def _typed(value: str, whole: bool) -> Any:
    """A value that was only a reference takes the type of what it expands to when
    that is a plain number or boolean (`${env:SIZE}` -> 512), as in the Collector."""
    if not whole:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _NUMBER.match(value):
        return float(value) if "." in value else int(value)
    return value
