"""`${env:VAR}` and `${env:VAR:-default}` expansion, as the Collector's confmap does.

Expansion happens on the parsed YAML tree, in string values only, so a value
can never inject YAML structure. `$$` is a literal `$`. An unset variable with
no default expands to the empty string (and the key's own validation then says
what is wrong with an empty value), exactly like the Collector.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

_REFERENCE = re.compile(r"\$\$|\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}")


class ExpansionError(ValueError):
    pass


def expand_string(value: str, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group(3) is not None:
            raise ExpansionError(f"unsupported reference ${{{match.group(3)}}}: use ${{env:VAR}} or ${{env:VAR:-default}}")
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if found is None or (found == "" and default is not None):
            return default if default is not None else ""
        return found

    return _REFERENCE.sub(replace, value)


def expand(node: Any, environ: Mapping[str, str] | None = None, path: str = "", errors: list[str] | None = None) -> Any:
    """Return a copy of the YAML tree with every env reference expanded; problems go to `errors`."""
    environ = os.environ if environ is None else environ
    errors = [] if errors is None else errors
    if isinstance(node, dict):
        return {key: expand(value, environ, f"{path}::{key}" if path else str(key), errors) for key, value in node.items()}
    if isinstance(node, list):
        return [expand(value, environ, f"{path}::{i}", errors) for i, value in enumerate(node)]
    if isinstance(node, str) and "$" in node:
        try:
            return _typed(expand_string(node, environ), whole=_REFERENCE.fullmatch(node) is not None)
        except ExpansionError as exc:
            errors.append(f"{path}: {exc}")
            return node
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
