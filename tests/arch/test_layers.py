"""The layers hold by rule: the import-linter contract in pyproject.toml (the layers), no import cycle
between any two of our modules, and no import of ours hidden inside a function (the usual way a
cycle is dodged rather than removed)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("frontdesk", "bot", "desk", "kb", "storage", "emulator")
# The command line imports a command's machinery only when that command runs, so `frontdesk --help`
# and the quick commands start without loading aiogram, Alembic or the FAQ matcher; the application
# imports its Redis parts (and with them redis-py, ~6 MB) only when storage.fsm_url asks for Redis.
LAZY_ON_PURPOSE = {"frontdesk/cli.py", "frontdesk/app.py"}


def test_the_layer_contract_is_kept():
    result = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                             "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_two_modules_import_each_other_even_through_others():
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c", "d"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert cycles(graph) == [["a", "b", "c"]]


def hidden_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`module:line` of each import of our packages inside a function of the file at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            found += [f"{path.relative_to(root)}:{inner.lineno} {name}" for name in names
                      if name.split(".")[0] in PACKAGES]
    return found


def test_no_import_of_ours_is_hidden_inside_a_function():
    hidden = [line for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
              if str(path.relative_to(ROOT)) not in LAZY_ON_PURPOSE for line in hidden_imports(path)]
    assert hidden == []


def test_the_hidden_import_finder_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import bot\n\n\nasync def f():\n    from desk import lifecycle\n    import json\n",
                      encoding="utf-8")
    assert hidden_imports(sample, tmp_path) == ["sample.py:5 desk"]
