"""``fsql backfill --target snowflake://user@account/db/schema``: the script that ``fsql backfill
--dialect snowflake --print`` shows, run statement by statement on one Snowflake session (each
chunk its own explicit transaction, every statement guarded by "not recorded yet": a run
stopped half way resumes when run again), then the chunks it wrote counted from
``fsql_backfills``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.engines import snowflake
from fsql.errors import ExecutionError, QueryRejectedError
from fsql.materialize.backfill import BackfillReport
from fsql.materialize.backfill_bigquery import Chunk, prepare, recorded_chunks, report
from fsql.materialize.backfill_script import backfill_steps
from fsql.materialize.last_runs import no_such_table
from fsql.materialize.layout import LatestTable
from fsql.materialize.script import render_step
from fsql.materialize.targets import snowflake_connection


def backfill_in_snowflake(repo: Catalog, *, view: str, start: str | datetime,
                          end: str | datetime, every: str | timedelta,
                          target: str | None = None, service: str | None = None,
                          chunk: int = 24, progress: Callable[[str], None] | None = None
                          ) -> BackfillReport:
    """Write ``view``'s offline table ``<view>_backfill`` of a Snowflake ``target`` for the
    grid ``start``, ``start + every``, ... ``end``, ``chunk`` grid times per transaction;
    chunks recorded by an earlier run of the same definition and grid step are left alone.
    A statement that fails rolls its chunk back (the chunks before it stay written).

    >>> backfill_in_snowflake(Repo.load("examples/fraud"), view="user_risk",  # doctest: +SKIP
    ...                       start="2024-06-01", end="2024-06-08", every="1d",
    ...                       target="snowflake://me@account/db/schema?warehouse=WH")
    """
    where, step, times, layout, name, state = prepare(
        repo, "snowflake", view=view, start=start, end=end, every=every, target=target,
        service=service, chunk=chunk)
    steps = backfill_steps(repo, layout, name, state, times, step, chunk, "snowflake")
    con = snowflake_connection(where)
    try:
        started = time.perf_counter()
        before = _recorded(con, state, layout, step, name)
        if progress is not None:
            progress(f"{view}: {len(times)} grid times in chunks of {chunk}")
        done = 0
        for s in steps:
            what = f"backfilling view {view!r} (step {s.name}; chunks written so far are " \
                   "kept, run again to resume)"
            try:
                snowflake.execute(con, render_step(s, "snowflake"), what=what,
                                  progress=progress)
            except BaseException:
                # A failed statement does not end the transaction, and a disconnected
                # session's one stays open holding its locks until it is aborted:
                # https://docs.snowflake.com/en/sql-reference/transactions#aborting-transactions
                with contextlib.suppress(ExecutionError):  # the statement's error is the one
                    snowflake.execute(con, "ROLLBACK", what="rolling the chunk back")
                raise
            if s.name == "commit" and progress is not None:
                done += 1
                progress(f"{view}: chunk {done} of {-(-len(times) // chunk)} committed")
        after = _recorded(con, state, layout, step, name)
    finally:
        con.close()
    return report(view, name, times, chunk, before, after, time.perf_counter() - started)


def _recorded(con: Any, state: str, layout: LatestTable, step: timedelta,
              name: str) -> dict[Chunk, int]:
    """The chunks of ``fsql_backfills`` recorded for this view, definition and grid step, and
    their rows; none if the table does not exist yet."""
    columns = ("definition_hash", "chunk_start", "chunk_end", "every_us", "rows_written")
    read = exp.select(*columns).from_(exp.to_table(state)).where(
        exp.EQ(this=exp.column("view_name"), expression=exp.Literal.string(layout.view.name)))
    try:
        cursor = snowflake.execute(con, read.sql(dialect="snowflake"), what=f"reading {state}")
    except QueryRejectedError as err:
        if no_such_table(err):  # no backfill recorded on this target yet
            return {}
        raise
    # by position: fakesnow's server gives a result fetched by query id no description
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return recorded_chunks(rows, layout, step, name)
