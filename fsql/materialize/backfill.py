"""Offline feature tables (backfills) on DuckDB: per entity key and grid time, the value a
spine row at that time gets from the training-set query, written in chunks of grid times.

Each chunk is one transaction: delete the chunk's grid times, insert their rows, record the
chunk as done in ``fsql_backfills``. An interrupted backfill resumes at the first chunk not
done and never duplicates a row; a finished one run again writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import duckdb
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.durations import parse_duration
from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.materialize import statements as st
from fsql.materialize.layout import (
    CREATED_TIMESTAMP,
    FEATURE_TIMESTAMP,
    TIMESTAMP,
    LatestTable,
)
from fsql.materialize.pit import AS_OF, latest_rows_plan
from fsql.materialize.run import connect_target, layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import executable, parse_end, resolve_target
from fsql.plan.nodes import Cut, SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import col, ident, literal

FEATURE_TIME = "feature_time"
STATE = "fsql_backfills"
MAX_POINTS = 100_000


@dataclass(frozen=True)
class BackfillReport:
    """What a backfill did: chunks written now, chunks already done, rows written, seconds."""

    view: str
    table: str
    points: int
    chunks_written: int
    chunks_skipped: int
    rows: int
    seconds: float

    def format(self) -> str:
        """One line."""
        return (f"{self.view} -> {self.table}: {self.points} grid times, {self.chunks_written} "
                f"chunks written ({self.rows} rows), {self.chunks_skipped} already done, "
                f"{self.seconds:.2f} s")


def grid(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """``start``, ``start + every``, ... up to ``end`` included."""
    if end < start:
        raise CompileError(f"--end {end.isoformat()} is before --start {start.isoformat()}")
    points = int((end - start) / every) + 1
    if points > MAX_POINTS:
        raise CompileError(f"The grid from {start.isoformat()} to {end.isoformat()} every "
                           f"{every} has {points} times (more than {MAX_POINTS}); use a coarser "
                           "--every or a shorter range")
    return [start + i * every for i in range(points)]


def backfill_grid(repo: Catalog, *, view: str, start: str | datetime, end: str | datetime,
                  every: str | timedelta, service: str | None, chunk: int
                  ) -> tuple[Cut, timedelta, list[datetime]]:
    """The checked request of a backfill (a run or a printed script): the cut (the
    ``service``'s, if given), the grid step and the grid times."""
    chosen, cut = select_views(repo, service=service) if service else \
        select_views(repo, views=[view])
    if view not in {v.name for v in chosen}:
        raise DefinitionError(f"FeatureService {service!r} does not use view {view!r}")
    step = parse_duration(every, where="--every")
    times = grid(parse_end(start), parse_end(end), step)
    if chunk < 1:
        raise CompileError(f"--chunk {chunk}: give a positive number of grid times")
    return cut, step, times


def table_name(layout: LatestTable, prefix: str) -> str:
    """``<prefix><view>_backfill``."""
    return f"{prefix}{layout.view.name}_backfill"


def backfill_columns(layout: LatestTable) -> tuple[tuple[str, DType], ...]:
    """The offline table's columns: keys, grid time, features, and the winner's times."""
    return (*layout.keys, (FEATURE_TIME, TIMESTAMP), *layout.features,
            (FEATURE_TIMESTAMP, TIMESTAMP), (CREATED_TIMESTAMP, TIMESTAMP))


def create_backfill_table(layout: LatestTable, name: str, dialect: Dialect) -> exp.Create:
    """The offline table on DuckDB, keyed by (keys, grid time)."""
    columns = backfill_columns(layout)
    keys = (*(k for k, _ in layout.keys), FEATURE_TIME)
    return st.create_table(name, columns, dialect, not_null=keys, primary_key=keys, quote=True)


def _grid_spine(layout: LatestTable, times: list[datetime], dialect: Dialect) -> exp.Select:
    """(keys..., AS_OF) for every key of table ``KEYS`` and every time of ``times``."""
    points: exp.Query | None = None
    for moment in times:
        one = exp.select(exp.alias_(literal(moment, TIMESTAMP, dialect), AS_OF, copy=False))
        points = one if points is None else exp.union(points, one, distinct=False, copy=False)
    assert points is not None
    return exp.select(*[col(k, "__fsql_k") for k, _ in layout.keys], col(AS_OF, "__fsql_g")
                      ).from_(exp.Table(this=ident(st.KEYS), alias=exp.TableAlias(
                          this=ident("__fsql_k"))), copy=False).join(
        points.subquery("__fsql_g", copy=False), join_type="CROSS", copy=False)


def chunk_rows(repo: Catalog, layout: LatestTable, times: list[datetime], dialect: Dialect,
               *, local: bool) -> exp.Select:
    """The offline rows of ``times`` (keys with something visible only: a missing (key, time)
    reads as nothing visible, as in a latest table)."""
    keys = tuple(k for k, _ in layout.keys)
    text = _grid_spine(layout, times, dialect).sql(dialect=dialect.sqlglot)
    plan = latest_rows_plan(repo, layout, SpineRef("query", text, AS_OF, columns=(*keys, AS_OF)),
                            dialect=dialect.name)
    if local:
        plan = replace(plan, lookups=tuple(replace(lk, source=absolute(lk.source, repo.root))
                                           for lk in plan.lookups))
    run = st.RunInfo("backfill", times[-1], times[-1], full_refresh=True)
    rows = st.new_rows(compile_plan(plan, dialect), layout, run, dialect, with_time=FEATURE_TIME)
    columns = [st.quoted(c) for c, _ in backfill_columns(layout)]
    return exp.select(*columns).from_(rows.subquery("__fsql_b", copy=False), copy=False).where(
        exp.Not(this=col(st.ABSENT)), copy=False)


def backfill(repo: Catalog, *, view: str, start: str | datetime, end: str | datetime,
             every: str | timedelta, target: str | None = None, service: str | None = None,
             chunk: int = 24, hook: Callable[[int], None] | None = None,
             progress: Callable[[str], None] | None = None) -> BackfillReport:
    """Write ``view``'s offline table ``<view>_backfill`` for the grid ``start``, ``start +
    every``, ... ``end`` on a DuckDB ``target``, ``chunk`` grid times per transaction;
    ``hook(i)`` runs before chunk ``i`` (tests interrupt it there).

    >>> backfill(Repo.load("examples/fraud"), view="user_risk",   # doctest: +SKIP
    ...          start="2024-06-01", end="2024-06-08", every="1d")
    """
    cut, step, times = backfill_grid(repo, view=view, start=start, end=end, every=every,
                                     service=service, chunk=chunk)
    where = executable(resolve_target(target, root=repo.root))
    layout = layout_for(repo, repo.view(view), cut, where.prefix)
    name = where.qualified(table_name(layout, where.prefix))
    state = where.qualified(STATE)
    dialect = get_dialect("duckdb")
    started = time.perf_counter()
    con = connect_target(where)
    try:
        con.execute(render(create_backfill_table(layout, name, dialect), dialect))
        con.execute(render(_create_state(state), dialect))
        other = con.execute(render(
            exp.select("definition_hash").distinct().from_(exp.to_table(state)).where(
                exp.and_(_is("view_name"), exp.NEQ(this=exp.column("definition_hash"),
                                                    expression=exp.Placeholder()))), dialect),
            [layout.view.name, layout.definition_hash]).fetchall()
        if other:
            raise DefinitionError(
                f"FeatureView {view!r} ({layout.view.location}) changed since {name} was "
                f"written (definition {other[0][0]} -> {layout.definition_hash}); drop {name} "
                "and its rows of fsql_backfills, or write to another target")
        assert layout.source is not None
        keys = st.changed_keys(layout, st.Names(name, state),
                               st.RunInfo("backfill", times[-1], times[-1], full_refresh=True),
                               absolute(layout.source, repo.root), dialect)
        con.execute(render(st.create_keys(keys, dialect), dialect))
        written = skipped = rows = 0
        chunks = [times[i:i + chunk] for i in range(0, len(times), chunk)]
        for number, part in enumerate(chunks):
            done = con.execute(render(
                exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(state)).where(
                    exp.and_(*[_is(c) for c in ("view_name", "definition_hash", "chunk_start",
                                                "chunk_end", "every_us")])), dialect),
                [layout.view.name, layout.definition_hash, _naive(part[0]), _naive(part[-1]),
                 _us(step)]).fetchall()[0][0]
            if done:
                skipped += 1
                continue
            if hook is not None:
                hook(number)
            if progress is not None:
                progress(f"{view}: chunk {number + 1}/{len(chunks)} "
                         f"({part[0].isoformat()} .. {part[-1].isoformat()})")
            rows += _write_chunk(con, repo, layout, name, state, part, step, dialect)
            written += 1
    except duckdb.Error as err:
        raise ExecutionError(f"Backfilling view {view!r} failed; chunks written so far are "
                             f"kept and the next run resumes after them: "
                             f"{str(err).strip().splitlines()[0]}") from None
    finally:
        con.close()
    return BackfillReport(view, name, len(times), written, skipped, rows,
                          time.perf_counter() - started)


