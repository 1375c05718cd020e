"""Run materializations on a DuckDB target: every view of a run in one transaction, so a run
completes or leaves every latest table and the state table as they were; on a BigQuery target,
each view's warehouse script as one job (its own transaction); on a Snowflake target, each
view's printed statements one by one on one session."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView
from fsql.engines import bigquery, snowflake
from fsql.errors import CompileError, DefinitionError, ExecutionError, did_you_mean
from fsql.materialize import statements as st
from fsql.materialize.layout import (
    STATE_TABLE,
    LatestTable,
    latest_table,
    pointer_name,
    pointer_view,
)
from fsql.materialize.pit import AS_OF, training_plan
from fsql.materialize.script import Step, render_step, table_layout, view_steps
from fsql.materialize.targets import (
    Target,
    bigquery_client,
    credentials,
    executable,
    parse_end,
    resolve_target,
    snowflake_connection,
)
from fsql.plan.nodes import Cut, PointInTimePlan, SpineRef
from fsql.sql.compiler import render
from fsql.sql.dialect import get_dialect

Hook = Callable[[str, str], None]  # (view, step name) -> None, called before each statement


@dataclass(frozen=True)
class ViewRun:
    """What one view's run did."""

    view: str
    table: str
    inserted: int
    updated: int
    deleted: int
    seconds: float
    end: datetime
    created_watermark: datetime | None
    skipped: str = ""  # why nothing was done (a run older than the table's)
    counted: bool = True  # False: the warehouse does not report the rows a MERGE wrote

    def format(self) -> str:
        """One line: the view, the rows written, the seconds and the new watermark."""
        if self.skipped:
            return f"{self.view}: nothing to do: {self.skipped}"
        mark = f"watermark {self.end.isoformat()}"
        if self.created_watermark is not None:
            mark += f", created up to {self.created_watermark.isoformat()}"
        rows = (f"{self.inserted} inserted, {self.updated} updated, {self.deleted} deleted"
                if self.counted else "rows not counted (the warehouse does not report them)")
        return f"{self.view} -> {self.table}: {rows}, {self.seconds:.2f} s, {mark}"


@dataclass(frozen=True)
class MaterializeReport:
    """Every view's run, and the target they were written to."""

    target: str
    views: tuple[ViewRun, ...]

    def format(self) -> str:
        """One line per view."""
        return "\n".join(v.format() for v in self.views)


def select_views(repo: Catalog, *, views: Sequence[str] | str | None = None,
                 service: str | None = None) -> tuple[list[FeatureView], Cut]:
    """The views of a run and their cut: ``views`` by name, a ``service``'s views (with the
    service's cut), or every view of the repository with entities."""
    if views is not None and service is not None:
        raise CompileError("Pass views or a service to materialize, not both")
    if service is not None:
        if service not in repo.services:
            raise DefinitionError(
                f"Unknown feature service {service!r}.{did_you_mean(service, repo.services)} "
                f"Services: {', '.join(sorted(repo.services)) or '(none)'}")
        svc = repo.services[service]
        chosen = list(dict.fromkeys(p.view for p in repo.resolve(service)))
        return chosen, svc.cut or "inclusive"
    if isinstance(views, str):
        views = [v.strip() for v in views.split(",") if v.strip()]
    if views is None:
        return [v for v in repo.views.values() if v.join_keys], "inclusive"
    chosen = [repo.view(name) for name in views]
    for view in chosen:
        newest = repo.views[view.name]
        if view is not newest:
            raise CompileError(
                f"FeatureView {view.name!r} version {view.version} ({view.location}): fsql "
                f"materialize keeps the newest version's latest table fresh (version "
                f"{newest.version}, {newest.location}); an older version's table is kept for "
                f"reading, not refreshed. Materialize {view.name!r}")
    return chosen, "inclusive"


def layout_for(repo: Catalog, view: FeatureView, cut: Cut, prefix: str = "", *,
               dialect: str = "duckdb") -> LatestTable:
    """The latest table of ``view`` (its column dtypes come from the training-set plan for
    ``dialect``, which also decides whether the source is read from its file or table)."""
    return layout_and_plan(repo, view, cut, prefix, dialect=dialect)[0]


