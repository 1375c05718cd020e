"""Loading a feature repository from a directory: ``fsql.toml``, ``.fsqlignore``, and the
definitions its Python files hold (imported in isolation: nothing leaks into ``sys.modules``
or the next load)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import Entity, FeatureService, FeatureView, Source
from fsql.dsl.environments import check_environment_sources, parse_environments
from fsql.errors import DefinitionError

# The tables of fsql.toml: [project] and [environments.NAME] are read here; the others by the
# modules they configure, from Catalog.config ([online]: fsql.online; [monitoring]:
# fsql.monitor; [golden]: fsql.checks.settings).
TABLES = ("project", "environments", "targets", "online", "golden", "monitoring")


def load_into(catalog: Catalog, directory: str | Path, *,
              errors: list[DefinitionError] | None = None) -> None:
    """Import the ``.py`` files under ``directory`` into ``catalog``.

    Skipped: dot-directories, ``DEFAULT_EXCLUDE`` (tests, data, virtual environments...) and
    the globs of ``[project] exclude`` in ``fsql.toml`` and of ``.fsqlignore``. What
    definition files print goes to stderr: stdout stays the compiled SQL. With ``errors``,
    a file that fails is appended there and the others still load (``fsql validate``).
    """
    root = Path(directory).resolve()
    catalog.root = root
    if not root.is_dir():
        raise DefinitionError(
            f"Feature repository {str(directory)!r} is not a directory; pass --repo DIR"
        )
    configure(catalog, root / "fsql.toml")
    ignore = root / ".fsqlignore"
    if ignore.is_file():
        lines = (line.strip() for line in ignore.read_text().splitlines())
        catalog.exclude += tuple(line for line in lines if line and not line.startswith("#"))
    files = sorted(p for p in root.rglob("*.py") if not catalog.excluded(p.relative_to(root)))
    with _repo_modules(root, files) as names, redirect_stdout(sys.stderr):
        for path, name in zip(files, names, strict=True):
            try:
                for obj in _import_definitions(path, name):
                    catalog.add(obj)
            except DefinitionError as err:
                if errors is None:
                    raise
                errors.append(err)
    try:
        check_environment_sources(catalog.environments, catalog.sources,
                                  where=str(root / "fsql.toml"))
    except DefinitionError as err:
        if errors is None:
            raise
        errors.append(err)


def configure(catalog: Catalog, config: Path) -> None:
    """Read ``fsql.toml``: [project] name, dialect, exclude; [environments.NAME]. ([golden] is
    read by :mod:`fsql.checks.settings`.)"""
    if not config.exists():
        return
    try:
        data = tomllib.loads(config.read_text())
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
        raise DefinitionError(f"{config}: cannot read it as TOML: {err}") from None
    # [project] holds the settings; a file without it may hold them at the top level.
    project = data.get("project", {k: v for k, v in data.items() if k not in TABLES})
    if not isinstance(project, dict):
        raise DefinitionError(
            f"{config}: 'project' must be a table: write [project] with name = \"...\" "
            "and dialect = \"duckdb\" on the lines below it"
        )
    unknown = sorted(set(data) - set(TABLES)) if "project" in data else []
    if unknown:
        raise DefinitionError(
            f"{config}: unknown table {unknown[0]!r}; fsql.toml holds "
            f"{', '.join(f'[{t}]' for t in TABLES)}")
    catalog.config = {k: v for k, v in data.items() if k in TABLES}
    catalog.project = str(project.get("name", catalog.project))
    catalog.default_dialect = str(project.get("dialect", catalog.default_dialect))
    exclude = project.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise DefinitionError(
            f"{config}: [project] exclude must be a list of globs, e.g. "
            "exclude = [\"scripts\", \"generate_*.py\"]")
    catalog.exclude += tuple(exclude)
    catalog.environments = parse_environments(data.get("environments"), where=str(config))


@contextmanager
def _repo_modules(root: Path, files: list[Path]) -> Iterator[list[str]]:
    """Module names for the repository's files while it loads, so that one file can import
    another (``from entities import user``). Afterwards sys.modules and sys.path are as they
    were: nothing leaks into the next load, and a shadowed module is restored."""
    names = [".".join(p.relative_to(root).with_suffix("").parts) for p in files]
    saved = {n: sys.modules[n] for n in list(sys.modules)
             if n in names or any(n.startswith(f"{m}.") for m in names)}
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        yield names
    finally:
        sys.path.remove(str(root))
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if name in names or module_file.startswith(str(root)):
                del sys.modules[name]
        sys.modules.update(saved)


def _import_definitions(path: Path, module_name: str) -> list[Any]:
    """Execute one repository file (unless a sibling imported it already) and return the
    definitions it holds."""
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise DefinitionError(f"{path}: cannot be imported as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            try:
                spec.loader.exec_module(module)
            except BaseException:
                # As Python's import does: a file that failed is not left half-imported, so
                # a sibling importing it reports the same error instead of a missing name.
                sys.modules.pop(module_name, None)
                raise
        except SyntaxError as err:
            raise DefinitionError(
                f"{err.filename}:{err.lineno}: Python syntax error in the feature repository: "
                f"{err.msg}"
            ) from None
        except DefinitionError:
            raise
        except Exception as err:
            frames = [f for f in traceback.extract_tb(err.__traceback__)
                      if f.filename == str(path)]
            where = f"{path}:{frames[-1].lineno}" if frames else str(path)
            raise DefinitionError(
                f"{where}: importing the feature repository failed: {type(err).__name__}: {err}"
            ) from err
    kinds = (Entity, Source, FeatureView, FeatureService)
    return [v for v in vars(module).values() if isinstance(v, kinds)]