def _write_chunk(con: duckdb.DuckDBPyConnection, repo: Catalog, layout: LatestTable, name: str,
                 state: str, part: list[datetime], step: timedelta, dialect: Dialect) -> int:
    select = chunk_rows(repo, layout, part, dialect, local=True)
    con.execute("BEGIN TRANSACTION")
    try:
        between = exp.Between(this=exp.column(FEATURE_TIME, quoted=True),
                              low=exp.Placeholder(), high=exp.Placeholder())
        con.execute(render(exp.delete(exp.to_table(name), where=between), dialect),
                    [_naive(part[0]), _naive(part[-1])])
        (count,) = con.execute(render(exp.insert(select, exp.to_table(name)), dialect)
                               ).fetchall()[0]
        values = [exp.Placeholder() for _ in range(6)] + [exp.func("now")]
        record = exp.insert(exp.values([tuple(values)]), exp.to_table(state))
        con.execute(render(record, dialect),
                    [layout.view.name, layout.definition_hash, _naive(part[0]), _naive(part[-1]),
                     _us(step), count])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(count)


def _naive(moment: datetime) -> datetime:
    """A UTC instant as DuckDB's TIMESTAMP (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _us(step: timedelta) -> int:
    return step // timedelta(microseconds=1)


def _is(column: str) -> exp.Expr:
    """``column = ?``."""
    return exp.EQ(this=exp.column(column), expression=exp.Placeholder())


def _create_state(state: str) -> exp.Create:
    """The backfill state table: one row per written chunk."""
    columns = [("view_name", "TEXT"), ("definition_hash", "TEXT"),
               ("chunk_start", "TIMESTAMP"), ("chunk_end", "TIMESTAMP"),
               ("every_us", "BIGINT"), ("rows_written", "BIGINT"),
               ("finished_at", "TIMESTAMP")]
    schema = exp.Schema(this=exp.to_table(state), expressions=[
        exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(t))
        for c, t in columns])
    return exp.Create(this=schema, kind="TABLE", exists=True)
