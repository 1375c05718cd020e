"""A catalog of definitions: the entities, sources, views, services and environments of a
feature repository, and how a request (a service, view names, ``view:feature`` strings)
resolves to view projections."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from fsql.dsl.aggregates import Derived
from fsql.dsl.definitions import Entity, FeatureService, FeatureView, Source, ViewProjection
from fsql.dsl.environments import Environment
from fsql.errors import DefinitionError, did_you_mean

# Never imported as definitions: helper and test code, data, environments, build output.
# Directories starting with a dot are skipped too. Add more in fsql.toml ([project] exclude)
# or in a .fsqlignore file (one glob per line, relative to the repository root).
DEFAULT_EXCLUDE = ("__pycache__", "data", "node_modules", "tests", "test", "venv",
                   "build", "dist", "site-packages", "conftest.py", "setup.py", "test_*.py",
                   "*_test.py")


@dataclass
class Catalog:
    """Definitions collected from a feature repository (or built in Python)."""

    root: Path
    project: str = "fsql"
    default_dialect: str = "duckdb"
    entities: dict[str, Entity] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    views: dict[str, FeatureView] = field(default_factory=dict)  # the newest version of each
    view_versions: dict[str, dict[int, FeatureView]] = field(default_factory=dict)
    services: dict[str, FeatureService] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    # fsql.toml's tables other than [project] and [environments] (fsql/dsl/loading.py)
    config: dict[str, Any] = field(default_factory=dict)

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

    def dialect_for(self, dialect: str | None, env: str | None) -> str:
        """The dialect a request targets: ``dialect``, else the environment's, else
        ``fsql.toml``'s (``duckdb`` without one)."""
        environment = self.environment(env)
        return dialect or (environment.dialect if environment else None) or \
            self.default_dialect

    @classmethod
    def from_objects(cls, objects: Iterable[Any], *, root: str | Path = ".") -> Self:
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
        if isinstance(obj, FeatureView):
            self._add_version(obj)
            return
        existing = table.get(obj.name)
        if existing is not None and existing is not obj and existing != obj:
            raise DefinitionError(
                f"Two different {kind} definitions are named {obj.name!r} "
                f"({existing.location} and {obj.location}); rename one, or define it once and "
                "import it where it is needed"
            )
        table[obj.name] = obj

    def _add_version(self, view: FeatureView) -> None:
        """Versions of one view name coexist; ``views`` holds the newest of each name."""
        versions = self.view_versions.setdefault(view.name, {})
        existing = versions.get(view.version)
        if existing is not None and existing is not view and existing != view:
            raise DefinitionError(
                f"Two different FeatureView definitions are named {view.name!r} with version "
                f"{view.version} ({existing.location} and {view.location}); rename one, give "
                "the new one version=N+1, or define it once and import it where it is needed")
        versions[view.version] = view
        self.views[view.name] = versions[max(versions)]

    def view(self, name: str) -> FeatureView:
        """The view called ``name`` (its newest version), ``name@N`` for its version N, or an
        error that lists the views (or the view's versions)."""
        if name in self.views:
            return self.views[name]
        base, at, number = name.rpartition("@")
        if at and base in self.view_versions:
            versions = self.view_versions[base]
            if number.isdigit() and int(number) in versions:
                return versions[int(number)]
            raise DefinitionError(
                f"Feature view {base!r} has no version {number!r}; its versions: "
                f"{', '.join(f'{base}@{v}' for v in sorted(versions))} (plain {base!r} is the "
                "newest)")
        hint = did_you_mean(name, list(self.views))
        raise DefinitionError(
            f"Unknown feature view {name!r}.{hint} Views in {self.root}: "
            f"{', '.join(sorted(self.views)) or '(none)'}"
        )

    def derived(self, features: str | Sequence[Any]) -> tuple[Any, ...]:
        """The Derived features of a request (listed in its service, or passed directly)."""
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
                if features in self.views or features.rpartition("@")[0] in self.views:
                    return (self.view(features).projection(),)
                hint = did_you_mean(
                    features, [*self.services, *self.views])
                raise DefinitionError(
                    f"Unknown feature service {features!r}.{hint} Pass a service name "
                    f"({', '.join(sorted(self.services)) or 'none defined'}), a view name or "
                    "'view:feature' references separated by commas"
                )
            features = [f.strip() for f in features.split(",") if f.strip()]
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
        _one_version_per_view(result)
        return tuple(result)


def _one_version_per_view(projections: Sequence[ViewProjection]) -> None:
    """A request reads one version of each view under one name (their feature columns would
    collide); two versions under two projection names are two views."""
    seen: dict[str, FeatureView] = {}
    for projection in projections:
        other = seen.setdefault(projection.name, projection.view)
        if other.version != projection.view.version:
            name = projection.view.name
            raise DefinitionError(
                f"Feature view {name!r} is requested in versions {other.version} and "
                f"{projection.view.version} ({other.location} and {projection.view.location}); "
                f"a request reads one version of a view: keep {name}@{other.version} or "
                f"{name}@{projection.view.version}")
