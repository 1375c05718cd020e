"""``fsql backfill --target bigquery://project/dataset``: the script that ``fsql backfill
--dialect bigquery --print`` shows, run as one BigQuery script job (each chunk its own
transaction, guarded by "not recorded yet": a run stopped half way resumes when run again),
then the chunks it wrote counted from ``fsql_backfills``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.engines import bigquery
from fsql.errors import DefinitionError, QueryRejectedError, UnsupportedError
from fsql.materialize.backfill import STATE, BackfillReport, backfill_grid, table_name
from fsql.materialize.backfill_script import backfill_steps
from fsql.materialize.last_runs import no_such_table
from fsql.materialize.layout import LatestTable
from fsql.materialize.run import layout_for
from fsql.materialize.script import render_step
from fsql.materialize.targets import Target, bigquery_client, resolve_target

Chunk = tuple[datetime, datetime]


def backfill_in_bigquery(repo: Catalog, *, view: str, start: str | datetime,
                         end: str | datetime, every: str | timedelta,
                         target: str | None = None, service: str | None = None,
                         chunk: int = 24, progress: Callable[[str], None] | None = None
                         ) -> BackfillReport:
    """Write ``view``'s offline table ``<view>_backfill`` of a BigQuery ``target`` for the
    grid ``start``, ``start + every``, ... ``end``, ``chunk`` grid times per transaction;
    chunks recorded by an earlier run of the same definition and grid step are left alone.

    >>> backfill_in_bigquery(Repo.load("examples/fraud"), view="user_risk",  # doctest: +SKIP
    ...                      start="2024-06-01", end="2024-06-08", every="1d",
    ...                      target="bigquery://project/dataset")
    """
    where, step, times, layout, name, state = prepare(
        repo, "bigquery", view=view, start=start, end=end, every=every, target=target,
        service=service, chunk=chunk)
    bq = bigquery_client(where)
    started = time.perf_counter()
    before = _recorded(bq, state, layout, step, name)
    script = "\n".join(render_step(s, "bigquery") for s in
                       backfill_steps(repo, layout, name, state, times, step, chunk, "bigquery"))
    if progress is not None:
        progress(f"{view}: {len(times)} grid times in chunks of {chunk}, one script job")
    bigquery.execute(bq, script, what=f"backfilling view {view!r} (chunks written so far are "
                     "kept; run again to resume)", progress=progress)
    after = _recorded(bq, state, layout, step, name)
    return report(view, name, times, chunk, before, after, time.perf_counter() - started)


def prepare(repo: Catalog, scheme: str, *, view: str, start: str | datetime,
            end: str | datetime, every: str | timedelta, target: str | None,
            service: str | None, chunk: int
            ) -> tuple[Target, timedelta, list[datetime], LatestTable, str, str]:
    """A warehouse backfill's target (of ``scheme``: else an error), grid step and times,
    the view's layout and the qualified names of its backfill table and state table."""
    where = resolve_target(target, root=repo.root)
    if where.scheme != scheme:
        raise UnsupportedError(f"Target {where.url!r} is not a {WAREHOUSES[scheme]} target; "
                               f"run fsql backfill without naming it {scheme}://...")
    cut, step, times = backfill_grid(repo, view=view, start=start, end=end, every=every,
                                     service=service, chunk=chunk)
    layout = layout_for(repo, repo.view(view), cut, where.prefix, dialect=scheme)
    return (where, step, times, layout, where.qualified(table_name(layout, where.prefix)),
            where.qualified(STATE))


WAREHOUSES = {"bigquery": "BigQuery", "snowflake": "Snowflake"}


def _recorded(bq: Any, state: str, layout: LatestTable, step: timedelta,
              name: str) -> dict[Chunk, int]:
    """The chunks of ``fsql_backfills`` recorded for this view, definition and grid step, and
    their rows; none if the table does not exist yet. Rows of another definition of the
    view: a DefinitionError (its table has other columns or values)."""
    read = exp.select("definition_hash", "chunk_start", "chunk_end", "every_us",
                      "rows_written").from_(exp.to_table(state)).where(
        exp.EQ(this=exp.column("view_name"), expression=exp.Literal.string(layout.view.name)))
    try:
        rows = bigquery.query_arrow(bq, read.sql(dialect="bigquery"), dataset=None,
                                    what=f"reading {state}").to_pylist()
    except QueryRejectedError as err:
        if no_such_table(err):  # no backfill recorded on this target yet
            return {}
        raise
    return recorded_chunks(rows, layout, step, name)


def recorded_chunks(rows: list[dict[str, Any]], layout: LatestTable, step: timedelta,
                    name: str) -> dict[Chunk, int]:
    """The chunks (first, last grid time) and their rows among ``fsql_backfills`` rows of the
    view (``definition_hash``, ``chunk_start``, ``chunk_end``, ``every_us``,
    ``rows_written``) for this grid step; a row of another definition of the view is a
    DefinitionError (its table has other columns or values)."""
    other = sorted({r["definition_hash"] for r in rows} - {layout.definition_hash})
    if other:
        raise DefinitionError(
            f"FeatureView {layout.view.name!r} ({layout.view.location}) changed since {name} "
            f"was written (definition {other[0]} -> {layout.definition_hash}); drop {name} "
            "and its rows of fsql_backfills, or write to another target")
    every_us = step // timedelta(microseconds=1)
    return {(_utc(r["chunk_start"]), _utc(r["chunk_end"])): int(r["rows_written"])
            for r in rows if int(r["every_us"]) == every_us}


def report(view: str, name: str, times: list[datetime], chunk: int, before: dict[Chunk, int],
           after: dict[Chunk, int], seconds: float) -> BackfillReport:
    """The figures of a warehouse backfill from the chunks recorded before and after it."""
    chunks = [(times[i], times[min(i + chunk, len(times)) - 1])
              for i in range(0, len(times), chunk)]
    written = [c for c in chunks if c not in before and c in after]
    return BackfillReport(view, name, len(times), len(written),
                          sum(1 for c in chunks if c in before),
                          sum(after[c] for c in written), seconds)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
