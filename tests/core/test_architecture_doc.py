"""ARCHITECTURE.md cannot rot silently.

The page is a newcomer's map, and a map that names a moved file or a renamed class sends
them the wrong way without anyone noticing. So every inline `code` span of it is checked
against the tree (fenced blocks are code, not references):

- a path (`scrubber/service/graph.py`, `scrubber/processors/<name>/`) must exist; `<...>` and
  `*` stand for any one name, of which at least one must exist. `type/name` component ids and
  pipeline names (`otlp/eu`, `traces/global`) are not paths;
- `scrubber.x.y` must be a module (and attribute) of the package, or an entry-point group
  declared in pyproject.toml;
- `Class.member` must be a class of the package with that member;
- any other name (`mutates_data`, `deployment_errors()`, `pool:`, `--strict`) must occur in the
  code (the package's Python and YAML, pyproject.toml, the Makefile), and a dotted config key
  (`sending_queue.storage`) be made of fields of the package's classes, so a renamed key or
  counter is caught;
- `make TARGET` must be a Makefile target, `scrubber COMMAND` a command of the CLI.

And every ```python block (the plug-in example) runs, its assertions included.
"""

from __future__ import annotations

import ast
import functools
import re
import tomllib
from pathlib import Path

import pytest

from scrubber.cli import build_parser
from scrubber.pdata import Signal
from scrubber.registry import Registry
from tests.core.test_import_cycles import ROOT

