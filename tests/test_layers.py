"""The package's layers: each module imports only modules of its own or a lower layer, the
import graph has no cycle, and no fsql import hides inside a function or a TYPE_CHECKING block
(where it would hide the graph instead of showing it)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fsql"
# Lower layers first. A module may import its own layer and those above it in this list.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("fsql.errors", "fsql.version"),
    ("fsql.dtypes", "fsql.durations"),
    ("fsql.expr",),
    ("fsql.dsl",),
    ("fsql.plan",),
    ("fsql.sql", "fsql.oracle"),
    ("fsql.engines",),
    ("fsql.materialize",),
    ("fsql.online",),
    ("fsql.repo",),
    ("fsql.dbt",),
    ("fsql.discovery", "fsql.contracts", "fsql.monitor", "fsql.checks"),
    ("fsql.cli", "fsql"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                    best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer of tests/test_layers.py"
    return best[0]


def _imports(tree: ast.Module) -> tuple[list[str], list[tuple[int, str]]]:
    """fsql modules imported at module level, and (line, module) of those imported elsewhere
    (inside a function, a class body or an ``if TYPE_CHECKING:`` block)."""
    top: list[str] = []
    hidden: list[tuple[int, str]] = []

    def names(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        return [node.module or ""]

    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            top += [n for n in names(node) if n.split(".")[0] == "fsql"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node not in tree.body:
            hidden += [(node.lineno, n) for n in names(node) if n.split(".")[0] == "fsql"]
    return top, hidden


def _graph() -> dict[str, list[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        top, _ = _imports(ast.parse(path.read_text()))
        graph[_module_name(path)] = top
    return graph


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_only_its_own_or_lower_layers(path: Path) -> None:
    module = _module_name(path)
    top, hidden = _imports(ast.parse(path.read_text()))
    assert not hidden, f"{module} imports fsql modules outside module level: {hidden}"
    upward = [m for m in top if _layer(m) > _layer(module)]
    assert not upward, f"{module} (layer {_layer(module)}) imports a higher layer: {upward}"


def test_import_graph_has_no_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        if state.get(module) == 2 or module not in graph:
            return
        assert state.get(module) != 1, f"import cycle: {' -> '.join([*trail, module])}"
        state[module] = 1
        for dep in graph[module]:
            visit(dep, [*trail, module])
        state[module] = 2

    for module in graph:
        visit(module, [])


def test_every_module_has_a_docstring() -> None:
    missing = [str(p.relative_to(PACKAGE.parent)) for p in MODULES
               if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring (say what the module's one job is): {missing}"


def test_the_module_map_names_every_module() -> None:
    """docs/architecture.md lists every module with its job: a new module must be added."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(PACKAGE.parent)) for p in MODULES
               if p.name != "__init__.py" and f"`{p.relative_to(PACKAGE.parent)}`" not in text]
    assert not missing, f"add these modules to the module map in docs/architecture.md: {missing}"


def test_every_package_is_installed() -> None:
    """pyproject.toml lists each package explicitly (dialects/ is mapped into fsql.dialects):
    a package left out would be missing from a non-editable install."""
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert packages <= listed, f"add to [tool.setuptools] packages: {sorted(packages - listed)}"
