"""``fsql backfill --dialect bigquery|snowflake --print``: a view's offline table written by a
warehouse script, the statements built as sqlglot trees.

The table is date-partitioned on the grid time and clustered by the join keys on BigQuery,
clustered by the join keys on Snowflake. Each chunk of grid times is one transaction: delete
the chunk's grid range, insert its rows, record it in ``fsql_backfills``, every statement
guarded by "this chunk is not recorded yet". A run stopped half way is resumed by running the
same script again: the chunks already recorded are left alone, the others written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.errors import CompileError, UnsupportedError
from fsql.materialize import statements as st
from fsql.materialize.backfill import (
    FEATURE_TIME,
    STATE,
    backfill_columns,
    backfill_grid,
    chunk_rows,
    table_name,
)
from fsql.materialize.layout import TIMESTAMP, LatestTable
from fsql.materialize.run import layout_for
from fsql.materialize.script import Step, key_source, render_step
from fsql.materialize.targets import Target, resolve_target
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import literal, table_ref

# The columns of DuckDB's ``fsql_backfills``, typed per warehouse (a TIMESTAMP that compares
# with the grid's TIMESTAMP literals, not BigQuery's DATETIME).
STATE_COLUMNS: tuple[tuple[str, DType], ...] = (
    ("view_name", DType("string")), ("definition_hash", DType("string")),
    ("chunk_start", TIMESTAMP), ("chunk_end", TIMESTAMP), ("every_us", DType("int64")),
    ("rows_written", DType("int64")), ("finished_at", TIMESTAMP))


@dataclass(frozen=True)
class BackfillStyle:
    """How a warehouse lays out an offline table."""

    # PARTITION BY DATE(feature_time): a chunk's DELETE and a training read of a time range
    # touch only their days' partitions.
    # https://cloud.google.com/bigquery/docs/partitioned-tables
    partition_by_date: bool


STYLES: dict[str, BackfillStyle] = {
    # https://cloud.google.com/bigquery/docs/clustered-tables (after the partition: the keys)
    "bigquery": BackfillStyle(partition_by_date=True),
    # https://docs.snowflake.com/en/user-guide/tables-clustering-keys: CLUSTER BY the keys;
    # the chunks are inserted in grid-time order, so micro-partitions are already ordered by
    # time (natural clustering) and a chunk's range DELETE prunes on it.
    "snowflake": BackfillStyle(partition_by_date=False),
}


def backfill_style(dialect: Dialect) -> BackfillStyle:
    """The dialect's offline-table layout, or a typed error naming the dialects that have one."""
    if dialect.name not in STYLES:
        extra = "; on DuckDB run the backfill without --print" if dialect.name == "duckdb" \
            else ""
        raise UnsupportedError(
            f"fsql backfill --print writes scripts for {', '.join(STYLES)}, not "
            f"{dialect.name}{extra}")
    return STYLES[dialect.name]


def create_warehouse_table(layout: LatestTable, name: str, dialect: Dialect) -> exp.Create:
    """The offline table on a warehouse: clustered by the join keys (partitioned by the grid
    time's date where the dialect's style says so)."""
    how = backfill_style(dialect)
    columns = backfill_columns(layout)
    keys = tuple(k for k, _ in layout.keys)
    create = st.create_table(name, columns, dialect, not_null=(*keys, FEATURE_TIME),
                             primary_key=keys, quote=True)
    if how.partition_by_date:
        props = create.args["properties"]
        day = exp.Date(this=exp.column(FEATURE_TIME, quoted=True))
        props.set("expressions", [exp.PartitionedByProperty(this=day),
                                  *props.expressions])
    return create


