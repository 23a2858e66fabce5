"""No import circle among `scrubber.*` modules.

When two modules need each other, the shared part belongs in a third, or one side takes a
callable (conventions: "No import circles"). A circle works only while every module in it
happens to be imported in a lucky order; the first newcomer who imports the other side first
gets "partially initialized module".

Two checks:

- statically, from the source with `ast`: the graph of module-level imports (what runs when a
  module is imported, and `if TYPE_CHECKING:` imports too: a type checker follows them, and a
  circle hidden from the interpreter is still one in the design) has no strongly connected
  component, except the circles listed in `KNOWN_CYCLES`, which their owners are removing.
  Imports inside functions are allowed (they run later); `deferred_imports` lists them so that
  a reviewer sees where a dependency was pushed down rather than removed.
- dynamically: every module imports on its own, each in a clean `sys.modules` (a few
  subprocesses, each purging `scrubber*` between two modules).

`python -m tests.core.test_import_cycles` prints the circles and the deferred imports.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "scrubber"

#: circles that are known and being removed, each as (its modules, who removes it): a subset
#: of one of these passes, anything else fails; a stale entry only warns. Empty since issue 9
#: removed the last ones (otlp receiver <-> its servers, pii offload <-> processor, residency
#: <-> config loader); keep it so, and add an entry only with an owner and a plan.
KNOWN_CYCLES: list[tuple[frozenset[str], str]] = []


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the scrubber module it needs
    line: int


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """{dotted name: file} of the package's modules; the test packages beside the processors
    are not part of the package (pyproject excludes them) and `__main__` runs on import."""
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "tests" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _statements(body: list[ast.stmt], deferred: bool):
    """(statement, runs later?) for every import in `body`, descending into the blocks of the
    module level (if, try, with, class bodies) and marking what sits in a function as deferred."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, deferred
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _statements(node.body, True)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, None) or []:
                    inner = child.body if isinstance(child, (ast.ExceptHandler, ast.match_case)) else [child]
                    yield from _statements(inner, deferred)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The scrubber modules an import statement loads (a `from X import name` of a submodule
    loads the submodule; of anything else, X itself)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [name if name in known else base for name in names]


def scan(root: Path = ROOT) -> tuple[list[Import], list[Import]]:
    """(module-level imports, imports inside functions) between the package's modules."""
    files = module_files(root)
    known = set(files)
    eager: dict[Import, None] = {}  # ordered sets: `from X import a, b` is one dependency
    deferred: dict[Import, None] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, later in _statements(tree.body, False):
            for target in _targets(node, module, path.name == "__init__.py", known):
                if target in known and target != module:
                    (deferred if later else eager)[Import(module, target, node.lineno)] = None
    return list(eager), list(deferred)


def strongly_connected(edges: list[Import]) -> list[frozenset[str]]:
    """Tarjan's strongly connected components with more than one module: each is a circle (or
    several entangled ones)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the module count (~200)
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(component: frozenset[str], edges: list[Import]) -> str:
    """The component's modules and the imports that tie them, with line numbers."""
    inside = sorted((e for e in edges if e.source in component and e.target in component),
                    key=lambda e: (e.source, e.line))
    lines = [f"  {e.source}:{e.line} imports {e.target}" for e in inside]
    return "circle among " + ", ".join(sorted(component)) + ":\n" + "\n".join(lines)


def unexpected_cycles(components: list[frozenset[str]]) -> list[frozenset[str]]:
    return [c for c in components if not any(c <= known for known, _ in KNOWN_CYCLES)]


def test_no_import_cycle_at_module_level():
    eager, _ = scan()
    components = strongly_connected(eager)
    new = unexpected_cycles(components)
    assert not new, "new import circle(s); put the shared part in a third module, or pass a callable:\n" + \
        "\n".join(describe(c, eager) for c in new)
    for known, owner in KNOWN_CYCLES:
        if not any(c <= known for c in components):
            warnings.warn(f"KNOWN_CYCLES: {sorted(known)} ({owner}) is gone; remove the entry", stacklevel=1)


def test_the_checker_finds_circles_also_through_type_checking_but_not_through_functions(tmp_path):
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "a.py").write_text("from scrubber.sub import b\n")
    (package / "sub" / "b.py").write_text("try:\n    import scrubber.c\nexcept ImportError:\n    pass\n")
    (package / "c.py").write_text("from scrubber import a\n")
    (package / "d.py").write_text("def later():\n    import scrubber.e\n")
    (package / "e.py").write_text("import scrubber.d\n")
    (package / "f.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from scrubber.g import G\n")
    (package / "g.py").write_text("from scrubber.f import *\n")
    eager, deferred = scan(tmp_path)
    assert sorted(map(sorted, strongly_connected(eager))) == [
        ["scrubber.a", "scrubber.c", "scrubber.sub.b"], ["scrubber.f", "scrubber.g"]]
    assert Import("scrubber.sub", "scrubber.sub.b", 1) in eager  # relative import of a submodule
    assert deferred == [Import("scrubber.d", "scrubber.e", 2)]


_IMPORT_EACH = """
import importlib, json, sys, traceback
failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "scrubber" or m.startswith("scrubber.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as error:
        failures[name] = traceback.format_exception_only(type(error), error)[-1].strip()
print(json.dumps(failures))
"""


def test_every_module_imports_on_its_own():
    """Each module first in a clean interpreter state (third-party modules stay cached, so a
    few processes suffice): a circle shows as 'partially initialized module'."""
    names = sorted(module_files())
    chunks = [names[i::3] for i in range(3)]
    processes = [subprocess.Popen([sys.executable, "-c", _IMPORT_EACH, json.dumps(chunk)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for chunk in chunks]
    failures = {}
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        failures.update(json.loads(out.strip().splitlines()[-1]))
    assert not failures, "\n".join(f"{name}: {why}" for name, why in sorted(failures.items()))


if __name__ == "__main__":
    found_eager, found_deferred = scan()
    print("module-level circles:")
    for component in strongly_connected(found_eager):
        print(describe(component, found_eager))
    print("circles only through imports inside functions (allowed, but a smell):")
    for component in strongly_connected(found_eager + found_deferred):
        if not any(component <= c for c in strongly_connected(found_eager)):
            print(describe(component, found_eager + found_deferred))
    print("imports inside functions (allowed):")
    for imp in sorted(found_deferred, key=lambda i: (i.source, i.line)):
        print(f"  {imp.source}:{imp.line} imports {imp.target}")