def layout_and_plan(repo: Catalog, view: FeatureView, cut: Cut, prefix: str = "", *,
                    dialect: str = "duckdb") -> tuple[LatestTable, PointInTimePlan]:
    """:func:`layout_for` and the training-set plan it was typed from (everything a run's
    statements are a function of, with the view's definition in the layout)."""
    probe = LatestTable(view, cut, "", (), (), None, (), 0, "")
    keys = view.join_keys
    plan = training_plan(repo, probe, SpineRef("query", "SELECT 1", AS_OF,
                                               columns=(*keys, AS_OF)), dialect=dialect)
    return latest_table(repo, view, plan, cut=cut, prefix=prefix), plan


def connect_target(target: Target) -> duckdb.DuckDBPyConnection:
    """A connection to a DuckDB target (UTC session: timestamps are read as UTC)."""
    assert target.path is not None
    try:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target.path))
    except (duckdb.Error, OSError) as err:
        raise ExecutionError(f"Target {target.url!r}: cannot open {target.path}: {err}") from None
    con.execute("SET TimeZone = 'UTC'")
    return con


@dataclass(frozen=True)
class _Previous:
    end_us: int | None
    definition_hash: str | None
    table_exists: bool
    watermark_us: int | None = None


def _previous(con: duckdb.DuckDBPyConnection, names: st.Names, view: str) -> _Previous:
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    exists = names.latest.split(".")[-1] in tables
    if names.state.split(".")[-1] not in tables:
        return _Previous(None, None, exists)
    state = exp.to_table(names.state)
    finished = exp.and_(exp.EQ(this=exp.column("view_name"), expression=exp.Placeholder()),
                        exp.Not(this=exp.Is(this=exp.column("finished_at"),
                                            expression=exp.null())))
    last = (exp.select("definition_hash", "end_time_us").from_(state).where(finished)
            .order_by(exp.Ordered(this=exp.column("finished_at"), desc=True),
                      exp.Ordered(this=exp.column("end_time_us"), desc=True)).limit(1))
    row = con.execute(last.sql(dialect="duckdb"), [view]).fetchall()
    if not row:
        return _Previous(None, None, exists)
    last_hash = row[0][0]
    best_of = exp.select(exp.Max(this=exp.column("end_time_us")),
                         exp.Max(this=exp.column("created_watermark_us"))).from_(state).where(
        exp.and_(finished, exp.EQ(this=exp.column("definition_hash"),
                                  expression=exp.Placeholder())))
    (best,) = con.execute(best_of.sql(dialect="duckdb"), [view, last_hash]).fetchall()
    return _Previous(best[0], last_hash, exists, best[1])


def materialize(repo: Catalog, *, views: Sequence[str] | str | None = None,
                service: str | None = None, end: str | datetime | date | None = None,
                target: str | None = None, full_refresh: bool = False,
                progress: Callable[[str], None] | None = None,
                hook: Hook | None = None) -> MaterializeReport:
    """Bring the latest tables of ``views`` (or of ``service``'s views; default: every view
    with entities) up to date as of ``end`` (default: now) on ``target`` (a URL, a
    ``[targets.NAME]`` of fsql.toml; default ``duckdb:///fsql_store.duckdb`` in the
    repository). Every view is written in one transaction: the run completes, or changes
    nothing. ``hook(view, step)`` is called before each statement (tests inject failures).

    >>> Repo.load("examples/fraud").materialize(views=["user_risk"],    # doctest: +SKIP
    ...                                         end="2024-03-01")
    """
    chosen, cut = select_views(repo, views=views, service=service)
    t1 = parse_end(end)
    where = resolve_target(target, root=repo.root)
    found = credentials(where)  # missing credentials first: the fix a user needs anyway
    if where.scheme == "bigquery":
        bq = bigquery_client(where, found)
        return _run_bigquery(repo, bq, where, chosen, cut, t1, full_refresh, progress)
    if where.scheme == "snowflake":
        con = snowflake_connection(where)
        try:
            return _run_snowflake(repo, con, where, chosen, cut, t1, full_refresh, progress)
        finally:
            con.close()
    executable(where)
    layouts = [layout_for(repo, v, cut, where.prefix) for v in chosen]
    con = connect_target(where)
    try:
        return _run(repo, con, where, layouts, t1, full_refresh, progress, hook)
    finally:
        con.close()


