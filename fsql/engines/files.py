"""Local Parquet/CSV files described by embedded DuckDB: the planner's
:class:`~fsql.plan.schemas.FileSchemas`."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlglot import exp

from fsql.engines.bad_values import first_bad_timestamp
from fsql.engines.statements import (
    count_rows,
    describe,
    read_file,
    reader_name,
    select_all,
    statement_sql,
)
from fsql.errors import ExecutionError


def first_line(err: BaseException) -> str:
    """The first line of an engine's message (DuckDB appends the SQL it failed on)."""
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


class DuckDBFiles:
    """Describes local files with DuckDB (one in-memory connection, opened when a file is
    first described: a request on tables never pays for it; no open result left)."""

    def __init__(self) -> None:
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = duckdb.connect()
        return self._connection

    def describe(self, path: Path, *, what: str) -> dict[str, str]:
        """Column name -> DuckDB type of a local Parquet/CSV file."""
        if not path.exists():
            raise ExecutionError(f"{what}: file {str(path)!r} does not exist")
        if not path.is_file():
            raise ExecutionError(
                f"{what}: {str(path)!r} is not a file; give a .parquet or .csv file")
        try:
            rows = self._con.execute(
                statement_sql(describe(select_all(_read(path)))), [str(path)]).fetchall()
        except duckdb.Error as err:
            raise ExecutionError(
                f"{what}: cannot read {str(path)!r}: {first_line(err)}") from None
        return {row[0]: str(row[1]) for row in rows}

    def row_count(self, path: Path) -> int:
        """The number of data rows of the file."""
        (rows,) = self._con.execute(statement_sql(count_rows(_read(path))), [str(path)]).fetchall()
        return int(rows[0])

    def first_bad_timestamp(self, path: Path, column: str) -> tuple[int, str] | None:
        """(row, text) of the first value of ``column`` that is neither a timestamp nor a
        date."""
        return first_bad_timestamp(self._con, _read(path), [str(path)], column)


def _read(path: Path) -> exp.Expr:
    """The file's reader with its path bound as a parameter."""
    return read_file(None, reader=reader_name(path))
