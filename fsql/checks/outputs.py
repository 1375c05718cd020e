"""What ``fsql golden`` writes: kinds of generated files, each a directory per dialect.

A golden directory holds ``<dialect>/<kind>/<file>``, one :class:`Kind` each in :data:`KINDS`:

- ``training/<service>.sql``: every service's training-set query for its golden spine (what
  ``fsql compile`` prints), on every dialect;
- ``materialize/<view>.sql``: every view with entities, its materialization script (what
  ``fsql materialize --views V --dialect D --print`` prints for ``[golden] end``, default
  :data:`~fsql.checks.settings.DEFAULT_END`, and ``full_refresh``), on the dialects fsql
  writes these scripts for (fsql/materialize/styles.py: duckdb, bigquery, snowflake);
- ``dbt/<file>``: the models ``fsql dbt`` writes under ``models/fsql/`` without
  ``--training`` (``<view>_latest.sql``, ``sources.yml``, ``schema.yml``; file sources located
  from the feature repository, as ``--out`` the repository would), on the dialects of
  :data:`fsql.dbt.project.DIALECTS`.

A kind is skipped for a dialect it is not written for (the training files still cover it),
and a file under such a ``<dialect>/<kind>/`` is not fsql's. ``[golden] kinds`` selects the
kinds (default: all). A new kind is a name, its items and a function preparing one item for a
dialect, e.g.::

    def latest_table(repo, settings, dialect, view) -> Prepared:
        plan = ...                                   # everything the text depends on
        return Prepared(f"materialize\0{dialect}\0{view}\0{plan!r}", lambda: render(plan))

    MATERIALIZE = Kind("materialize", ".sql", views, latest_table, STYLES)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from fsql.checks.settings import KIND_NAMES, GoldenRequest, GoldenSettings
from fsql.dbt import project as dbt
from fsql.dtypes import parse_dtype
from fsql.engines.files import DuckDBFiles
from fsql.errors import DefinitionError
from fsql.materialize.layout import LatestTable, table_name
from fsql.materialize.run import layout_and_plan, print_script
from fsql.materialize.styles import STYLES
from fsql.plan.column_types import engine_type
from fsql.plan.nodes import PointInTimePlan, SpineRef
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
    time or host); ``dialects`` are those it is written for (None: every dialect). Files
    under the kind's directory that do not end with one of ``owned`` (default: ``suffix``)
    are not fsql's (reported, never deleted)."""

    name: str
    suffix: str
    items: Callable[[Repo], list[str]]
    prepare: Callable[[Repo, GoldenSettings, str, str], Prepared]
    dialects: Collection[str] | None = None
    owned: tuple[str, ...] = ()

    def path(self, dialect: str, item: str) -> str:
        """The golden file of ``item`` for ``dialect``, relative to the golden directory."""
        return f"{dialect}/{self.name}/{item}{self.suffix}"

    def writes(self, dialect: str) -> bool:
        """Whether this kind has files for ``dialect``."""
        return self.dialects is None or dialect in self.dialects

    def owns(self, name: str) -> bool:
        """Whether ``name`` (relative to ``<dialect>/<kind>/``) is one of this kind's files."""
        return "/" not in name and name.endswith(self.owned or (self.suffix,)) and \
            not name.startswith(".")

    def layout(self) -> str:
        """The kind's files, as a pattern for messages."""
        return " or ".join(f"<dialect>/{self.name}/<name>{s}" for s in self.owned or
                           (self.suffix,))

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


def views(repo: Repo) -> list[str]:
    """The repository's views with entities (those with a latest table), sorted."""
    for name, view in repo.views.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise DefinitionError(
                f"FeatureView {name!r} ({view.location}): a golden file is named after the "
                "view, so its name cannot hold '/' or '\\' or start with '.'; rename it")
    return sorted(name for name, view in repo.views.items() if view.join_keys)


@dataclass(frozen=True)
class Latest:
    """A view's latest table for a dialect, the plan it is typed from, and ``key``: both as
    text (what its script and model are a function of, with the dialect)."""

    layout: LatestTable
    plan: PointInTimePlan
    key: str