def _run(repo: Catalog, con: duckdb.DuckDBPyConnection, where: Target,
         layouts: list[LatestTable], t1: datetime, full_refresh: bool,
         progress: Callable[[str], None] | None, hook: Hook | None) -> MaterializeReport:
    started = datetime.now(UTC)
    plans: list[tuple[LatestTable, st.Names, st.RunInfo, _Previous]] = []
    for layout in layouts:  # every check before the first write
        names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
        prev = _previous(con, names, layout.state_name)
        if prev.definition_hash not in (None, layout.definition_hash) and not full_refresh:
            raise DefinitionError(
                f"FeatureView {layout.view.name!r} ({layout.view.location}) changed since its "
                f"latest table {names.latest} was written (definition hash "
                f"{prev.definition_hash} -> {layout.definition_hash}); rebuild it with "
                "--full-refresh (full_refresh=True): rows of two definitions are never mixed")
        if prev.table_exists and not full_refresh:
            _check_columns(con, repo, layout, names)
        full = full_refresh or not prev.table_exists or prev.end_us is None
        # Read here, inside no transaction yet, but nothing else writes the state table of
        # this target while the run holds DuckDB's write lock (one writer per file).
        known = None if full else (prev.end_us, prev.watermark_us)
        run = st.RunInfo(uuid.uuid4().hex, t1, started, full_refresh=full, known_previous=known)
        plans.append((layout, names, run, prev))
    results = []
    current = ""
    try:
        con.execute("BEGIN TRANSACTION")
        if where.schema:
            con.execute(exp.Create(this=exp.Table(this=exp.to_identifier(
                where.schema, quoted=True)), kind="SCHEMA", exists=True).sql(dialect="duckdb"))
        for layout, names, run, prev in plans:
            current = layout.view.name
            if progress:
                progress(f"{current}: computing rows as of {t1.isoformat()}")
            results.append(_run_view(repo, con, layout, names, run, prev, hook))
            if layout.view.version >= 2:
                _point(con, where, layout)
        con.execute("COMMIT")
    except BaseException as err:
        con.execute("ROLLBACK")
        if isinstance(err, (duckdb.Error, OSError)):
            raise ExecutionError(
                f"Materializing view {current!r} failed, nothing was changed: "
                f"{str(err).strip().splitlines()[0]}") from None
        raise
    return MaterializeReport(where.url, tuple(results))


def _check_columns(con: duckdb.DuckDBPyConnection, repo: Catalog, layout: LatestTable,
                   names: st.Names) -> None:
    """Refuse an existing DuckDB latest table without a column this run writes."""
    schema, _, table = names.latest.rpartition(".")
    query = ("SELECT column_name FROM information_schema.columns WHERE table_name = ?"
             + (" AND table_schema = ?" if schema else ""))
    found = [r[0] for r in con.execute(query, [table, schema] if schema else [table]).fetchall()]
    refuse_missing_columns(repo, layout, names, "duckdb", found)


def refuse_missing_columns(repo: Catalog, layout: LatestTable, names: st.Names,
                           dialect: str, found: Sequence[str] | None) -> None:
    """Refuse a latest table (its columns ``found``; None: it does not exist yet) without a
    column this run writes (written by an older fsql, or by hand): a MERGE into it would fail
    half-way with the engine's binder error. A name the warehouse stores upper-cased
    (Snowflake's unquoted identifiers) counts as present."""
    if found is None:
        return
    present = set(found) | {name.lower() for name in found if name.isupper()}
    expected = [c for c, _ in table_layout(repo, layout, get_dialect(dialect)).columns]
    missing = [c for c in expected if c not in present]
    if missing:
        raise DefinitionError(
            f"FeatureView {layout.view.name!r} ({layout.view.location}): its latest table "
            f"{names.latest} has no column {', '.join(repr(c) for c in missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''} (written by an older fsql or by hand); "
            "rebuild it with --full-refresh (full_refresh=True); nothing was changed")


