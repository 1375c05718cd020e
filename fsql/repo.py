"""A feature repository: a directory of Python files with definitions, plus ``fsql.toml``."""

from __future__ import annotations

import difflib
import importlib.util
import sys
import tomllib
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from fsql.definitions import Entity, FeatureService, FeatureView, Source, ViewProjection
from fsql.errors import CompileError, DefinitionError
from fsql.plan import Cut, PointInTimePlan, SpineRef

_SKIP_DIRS = {"__pycache__", "data", "node_modules"}


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

    @classmethod
    def load(cls, directory: str | Path) -> Repo:
        """Import every ``.py`` file under ``directory`` and collect its definitions."""
        root = Path(directory).resolve()
        if not root.is_dir():
            raise DefinitionError(
                f"Feature repository {str(directory)!r} is not a directory; pass --repo DIR"
            )
        repo = cls(root=root)
        config = root / "fsql.toml"
        if config.exists():
            try:
                data = tomllib.loads(config.read_text())
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
                raise DefinitionError(f"{config}: cannot read it as TOML: {err}") from None
            project = data.get("project", data)
            if not isinstance(project, dict):
                raise DefinitionError(
                    f"{config}: 'project' must be a table: write [project] with name = \"...\" "
                    "and dialect = \"duckdb\" on the lines below it"
                )
            repo.project = str(project.get("name", repo.project))
            repo.default_dialect = str(project.get("dialect", repo.default_dialect))
            from fsql.dialect import get_dialect

            try:
                get_dialect(repo.default_dialect)
            except CompileError as err:
                raise DefinitionError(f"{config}: {err}") from None
        files = sorted(p for p in root.rglob("*.py")
                       if not any(part.startswith(".") or part in _SKIP_DIRS
                                  for part in p.relative_to(root).parts[:-1]))
        with _repo_modules(root, files) as names:
            for path, name in zip(files, names, strict=True):
                for obj in _import_definitions(path, name):
                    repo.add(obj)
        return repo

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
            close = difflib.get_close_matches(name, list(self.views), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
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
                close = difflib.get_close_matches(
                    features, [*self.services, *self.views], n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
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
                if not sep or not feature:
                    raise DefinitionError(
                        f"Feature reference {item!r} must look like 'view:feature'"
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
    def plan(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             spine_timestamp: str = "event_timestamp", cut: Cut = "inclusive",
             created_cutoff: bool = False, full_names: bool = False) -> PointInTimePlan:
        """The validated, dialect-agnostic plan of a training-set request."""
        from fsql.planner import build_plan, spine_ref

        ref = spine if isinstance(spine, SpineRef) else spine_ref(
            spine, timestamp_column=spine_timestamp)
        return build_plan(self, features, ref, cut=cut, created_cutoff=created_cutoff,
                          full_names=full_names)

    def tree(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             dialect: str | None = None, **options: Any) -> exp.Expression:
        """The sqlglot tree of the training-set query for ``dialect``."""
        from fsql.compiler import compile_plan
        from fsql.dialect import get_dialect

        return compile_plan(self.plan(features, spine, **options),
                            get_dialect(dialect or self.default_dialect))

    def compile(self, features: str | Sequence[Any], spine: str | SpineRef, *,
                dialect: str | None = None, **options: Any) -> str:
        """One self-contained query (text) that returns the training set.

        >>> Repo.load("examples/fraud").compile(  # doctest: +SKIP
        ...     "fraud_detection", "spine.parquet", dialect="bigquery")
        """
        from fsql.compiler import render
        from fsql.dialect import get_dialect

        name = dialect or self.default_dialect
        target = get_dialect(name)  # an unknown dialect fails before any file is read
        return render(self.tree(features, spine, dialect=name, **options), target)

    def get_historical_features(self, features: str | Sequence[Any], spine: Any, *,
                                arrow: bool = False, **options: Any) -> Any:
        """Run the request on embedded DuckDB; ``spine`` is a DataFrame, Arrow table or file.

        Returns a pandas DataFrame (an Arrow table with ``arrow=True``) in the spine's order.
        """
        from fsql.runner import run_training_set

        return run_training_set(self, features, spine, arrow=arrow, **options)


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
