"""What ``fsql golden`` writes: kinds of generated files, each a directory per dialect.

A golden directory holds ``<dialect>/<kind>/<file>``; today one kind, ``training`` (every
service's training-set query, ``<service>.sql``). A new kind (per-view materialization
scripts, dbt models) is one :class:`Kind` in :data:`KINDS`: the names of its items and a
function preparing one item for a dialect, e.g.::

    def latest_table(repo, settings, dialect, view) -> Prepared:
        plan = ...                                   # everything the text depends on
        return Prepared(f"materialize\0{dialect}\0{view}\0{plan!r}", lambda: render(plan))

    MATERIALIZE = Kind("materialize", ".sql", lambda repo: sorted(repo.views), latest_table)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from fsql.checks.settings import GoldenRequest, GoldenSettings
from fsql.dtypes import parse_dtype
from fsql.engines.files import DuckDBFiles
from fsql.errors import DefinitionError
from fsql.plan.column_types import engine_type
from fsql.plan.nodes import SpineRef
from fsql.plan.planner import spine_ref
from fsql.repo import Repo
from fsql.sql.compiler import render_plan
from fsql.sql.dialect import get_dialect


@dataclass(frozen=True)
class Prepared:
    """One golden file before its text exists: ``key`` is everything the text is a function
    of (cheap to compute; :mod:`fsql.checks.cache`), ``render`` makes the text."""

    key: str
    render: Callable[[], str]


@dataclass(frozen=True)
class Kind:
    """One kind of generated file: ``<dialect>/<name>/<item><suffix>``.

    ``items`` lists what the repository holds of it (service or view names, sorted);
    ``prepare`` readies one item for a dialect (its text must be deterministic: no path,
    time or host). Files under the kind's directory with another suffix are not fsql's
    (reported, never deleted)."""

    name: str
    suffix: str
    items: Callable[[Repo], list[str]]
    prepare: Callable[[Repo, GoldenSettings, str, str], Prepared]

    def path(self, dialect: str, item: str) -> str:
        """The golden file of ``item`` for ``dialect``, relative to the golden directory."""
        return f"{dialect}/{self.name}/{item}{self.suffix}"

    def owns(self, name: str) -> bool:
        """Whether ``name`` (relative to ``<dialect>/<kind>/``) is one of this kind's files."""
        return "/" not in name and name.endswith(self.suffix) and not name.startswith(".")

    def render(self, repo: Repo, settings: GoldenSettings, dialect: str, item: str) -> str:
        """The text of ``item``'s golden file for ``dialect``."""
        return self.prepare(repo, settings, dialect, item).render()


def services(repo: Repo) -> list[str]:
    """The repository's services, sorted, with names that are file names."""
    for name, service in repo.services.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise DefinitionError(
                f"FeatureService {name!r} ({service.location}): a golden file is named after "
                "the service, so its name cannot hold '/' or '\\' or start with '.'; rename it")
    return sorted(repo.services)


def spine_request(repo: Repo, setting: GoldenRequest,
                  dialect: str) -> tuple[SpineRef, dict[str, str] | None]:
    """The spine of ``setting`` as the planner takes it, and its column types when given."""
    ref = spine_ref(setting.relation, schemas=DuckDBFiles(), timestamp_column=setting.timestamp,
                    root=repo.root)
    if ref.kind == "file":
        return ref, None
    if setting.columns is None:
        if "star_except" not in get_dialect(dialect).capabilities:
            raise DefinitionError(
                f"{setting.where}: {dialect} has no SELECT * EXCEPT, so the spine's columns "
                f"must be known: add spine_columns = [\"user_id\", \"{setting.timestamp}\", ...] "
                "(every column of the spine, in order) there, or leave out this dialect")
        return ref, None
    dtypes = dict(setting.dtypes)
    if dtypes.get(setting.timestamp) == "date":
        ref = replace(ref, timestamp_dtype="date")
    types = {c: engine_type(parse_dtype(t, where=setting.where)) for c, t in dtypes.items()}
    return replace(ref, columns=setting.columns), types or None


def training_set(repo: Repo, settings: GoldenSettings, dialect: str, service: str) -> Prepared:
    """The training-set query of ``service`` for ``dialect``, for its golden request: the
    plan is its key (the SQL is a function of the plan and the dialect)."""
    setting = settings.request_for(repo.services[service])
    spine, types = spine_request(repo, setting, dialect)
    plan = repo.plan(service, spine, dialect=dialect, spine_types=types,
                     **settings.options(setting))
    target = get_dialect(dialect)
    return Prepared(f"training\0{dialect}\0{service}\0{plan!r}",
                    lambda: render_plan(plan, target))


TRAINING = Kind("training", ".sql", services, training_set)
KINDS: dict[str, Kind] = {kind.name: kind for kind in (TRAINING,)}