def _run_bigquery(repo: Catalog, bq: Any, where: Target, chosen: list[FeatureView], cut: Cut,
                  t1: datetime, full_refresh: bool, progress: Callable[[str], None] | None
                  ) -> MaterializeReport:
    """Each view's run as one BigQuery script job: exactly the statements ``--print`` shows
    (its own transaction, the definition check and the never-regress guard inside the SQL),
    with no default dataset; then its state row is read back."""
    started = datetime.now(UTC)
    results = []
    planned = _warehouse_layouts(repo, where, chosen, cut, "bigquery", full_refresh,
                                 lambda name: bigquery.table_columns(bq, name))
    for view, layout, names in planned:
        clock = time.perf_counter()
        run = st.RunInfo(uuid.uuid4().hex, t1, started, full_refresh=full_refresh)
        steps = [render_step(step, "bigquery")
                 for step in view_steps(repo, layout, names, run, "bigquery")]
        if view.version >= 2:  # as --print: the pointer view over the newest version
            pointer = where.qualified(pointer_name(view, where.prefix))
            steps.append(render(pointer_view(pointer, names.latest), get_dialect("bigquery"))
                         .rstrip() + ";")
        script = "\n".join(steps)
        if progress:
            progress(f"{view.name}: computing rows as of {t1.isoformat()}")
        bigquery.execute(bq, script, what=f"materializing view {view.name!r}",
                         progress=progress)
        row = exp.select("end_time_us", "created_watermark_us").from_(
            exp.to_table(names.state)).where(exp.EQ(this=exp.column("run_id"),
                                                    expression=exp.Literal.string(run.run_id)))
        state = bigquery.query_arrow(bq, row.sql(dialect="bigquery"), dataset=None).to_pylist()
        if not state:
            raise ExecutionError(f"Materializing view {view.name!r}: the run left no row in "
                                 f"{names.state}")
        wm = state[0]["created_watermark_us"]
        created = None if wm is None else datetime.fromtimestamp(0, UTC) + timedelta(
            microseconds=wm)
        results.append(ViewRun(view.name, names.latest, 0, 0, 0, time.perf_counter() - clock,
                               t1, created, counted=False))
    return MaterializeReport(where.url, tuple(results))


def _run_snowflake(repo: Catalog, con: Any, where: Target, chosen: list[FeatureView], cut: Cut,
                   t1: datetime, full_refresh: bool, progress: Callable[[str], None] | None
                   ) -> MaterializeReport:
    """Each view's run on Snowflake: exactly the statements ``--print`` shows, one at a time
    on one session (no explicit transaction: the Snowflake merge style's one atomic MERGE,
    with the definition check and the never-regress guard inside the SQL); the rows written
    are the MERGE's own counts, the watermark is read back from the run's state row."""
    started = datetime.now(UTC)
    dialect = get_dialect("snowflake")
    results = []
    planned = _warehouse_layouts(repo, where, chosen, cut, "snowflake", full_refresh,
                                 lambda name: snowflake.table_columns(con, name))
    for view, layout, names in planned:
        clock = time.perf_counter()
        run = st.RunInfo(uuid.uuid4().hex, t1, started, full_refresh=full_refresh)
        steps = [(step.name, render_step(step, "snowflake"))
                 for step in view_steps(repo, layout, names, run, "snowflake")]
        if view.version >= 2:  # as --print: the pointer view over the newest version
            pointer = where.qualified(pointer_name(view, where.prefix))
            steps.append(("pointer", render(pointer_view(pointer, names.latest), dialect)
                          .rstrip() + ";"))
        if progress:
            progress(f"{view.name}: computing rows as of {t1.isoformat()}")
        counts = (0, 0, 0)
        for name, sql in steps:
            cursor = snowflake.execute(con, sql, what=f"materializing view {view.name!r} "
                                       f"(step {name})", progress=progress)
            if name == "merge":
                counts = _merge_counts(cursor)
        results.append(_snowflake_result(con, view, layout, names, run, counts,
                                         time.perf_counter() - clock))
    return MaterializeReport(where.url, tuple(results))


def _warehouse_layouts(repo: Catalog, where: Target, chosen: list[FeatureView], cut: Cut,
                       dialect: str, full_refresh: bool,
                       columns_of: Callable[[str], Sequence[str] | None]
                       ) -> list[tuple[FeatureView, LatestTable, st.Names]]:
    """Each view's layout and table names on a warehouse, every existing latest table checked
    for the columns its run writes before the first view runs (``--full-refresh`` replaces
    the tables, so nothing is checked then)."""
    planned = []
    for view in chosen:
        layout = layout_for(repo, view, cut, where.prefix, dialect=dialect)
        names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
        if not full_refresh:
            refuse_missing_columns(repo, layout, names, dialect, columns_of(names.latest))
        planned.append((view, layout, names))
    return planned