# The latest tables of the last repository asked about, per dialect, by view. Both kinds
# below read them, the dbt files of a dialect all of them.
_LATEST: dict[str, tuple[Repo, dict[str, Latest]]] = {}


def latest(repo: Repo, dialect: str, view: str) -> Latest:
    """The latest table of ``view`` for ``dialect`` (as ``fsql materialize`` and ``fsql dbt``
    build it: the view's own, inclusive cut)."""
    entry = _LATEST.get(dialect)
    if entry is None or entry[0] is not repo:
        entry = _LATEST[dialect] = (repo, {})
    found = entry[1].get(view)
    if found is None:
        layout, plan = layout_and_plan(repo, repo.view(view), "inclusive", dialect=dialect)
        found = entry[1][view] = Latest(layout, plan, f"{dialect}\0{layout!r}\0{plan!r}")
    return found


def materialization(repo: Repo, settings: GoldenSettings, dialect: str,
                    view: str) -> Prepared:
    """The materialization script of ``view`` for ``dialect``: ``fsql materialize --views
    VIEW --dialect DIALECT --print`` with ``[golden] end`` (and ``full_refresh``). The
    layout and its plan are the key, with the end and the flag."""
    key = (f"materialize\0{view}\0{settings.end.isoformat()}\0{settings.full_refresh}\0"
           f"{latest(repo, dialect, view).key}")
    return Prepared(key, lambda: print_script(repo, dialect=dialect, views=[view],
                                              end=settings.end,
                                              full_refresh=settings.full_refresh))


def dbt_files(repo: Repo) -> list[str]:
    """The files ``fsql dbt`` writes (without ``--training``), sorted."""
    return sorted([*(f"{table_name(repo.views[v])}.sql" for v in views(repo)),
                   "schema.yml", "sources.yml"])


def dbt_file(repo: Repo, settings: GoldenSettings, dialect: str, item: str) -> Prepared:
    """One file of ``models/fsql/`` as ``fsql dbt --dialect DIALECT`` writes it into a dbt
    project at the repository's root. A latest model's key is its layout and plan; the YAML
    files are cheap, their text is their key."""
    target = dbt.check_dialect(dialect)
    if item in ("schema.yml", "sources.yml"):
        layouts = [latest(repo, dialect, v.name).layout for v in repo.views.values()
                   if v.join_keys]  # definition order, as fsql dbt writes them
        if item == "schema.yml":
            text = dbt.schema_yaml([dbt.latest_schema(layout, target) for layout in layouts])
        else:
            sources = dbt.project_sources(repo, layouts, repo.root, target)
            text = dbt.sources_yaml(list(sources.values()))
        return Prepared(f"dbt\0{dialect}\0{item}\0{text}", lambda: text)
    found = latest(repo, dialect, _model_view(repo, item))
    relations = dbt.source_relations(dbt.project_sources(repo, [found.layout], repo.root,
                                                         target, [found.plan]))
    return Prepared(f"dbt\0{item}\0{relations!r}\0{found.key}",
                    lambda: dbt.latest_model(repo, found.layout, relations, target))


def _model_view(repo: Repo, item: str) -> str:
    """The view whose latest model is ``item`` (``<view>_latest.sql``, or
    ``<view>_v<N>_latest.sql`` for a version N >= 2)."""
    stem = item.removesuffix(".sql").removesuffix("_latest")
    for name in (stem, re.sub(r"_v[0-9]+$", "", stem)):
        view = repo.views.get(name)
        if view is not None and view.join_keys and f"{table_name(view)}.sql" == item:
            return name
    raise DefinitionError(f"There is no latest model {item!r}: no view with entities is "
                          "materialized as that table")


TRAINING = Kind("training", ".sql", services, training_set)
MATERIALIZE = Kind("materialize", ".sql", views, materialization, tuple(STYLES))
DBT = Kind("dbt", "", dbt_files, dbt_file, dbt.DIALECTS, owned=(".sql", ".yml"))
KINDS: dict[str, Kind] = {kind.name: kind for kind in (TRAINING, MATERIALIZE, DBT)}
assert tuple(KINDS) == KIND_NAMES