def _chunk_is(layout: LatestTable, state: str, part: list[datetime], step: timedelta,
              dialect: Dialect) -> exp.Exists:
    """``EXISTS`` (the chunk's row in the state table)."""
    values = {"view_name": exp.Literal.string(layout.view.name),
              "definition_hash": exp.Literal.string(layout.definition_hash),
              "chunk_start": literal(part[0], TIMESTAMP, dialect),
              "chunk_end": literal(part[-1], TIMESTAMP, dialect),
              "every_us": exp.Literal.number(step // timedelta(microseconds=1))}
    return exp.Exists(this=exp.select(exp.Literal.number(1)).from_(table_ref(state, dialect)).where(
        exp.and_(*[exp.EQ(this=exp.column(c), expression=v) for c, v in values.items()])))


def _in_chunk(part: list[datetime], dialect: Dialect) -> exp.Between:
    return exp.Between(this=exp.column(FEATURE_TIME, quoted=True),
                       low=literal(part[0], TIMESTAMP, dialect),
                       high=literal(part[-1], TIMESTAMP, dialect))


def chunk_steps(repo: Catalog, layout: LatestTable, name: str, state: str, part: list[datetime],
                step: timedelta, dialect: Dialect) -> list[Step]:
    """One chunk as a transaction; each statement does nothing once the chunk is recorded."""
    todo = exp.Not(this=_chunk_is(layout, state, part, step, dialect))
    rows = chunk_rows(repo, layout, part, dialect, local=False)
    rows.where(todo.copy(), copy=False)
    count = exp.select(exp.Count(this=exp.Star())).from_(table_ref(name, dialect)).where(
        _in_chunk(part, dialect)).subquery()
    record = exp.select(
        exp.Literal.string(layout.view.name), exp.Literal.string(layout.definition_hash),
        literal(part[0], TIMESTAMP, dialect), literal(part[-1], TIMESTAMP, dialect),
        exp.Literal.number(step // timedelta(microseconds=1)), count,
        exp.CurrentTimestamp()).where(todo.copy())
    return [Step("begin", exp.Transaction()),
            Step("delete_chunk", exp.delete(table_ref(name, dialect),
                                            where=exp.and_(_in_chunk(part, dialect),
                                                           todo.copy()))),
            Step("insert_chunk", exp.insert(rows, table_ref(name, dialect))),
            Step("record_chunk", exp.insert(record, table_ref(state, dialect))),
            Step("commit", exp.Commit())]


def backfill_steps(repo: Catalog, layout: LatestTable, name: str, state: str,
                   times: list[datetime], step: timedelta, chunk: int,
                   dialect_name: str) -> list[Step]:
    """The whole script: the tables, the keys, then one transaction per chunk."""
    dialect = get_dialect(dialect_name)
    create = create_warehouse_table(layout, name, dialect)
    run = st.RunInfo("backfill", times[-1], times[-1], full_refresh=True)
    keys = st.changed_keys(layout, st.Names(name, state), run,
                           key_source(repo, layout, local=False), dialect)
    steps = [Step("create_backfill", create),
             Step("create_state", st.create_table(state, STATE_COLUMNS, dialect)),
             Step("changed_keys", st.create_keys(keys, dialect))]
    for i in range(0, len(times), chunk):
        steps += chunk_steps(repo, layout, name, state, times[i:i + chunk], step, dialect)
    return steps


def print_backfill(repo: Catalog, *, view: str, start: str | datetime, end: str | datetime,
                   every: str | timedelta, dialect: str, target: str | None = None,
                   service: str | None = None, chunk: int = 24) -> str:
    """``view``'s backfill on ``dialect`` as one script; the same inputs give the same text.

    >>> print(print_backfill(Repo.load("examples/fraud"), view="user_risk",  # doctest: +SKIP
    ...       start="2024-06-01", end="2024-06-08", every="1d", dialect="bigquery"))
    """
    backfill_style(get_dialect(dialect))
    cut, step, times = backfill_grid(repo, view=view, start=start, end=end, every=every,
                                     service=service, chunk=chunk)
    where = resolve_target(target, root=repo.root) if target else Target(dialect, dialect)
    if where.scheme != dialect:
        raise CompileError(f"--target {where.url} is a {where.scheme} target; the script is "
                           f"for --dialect {dialect}: give a {dialect}:// target or none")
    layout = layout_for(repo, repo.view(view), cut, where.prefix, dialect=dialect)
    name = where.qualified(table_name(layout, where.prefix))
    parts = [f"-- fsql backfill of view {view} -> {name} (definition {layout.definition_hash})"
             f" | {times[0].isoformat()} .. {times[-1].isoformat()} every {step} | "
             f"dialect {dialect}; run again to resume: recorded chunks are skipped"]
    parts += [render_step(s, dialect) for s in
              backfill_steps(repo, layout, name, where.qualified(STATE), times, step, chunk,
                             dialect)]
    return "\n".join(parts) + "\n"
