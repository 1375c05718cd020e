"""What a training set computed in a warehouse (BigQuery, Snowflake) shares with every other:
a local spine file read by DuckDB into Arrow rows to upload, and the result written to the
output file atomically, with the run's summary."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fsql.engines.runner import (
    SPINE_INPUT,
    SPINE_ROW_ID,
    RunSummary,
    connect,
    load_spine,
    output_file,
)
from fsql.engines.statements import describe, select_all, statement_sql, table
from fsql.errors import ExecutionError
from fsql.plan.nodes import SpineRef


def local_spine(spine: str, *, timestamp_column: str
                ) -> tuple[SpineRef, pa.Table, dict[str, str]]:
    """A local spine file read by DuckDB as a local run reads it: its reference (a query of
    the rows, numbered in the file's order), its rows with the row number (to upload) and
    its columns' DuckDB types (without the row number)."""
    con = connect()
    try:
        ref = load_spine(con, spine, timestamp_column=timestamp_column)
        rows_sql = select_all(table(SPINE_INPUT))
        types = {r[0]: str(r[1]) for r in con.execute(statement_sql(
            describe(rows_sql))).fetchall() if r[0] != SPINE_ROW_ID}
        rows = con.sql(statement_sql(rows_sql)).to_arrow_table()
    finally:
        con.close()
    return ref, rows, types


def run_to_file(compute: Callable[[], tuple[pa.Table, tuple[str, ...]]], out: str | Path
                ) -> RunSummary:
    """Write the training set ``compute()`` returns (the table and its feature names) to
    ``out`` (.parquet or .csv) atomically; the name is checked before anything runs."""
    started = time.perf_counter()
    out_path, suffix = output_file(out)
    result, names = compute()
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".fsql-", suffix=suffix, dir=out_path.parent)
        os.close(fd)
        try:
            if suffix == ".parquet":
                pq.write_table(result, tmp)
            else:
                pacsv.write_csv(result, tmp)
            os.replace(tmp, out_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as err:
        raise ExecutionError(f"Output {str(out)!r}: cannot write it: {err}") from None
    return RunSummary(rows=result.num_rows, features=names,
                      null_counts={n: result.column(n).null_count for n in names},
                      seconds=time.perf_counter() - started)