DOC = ROOT / "ARCHITECTURE.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
NAME = re.compile(r"-{0,2}[A-Za-z_][\w.-]*(\(\))?:?")
SUFFIXES = (".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".gz", ".json", ".sh")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def inline_spans() -> list[str]:
    """Every inline code span outside fenced blocks, in order, once each."""
    return list(dict.fromkeys(INLINE.findall(FENCE.sub("", doc_text()))))


def python_blocks() -> list[str]:
    return [body for lang, body in FENCE.findall(doc_text()) if lang == "python"]


@functools.cache
def id_prefixes() -> frozenset[str]:
    """Component types and signal names: `otlp/eu` and `traces/global` are ids, not paths."""
    registry = Registry.from_entry_points()
    return frozenset({t for kind in registry.factories for t in registry.types(kind)} | {s.value for s in Signal})


def is_path(span: str) -> bool:
    if " " in span or "::" in span or span.startswith(("/", "$", "<", "(")):
        return False
    if "/" not in span:
        return span.endswith(SUFFIXES) or (ROOT / span).exists()
    head, _, rest = span.partition("/")
    return not (head in id_prefixes() and "/" not in rest.rstrip("/"))


def path_exists(span: str) -> bool:
    pattern = re.sub(r"<[^>/]+>", "*", span.rstrip("/"))
    return any(ROOT.glob(pattern)) if "*" in pattern else (ROOT / pattern).exists()


# ---- what the code defines ---------------------------------------------------------------------
@functools.cache
def package_files() -> tuple[Path, ...]:
    return tuple(sorted((ROOT / "scrubber").rglob("*.py")))


@functools.cache
def code_corpus() -> str:
    files = [*package_files(), *(ROOT / "scrubber").rglob("*.yaml"), ROOT / "pyproject.toml", ROOT / "Makefile"]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def in_code(word: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", code_corpus()) is not None


def defined_names(body: list[ast.stmt]) -> set[str]:
    """Names a module or class body defines: functions, classes, assignments, imports."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


@functools.cache
def class_members() -> dict[str, set[str]]:
    """Class name -> members, over every class of the package (same-named classes merged)."""
    members: dict[str, set[str]] = {}
    for path in package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                members.setdefault(node.name, set()).update(defined_names(node.body))
    return members


@functools.cache
def entry_point_groups() -> frozenset[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return frozenset(project["entry-points"])


def module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def resolves_in_package(dotted: str) -> bool:
    """`scrubber.a.b[.Name[.member]]` or `scrubber.a.b:Name`: a module, then names defined in it."""
    if dotted in entry_point_groups():
        return True
    parts = dotted.replace(":", ".").split(".")
    for split in range(len(parts), 0, -1):
        path = module_file(parts[:split])
        if path is None:
            continue
        rest = parts[split:]
        if not rest:
            return True
        body = ast.parse(path.read_text(encoding="utf-8")).body
        return rest[0] in defined_names(body) and (len(rest) == 1 or rest[1] in class_members().get(rest[0], set()))
    return False


def name_exists(span: str) -> bool:
    name = span.removesuffix(":").removesuffix("()")
    if name.startswith("scrubber."):
        return resolves_in_package(name)
    owner, _, member = name.partition(".")
    if owner[:1].isupper() and member and "." not in member:
        return member in class_members().get(owner, set())
    return in_code(name) or is_key_path(name)


def is_key_path(name: str) -> bool:
    """A config key path written the Collector's dotted way (`sending_queue.storage`): every part
    is a field of some config model of the package."""
    fields = set().union(*class_members().values())
    return "." in name and all(part in fields for part in name.split("."))


def command_exists(span: str) -> bool | None:
    """True/False for `make TARGET` and `scrubber COMMAND` spans, None for any other span."""
    tool, _, rest = span.partition(" ")
    if tool == "make" and rest:
        return re.search(rf"^{re.escape(rest)}:", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M) is not None
    if tool == "scrubber" and rest:
        commands = next(a for a in build_parser()._actions if a.dest == "command").choices
        return rest.split()[0] in commands
    return None


# ---- the checks --------------------------------------------------------------------------------
def test_every_path_in_backticks_exists():
    paths = [span for span in inline_spans() if is_path(span)]
    assert len(paths) > 40, f"the path pattern no longer finds the page's paths: {paths}"
    missing = [p for p in paths if not path_exists(p)]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_name_in_backticks_is_in_the_code():
    names = [span for span in inline_spans() if not is_path(span) and NAME.fullmatch(span)]
    assert len(names) > 80, f"the name pattern no longer finds the page's names: {names}"
    unknown = [n for n in names if not name_exists(n)]
    assert not unknown, f"ARCHITECTURE.md names what the code does not define: {unknown}"


def test_every_command_in_backticks_exists():
    checked = {span: command_exists(span) for span in inline_spans()}
    commands = {span: found for span, found in checked.items() if found is not None}
    assert any(s.startswith("make ") for s in commands) and any(s.startswith("scrubber ") for s in commands)
    unknown = [span for span, found in commands.items() if not found]
    assert not unknown, f"ARCHITECTURE.md names commands that do not exist: {unknown}"


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_the_python_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever it writes stays out of the checkout
    code = compile(python_blocks()[index], f"{DOC.name} python block {index + 1}", "exec")
    exec(code, {"__name__": f"architecture_example_{index}"})


def test_the_page_has_its_plug_in_example_and_the_readme_points_to_it():
    assert any("Factory(" in block and "flow=" in block for block in python_blocks())
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_checks_catch_rot():
    """The rules themselves: a moved path, a renamed name and an id are told apart."""
    assert is_path("scrubber/service/graph.py") and path_exists("scrubber/service/graph.py")
    assert path_exists("scrubber/processors/<name>/") and not path_exists("scrubber/processors/pii/graph.py")
    assert not is_path("otlp/eu") and not is_path("traces/global") and is_path("processors/pii/")
    assert name_exists("Capabilities") and name_exists("Host.shared") and name_exists("scrubber.dataflow.ProcessorFlow")
    assert not name_exists("Host.shard") and not name_exists("scrubber.dataflow.ProcessFlow")
    assert not name_exists("mutates_dat") and name_exists("scrubber.config_checks")
    assert name_exists("sending_queue.storage") and not name_exists("sending_queue.storag")
    assert command_exists("make lint-python") and not command_exists("make lint-all")