def _snowflake_result(con: Any, view: FeatureView, layout: LatestTable, names: st.Names,
                      run: st.RunInfo, counts: tuple[int, int, int], seconds: float
                      ) -> ViewRun:
    """The run's report from the state table: its watermark, or, when a finished run of the
    same definition went further than this one's end, what DuckDB runs say (the guard in
    the statements kept the table as it was)."""
    dialect = get_dialect("snowflake")
    state = exp.to_table(names.state)
    mine = exp.select("created_watermark_us").from_(state).where(
        exp.EQ(this=exp.column("run_id"), expression=exp.Literal.string(run.run_id)))
    found = snowflake.execute(con, render(mine, dialect), what=f"reading the state of view "
                              f"{view.name!r}").fetchall()
    if not found:
        raise ExecutionError(f"Materializing view {view.name!r}: the run left no row in "
                             f"{names.state}")
    furthest = exp.select(exp.Max(this=exp.column("end_time_us"))).from_(state).where(
        exp.and_(exp.EQ(this=exp.column("view_name"),
                        expression=exp.Literal.string(layout.state_name)),
                 exp.EQ(this=exp.column("definition_hash"),
                        expression=exp.Literal.string(layout.definition_hash)),
                 exp.Not(this=exp.Is(this=exp.column("finished_at"), expression=exp.null()))))
    ((end_us,),) = snowflake.execute(con, render(furthest, dialect), what="reading the "
                                     f"state of view {view.name!r}").fetchall()
    if not run.full_refresh and end_us is not None and int(end_us) > run.end_us:
        older = datetime.fromtimestamp(int(end_us) / 1e6, UTC).isoformat()
        return ViewRun(view.name, names.latest, *counts, seconds, run.end, None,
                       skipped=f"--end {run.end.isoformat()} is older than the table's "
                               f"{older}; a run never goes back in time")
    wm = found[0][0]
    created = None if wm is None else datetime.fromtimestamp(0, UTC) + timedelta(
        microseconds=int(wm))
    return ViewRun(view.name, names.latest, *counts, seconds, run.end, created)


def _merge_counts(cursor: Any) -> tuple[int, int, int]:
    """(inserted, updated, deleted) from a Snowflake MERGE's result row, whose columns are
    ``number of rows inserted`` and so on, one per kind of clause the MERGE has.
    https://docs.snowflake.com/en/sql-reference/sql/merge#output"""
    row = cursor.fetchone() or ()
    found = {d.name.lower(): int(v or 0) for d, v in zip(cursor.description, row, strict=False)}
    return tuple(found.get(f"number of rows {kind}", 0)  # type: ignore[return-value]
                 for kind in ("inserted", "updated", "deleted"))


def _point(con: duckdb.DuckDBPyConnection, where: Target, layout: LatestTable) -> None:
    """(Re)create the SQL VIEW ``<view>_latest`` over this version's latest table; a version
    1 base table of that name is first renamed ``<view>_v1_latest`` (kept, not dropped)."""
    pointer = pointer_name(layout.view, where.prefix)
    kinds = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = coalesce(nullif(?, ''), current_schema())",
        [pointer, where.schema]).fetchall())
    if kinds.get(pointer) == "BASE TABLE":
        con.execute(exp.Alter(this=exp.to_table(where.qualified(pointer)), kind="TABLE",
                              actions=[exp.AlterRename(this=exp.to_table(
                                  f"{where.prefix}{layout.view.name}_v1_latest"))]
                              ).sql(dialect="duckdb"))
    con.execute(pointer_view(where.qualified(pointer), where.qualified(layout.name))
                .sql(dialect="duckdb"))


def _run_view(repo: Catalog, con: duckdb.DuckDBPyConnection, layout: LatestTable,
              names: st.Names, run: st.RunInfo, prev: _Previous, hook: Hook | None) -> ViewRun:
    clock = time.perf_counter()
    view = layout.view.name
    if prev.end_us is not None and not run.full_refresh and run.end_us < prev.end_us:
        older = datetime.fromtimestamp(prev.end_us / 1e6, UTC).isoformat()
        return ViewRun(view, names.latest, 0, 0, 0, 0.0, run.end, None,
                       skipped=f"--end {run.end.isoformat()} is older than the table's "
                               f"{older}; a run never goes back in time")
    counts = (0, 0, 0)
    for step in view_steps(repo, layout, names, run, "duckdb", local=True):
        if step.name in ("begin", "commit"):
            continue  # the whole run is one transaction
        if step.name == "finish_state":
            step = Step(step.name, st.finish_state(names, run, get_dialect("duckdb"),
                                                   finished_at=datetime.now(UTC),
                                                   counts=counts))
        if hook is not None:
            hook(view, step.name)
        con.execute(render_step(step, "duckdb"))
        if step.name == "new_rows":
            # the columns the MERGE compares: the hidden state's too
            counts = _counts(con, table_layout(repo, layout, get_dialect("duckdb")), names,
                             run)
    watermark = exp.select("created_watermark_us").from_(exp.to_table(names.state)).where(
        exp.EQ(this=exp.column("run_id"), expression=exp.Placeholder()))
    (wm,) = con.execute(watermark.sql(dialect="duckdb"), [run.run_id]).fetchall()
    created = None if wm[0] is None else \
        datetime.fromtimestamp(0, UTC) + timedelta(microseconds=wm[0])
    return ViewRun(view, names.latest, *counts, time.perf_counter() - clock, run.end, created)


