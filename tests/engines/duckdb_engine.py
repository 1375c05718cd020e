"""DuckDB as a test engine: typed tables in an in-memory database, Python values out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from tests.engines import Result, TableData

_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN",
          "timestamp": "TIMESTAMP", "date": "DATE"}


def duckdb_type(dtype: str) -> str:
    """DuckDB column type of an fsql dtype."""
    if dtype.startswith("decimal"):
        return dtype.upper()
    return _TYPES[dtype]


def _value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBEngine:
    """Runs DuckDB SQL; ``time_zone`` sets the session TimeZone (it must not change results)."""

    dialect = "duckdb"

    def __init__(self, time_zone: str = "UTC") -> None:
        self.time_zone = time_zone

    def run(self, sql: str, tables: dict[str, TableData]) -> Result:
        """Load ``tables`` and run ``sql`` in a fresh in-memory database."""
        con = duckdb.connect()
        con.execute(f"SET TimeZone = '{self.time_zone}'")
        for name, table in tables.items():
            parts = name.split(".")
            if len(parts) == 2:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(parts[0])}")
            qualified = ".".join(_quote(p) for p in parts)
            columns = ", ".join(f"{_quote(c)} {duckdb_type(t)}" for c, t in table.columns)
            con.execute(f"CREATE TABLE {qualified} ({columns})")
            if table.rows:
                marks = ", ".join("?" for _ in table.columns)
                con.executemany(f"INSERT INTO {qualified} VALUES ({marks})",
                                [[_value(v) for v in row] for row in table.rows])
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        types = [str(d[1]) for d in cursor.description]
        rows = []
        for row in cursor.fetchall():
            rows.append(tuple(
                v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None
                and t.startswith("TIMESTAMP") else
                v.astimezone(UTC) if isinstance(v, datetime) else v
                for v, t in zip(row, types, strict=True)))
        return Result(columns=names, rows=rows)
