"""A feature repository: a directory of Python files with definitions, plus ``fsql.toml``."""

from __future__ import annotations

import fnmatch
import importlib.util
import sys
import tomllib
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from fsql.definitions import Entity, FeatureService, FeatureView, Source, ViewProjection
from fsql.environments import Environment, check_environment_sources, parse_environments
from fsql.errors import CompileError, DefinitionError, did_you_mean
from fsql.plan import Cut, PointInTimePlan, SpineRef

# Never imported as definitions: helper and test code, data, environments, build output.
# Directories starting with a dot are skipped too. Add more in fsql.toml ([project] exclude)
# or in a .fsqlignore file (one glob per line, relative to the repository root).
DEFAULT_EXCLUDE = ("__pycache__", "data", "node_modules", "tests", "test", "venv",
                   "build", "dist", "site-packages", "conftest.py", "setup.py", "test_*.py",
                   "*_test.py")


@dataclass
class Repo:
    """Definitions collected from a feature repository.

    >>> repo = Repo.load("examples/fraud")            # doctest: +SKIP
    >>> sql = repo.compile("fraud_v1", spine="spine.parquet", dialect="duckdb")  # doctest: +SKIP
    """

    root: Path
    project: str = "fsql"
    default_dialect: str = "duckdb"
    entities: dict[str, Entity] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    views: dict[str, FeatureView] = field(default_factory=dict)
    services: dict[str, FeatureService] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE

    @classmethod
    def load(cls, directory: str | Path) -> Repo:
        """Import the ``.py`` files under ``directory`` and collect their definitions.

        Skipped: dot-directories, ``DEFAULT_EXCLUDE`` (tests, data, virtual environments...)
        and the globs of ``[project] exclude`` in ``fsql.toml`` and of ``.fsqlignore``. What
        definition files print goes to stderr: stdout stays the compiled SQL.
        """
        root = Path(directory).resolve()
        if not root.is_dir():
            raise DefinitionError(
                f"Feature repository {str(directory)!r} is not a directory; pass --repo DIR"
            )
        repo = cls(root=root)
        repo._configure(root / "fsql.toml")
        ignore = root / ".fsqlignore"
        if ignore.is_file():
            lines = (line.strip() for line in ignore.read_text().splitlines())
            repo.exclude += tuple(line for line in lines if line and not line.startswith("#"))
        files = sorted(p for p in root.rglob("*.py") if not repo.excluded(p.relative_to(root)))
        with _repo_modules(root, files) as names, redirect_stdout(sys.stderr):
            for path, name in zip(files, names, strict=True):
                for obj in _import_definitions(path, name):
                    repo.add(obj)
        check_environment_sources(repo.environments, repo.sources, where=str(root / "fsql.toml"))
        return repo

    def _configure(self, config: Path) -> None:
        """Read ``fsql.toml``: [project] name, dialect, exclude; [environments.NAME]."""
        if not config.exists():
            return
        try:
            data = tomllib.loads(config.read_text())
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
            raise DefinitionError(f"{config}: cannot read it as TOML: {err}") from None
        # [project] holds the settings; a file without it may hold them at the top level.
        project = data.get("project", {k: v for k, v in data.items()
                                       if k not in ("environments", "targets")})
        if not isinstance(project, dict):
            raise DefinitionError(
                f"{config}: 'project' must be a table: write [project] with name = \"...\" "
                "and dialect = \"duckdb\" on the lines below it"
            )
        unknown = sorted(set(data) - {"project", "environments", "targets"}) \
            if "project" in data else []
        if unknown:
            raise DefinitionError(
                f"{config}: unknown table {unknown[0]!r}; fsql.toml holds [project], "
                "[environments.NAME] and [targets.NAME]")
        self.project = str(project.get("name", self.project))
        self.default_dialect = str(project.get("dialect", self.default_dialect))
        exclude = project.get("exclude", [])
        if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
            raise DefinitionError(
                f"{config}: [project] exclude must be a list of globs, e.g. "
                "exclude = [\"scripts\", \"generate_*.py\"]")
        self.exclude += tuple(exclude)
        self.environments = parse_environments(data.get("environments"), where=str(config))
        from fsql.dialect import get_dialect

        for dialect in [self.default_dialect, *(e.dialect for e in self.environments.values()
                                                if e.dialect)]:
            try:
                get_dialect(dialect)
            except CompileError as err:
                raise DefinitionError(f"{config}: {err}") from None

    def excluded(self, relative: Path) -> bool:
        """Whether the repository file ``relative`` (to the root) is skipped when loading."""
        parts = relative.parts
        if any(part.startswith(".") for part in parts[:-1]):
            return True
        text = relative.as_posix()
        for pattern in self.exclude:
            pattern = pattern.strip("/")
            if fnmatch.fnmatch(text, pattern) or any(
                    fnmatch.fnmatch("/".join(parts[:n]), pattern) for n in range(1, len(parts))):
                return True
            if "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in parts):
                return True
        return False

    def environment(self, name: str | None) -> Environment | None:
        """The environment called ``name`` (None: the default rule), or an error listing them."""
        if name is None:
            return None
        if name not in self.environments:
            hint = did_you_mean(name, list(self.environments))
            raise DefinitionError(
                f"Unknown environment {name!r}.{hint} Environments in "
                f"{self.root / 'fsql.toml'}: {', '.join(sorted(self.environments)) or '(none)'}"
                " (define one as [environments.NAME])")
        return self.environments[name]

    @classmethod
    def from_objects(cls, objects: Iterable[Any], *, root: str | Path = ".") -> Repo:
        """A repository from definitions built in Python (no directory scan)."""
        repo = cls(root=Path(root).resolve())
        for obj in objects:
            repo.add(obj)
        return repo

    def add(self, obj: Any) -> None:
        """Register one definition; a second, different definition with the same name fails."""
        kinds: dict[type, tuple[str, dict[str, Any]]] = {
            Entity: ("Entity", self.entities), Source: ("Source", self.sources),
            FeatureView: ("FeatureView", self.views),
            FeatureService: ("FeatureService", self.services),
        }
        if isinstance(obj, FeatureView):
            for entity in obj.entities:
                self.add(entity)
            self.add(obj.source)
        if type(obj) not in kinds:
            return
        kind, table = kinds[type(obj)]
        existing = table.get(obj.name)
        if existing is not None and existing is not obj and existing != obj:
            raise DefinitionError(
                f"Two different {kind} definitions are named {obj.name!r} "
                f"({existing.location} and {obj.location}); rename one, or define it once and "
                "import it where it is needed"
            )
        table[obj.name] = obj

    def view(self, name: str) -> FeatureView:
        """The view called ``name``, or an error that lists the views."""
        if name not in self.views:
            hint = did_you_mean(name, list(self.views))
            raise DefinitionError(
                f"Unknown feature view {name!r}.{hint} Views in {self.root}: "
                f"{', '.join(sorted(self.views)) or '(none)'}"
            )
        return self.views[name]

    def derived(self, features: str | Sequence[Any]) -> tuple[Any, ...]:
        """The Derived features of a request (listed in its service, or passed directly)."""
        from fsql.aggregates import Derived

        if isinstance(features, str):
            service = self.services.get(features)
            return self.derived(service.features) if service else ()
        return tuple(item for item in features if isinstance(item, Derived))

    def resolve(self, features: str | Sequence[Any]) -> tuple[ViewProjection, ...]:
        """Turn a request into view projections.

        ``features`` is a service name, ``"view:f1,view:f2"``, or a list of views, projections
        and ``"view:feature"`` strings. Strings for one view are merged in order.
        """
        if isinstance(features, str):
            if ":" not in features and features in self.services:
                service = self.services[features]
                try:
                    return self.resolve(service.features)
                except DefinitionError as err:
                    raise DefinitionError(
                        f"FeatureService {service.name!r} ({service.location}): {err}"
                    ) from None
            if ":" not in features and "," not in features:
                if features in self.views:
                    return (self.views[features].projection(),)
                hint = did_you_mean(
                    features, [*self.services, *self.views])
                raise DefinitionError(
                    f"Unknown feature service {features!r}.{hint} Pass a service name "
                    f"({', '.join(sorted(self.services)) or 'none defined'}), a view name or "
                    "'view:feature' references separated by commas"
                )
            features = [f.strip() for f in features.split(",") if f.strip()]
        from fsql.aggregates import Derived

        result: list[ViewProjection] = []
        by_view: dict[str, int] = {}
        for item in features:
            if isinstance(item, Derived):
                continue
            if isinstance(item, FeatureView):
                result.append(item.projection())
            elif isinstance(item, ViewProjection):
                result.append(item)
            elif isinstance(item, str):
                view_name, sep, feature = item.partition(":")
                if not sep:
                    result.append(self.view(item).projection())  # a view name: all of it
                    continue
                if not feature:
                    raise DefinitionError(
                        f"Feature reference {item!r} must look like 'view:feature' (or name a "
                        "whole view)"
                    )
                view = self.view(view_name)
                view.field(feature)
                if view_name in by_view:
                    current = result[by_view[view_name]]
                    if feature not in current.feature_names:
                        result[by_view[view_name]] = current[[*current.feature_names, feature]]
                else:
                    by_view[view_name] = len(result)
                    result.append(view[[feature]])
            else:
                raise DefinitionError(f"Cannot request {item!r} as a feature")
        return tuple(result)


    # -- requests (thin wrappers over planner/compiler/runner) ---------------------------
    def dialect_for(self, dialect: str | None, env: str | None) -> str:
        """The dialect a request targets: ``dialect``, else the environment's, else
        ``fsql.toml``'s (``duckdb`` without one)."""
        environment = self.environment(env)
        return dialect or (environment.dialect if environment else None) or \
            self.default_dialect

    def plan(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             dialect: str | None = None, env: str | None = None,
             spine_timestamp: str = "event_timestamp", cut: Cut | None = None,
             created_cutoff: bool = False, full_names: bool = False) -> PointInTimePlan:
        """The validated plan of a training-set request for ``dialect`` (which decides, with
        ``env``, whether sources are read from their files or their tables)."""
        from fsql.planner import build_plan, spine_ref

        ref = spine if isinstance(spine, SpineRef) else spine_ref(
            spine, timestamp_column=spine_timestamp, root=self.root)
        return build_plan(self, features, ref, dialect=self.dialect_for(dialect, env),
                          env=env, cut=cut, created_cutoff=created_cutoff,
                          full_names=full_names)

    def tree(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             dialect: str | None = None, env: str | None = None,
             **options: Any) -> exp.Expr:
        """The sqlglot tree of the training-set query for ``dialect``.

        >>> Repo.load("examples/fraud").tree(  # doctest: +SKIP
        ...     "fraud_detection", "db.schema.spine", dialect="snowflake")
        """
        from fsql.compiler import compile_plan
        from fsql.dialect import get_dialect

        name = self.dialect_for(dialect, env)
        target = get_dialect(name)  # an unknown dialect fails before any file is read
        return compile_plan(self.plan(features, spine, dialect=name, env=env, **options), target)

    def compile(self, features: str | Sequence[Any], spine: str | SpineRef, *,
                dialect: str | None = None, env: str | None = None, **options: Any) -> str:
        """One self-contained query (text) that returns the training set. It starts with a
        comment naming the request, and is the same text on every machine: local files are
        named relative to the repository root (DuckDB: run it with ``SET file_search_path``
        to the root, as ``fsql run`` does).

        >>> Repo.load("examples/fraud").compile(  # doctest: +SKIP
        ...     "fraud_detection", "project.dataset.spine", dialect="bigquery")
        """
        from fsql.compiler import render_plan
        from fsql.dialect import get_dialect

        name = self.dialect_for(dialect, env)
        target = get_dialect(name)
        return render_plan(self.plan(features, spine, dialect=name, env=env, **options), target)

    def get_historical_features(self, features: str | Sequence[Any], spine: Any, *,
                                arrow: bool = False, **options: Any) -> Any:
        """Run the request on embedded DuckDB; ``spine`` is a DataFrame, Arrow table, a
        .parquet/.csv file or a SELECT query (run on DuckDB, relative paths from the
        repository root). Options as :meth:`plan` (``env``, ``cut``, ``full_names``...),
        plus ``memory_limit="4GB"``.

        Returns a pandas DataFrame (an Arrow table with ``arrow=True``) in the spine's order.

        >>> Repo.load("examples/fraud").get_historical_features(  # doctest: +SKIP
        ...     "fraud_detection", "examples/fraud/data/transactions.parquet")
        """
        from fsql.runner import run_training_set

        return run_training_set(self, features, spine, arrow=arrow, **options)


    def materialize(self, views: Sequence[str] | str | None = None, *,
                    service: str | None = None, end: Any = None, target: str | None = None,
                    full_refresh: bool = False, **options: Any) -> Any:
        """Bring the latest tables of ``views`` (or of ``service``'s views; default: every
        view with entities) up to date as of ``end`` (default: now) on ``target`` (default
        ``duckdb:///fsql_store.duckdb`` in the repository). Returns a report with, per view,
        the rows inserted/updated/deleted, the seconds and the new watermark
        (docs/materialization.md).

        >>> Repo.load("examples/fraud").materialize(["user_risk"],   # doctest: +SKIP
        ...                                         end="2024-06-01")
        """
        from fsql.materialize.run import materialize

        return materialize(self, views=views, service=service, end=end, target=target,
                           full_refresh=full_refresh, **options)


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
            spec.loader.exec_module(module)
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