def _counts(con: duckdb.DuckDBPyConnection, layout: LatestTable, names: st.Names,
            run: st.RunInfo) -> tuple[int, int, int]:
    query = st.count_changes(layout, names, run, get_dialect("duckdb"))
    (row,) = con.execute(query.sql(dialect="duckdb")).fetchall()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def print_script(repo: Catalog, *, dialect: str, views: Sequence[str] | str | None = None,
                 service: str | None = None, end: str | datetime | date | None = None,
                 target: str | None = None, full_refresh: bool = False) -> str:
    """The statements of a run for ``dialect`` as one script (what a warehouse job runs).

    The text depends only on the definitions, ``end`` and the options, so a script can be a
    golden file: a run's id is derived from them (:func:`script_run_id`), and the time it
    started (``materialized_at``, the state row's ``started_at`` and ``finished_at``) is the
    warehouse's clock in UTC when the script runs (:func:`utc_now`)."""
    chosen, cut = select_views(repo, views=views, service=service)
    t1 = parse_end(end)
    where = resolve_target(target, root=repo.root) if target else Target(dialect, dialect)
    sql_dialect = get_dialect(dialect)
    now = utc_now(dialect)
    parts = [f"-- fsql materialization as of {t1.isoformat()} | dialect {dialect}"]
    for view in chosen:
        layout = layout_for(repo, view, cut, where.prefix, dialect=dialect)
        names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
        run = st.RunInfo(script_run_id(layout.definition_hash, names, t1, full_refresh), t1,
                         _CLOCK, full_refresh=full_refresh, clock=now)
        parts.append(f"-- view {view.name} -> {names.latest} (definition {layout.definition_hash})")
        for step in view_steps(repo, layout, names, run, dialect):
            # Fresh trees that nothing else reads: the generator may rewrite them in place.
            parts.append(render_step(step, dialect, copy=False))
        if view.version >= 2:  # a version 1 base table of that name: rename it first
            pointer = where.qualified(pointer_name(view, where.prefix))
            parts.append(f"-- {pointer}: the newest version of {view.name} (rename a version 1 "
                         f"table {pointer} to {view.name}_v1_latest before the first run)")
            parts.append(render(pointer_view(pointer, names.latest), sql_dialect)
                         .rstrip() + ";")
    return "\n".join(parts) + "\n"


# The start time of a printed run where its statements need a datetime (they write its
# clock, utc_now(), instead).
_CLOCK = datetime(1111, 11, 11, 11, 11, 11, 111111, tzinfo=UTC)


def script_run_id(definition_hash: str, names: st.Names, end: datetime, full_refresh: bool
                  ) -> str:
    """The run id of a printed script: a digest of what the run writes (the view's
    definition, its tables, T1 and whether it rebuilds), the same for every print."""
    text = "\x00".join((definition_hash, names.latest, names.state, end.isoformat(),
                        str(full_refresh)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def utc_now(dialect: str) -> exp.Expr:
    """The warehouse's current time as a UTC timestamp of the latest table's type (never the
    session's time zone): the dialect's ``utc_now`` template."""
    return get_dialect(dialect).template("utc_now")


def last_run(con: duckdb.DuckDBPyConnection, names: st.Names, view: str
             ) -> tuple[int, str] | None:
    """(T1 in microseconds, definition hash) of the view's last completed run on the target
    ``con``, or None when it has none (what an online sync copies)."""
    previous = _previous(con, names, view)
    if previous.end_us is None or previous.definition_hash is None or \
            not previous.table_exists:
        return None
    return previous.end_us, previous.definition_hash
