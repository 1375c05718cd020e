"""Independent DuckDB queries run side by side, each on one thread.

A hash GROUP BY of ~1M groups on N threads partitions its rows and merges the partitions: at
10M rows about a quarter more CPU than on one thread. The statistics are one such GROUP BY per
feature, independent of each other, so N cursors each running whole per-feature queries on one
thread do the same work with less CPU (bench/README.md "Monitoring")."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from fsql.engines.statements import set_option, statement_sql

Result = tuple[list[str], list[tuple[Any, ...]]]


def threads_of(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's ``threads`` setting of ``con``'s database."""
    row = con.execute("SELECT current_setting('threads')").fetchone()
    return int(row[0]) if row else 1


Frames = Mapping[str, Any]  # name -> an Arrow table (or what DuckDB registers), per cursor


def _cursor(con: duckdb.DuckDBPyConnection, frames: Frames | None
            ) -> duckdb.DuckDBPyConnection:
    cursor = con.cursor()
    for name, frame in (frames or {}).items():
        cursor.register(name, frame)
    return cursor


def shared(con: duckdb.DuckDBPyConnection, table: exp.Table,
           frames: Frames | None = None) -> bool:
    """Whether another cursor of ``con``'s database, with ``frames`` registered, sees
    ``table`` (a catalog table does; a registered frame or a temporary table is the
    connection's own)."""
    cursor = _cursor(con, frames)
    try:
        cursor.execute(exp.select(exp.Literal.number(1)).from_(table.copy(), copy=False)
                       .limit(0, copy=False).sql(dialect="duckdb")).fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        cursor.close()


def run_side_by_side(con: duckdb.DuckDBPyConnection, queries: Sequence[str],
                     workers: int, frames: Frames | None = None) -> list[Result]:
    """Each query's column names and rows, in order: ``workers`` cursors of ``con``'s
    database, each with ``frames`` registered, take the queries one at a time, with DuckDB's
    ``threads`` at 1 meanwhile (the setting is the database's; restored after). The first
    failure is raised once all stop."""
    results: list[Result | None] = [None] * len(queries)
    failures: list[BaseException] = []
    pending = list(reversed(range(len(queries))))
    lock = threading.Lock()

    def work(cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            while True:
                with lock:
                    if failures or not pending:
                        return
                    k = pending.pop()
                found = cursor.execute(queries[k])
                names = [d[0] for d in found.description]
                results[k] = (names, found.fetchall())
        except BaseException as err:  # re-raised in the calling thread
            with lock:
                failures.append(err)
        finally:
            cursor.close()

    before = threads_of(con)
    con.execute(statement_sql(set_option("threads")), [1])
    try:
        pool = [threading.Thread(target=work, args=(_cursor(con, frames),)) for _ in range(workers)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        con.execute(statement_sql(set_option("threads")), [before])
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]
