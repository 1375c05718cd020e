"""Where ``fsql sync`` reads latest tables: one reader per target scheme (a DuckDB file, a
BigQuery dataset, a Snowflake schema), each giving a view's last completed run and its
latest table's rows; :func:`open_reader` picks it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from sqlglot import exp

from fsql.errors import UnsupportedError
from fsql.materialize import last_runs
from fsql.materialize import statements as st
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, STATE_TABLE, LatestTable
from fsql.materialize.run import connect_target, last_run
from fsql.materialize.targets import Target, bigquery_client, snowflake_connection
from fsql.online import bigquery_latest, snowflake_latest
from fsql.online.sync import LatestRow


class LatestReader(Protocol):
    """Where a sync reads latest tables: one per target scheme."""

    def last_run(self, layout: LatestTable) -> tuple[int, str] | None:
        """(T1 in microseconds, definition hash) of the view's last completed run, or None."""
        ...

    def rows(self, layout: LatestTable) -> Iterator[LatestRow]:
        """The rows of the view's latest table."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class DuckDBReader:
    """Latest tables in a DuckDB file."""

    def __init__(self, where: Target) -> None:
        self.where = where
        self.con = connect_target(where)

    def last_run(self, layout: LatestTable) -> tuple[int, str] | None:
        """The view's last run, from the state table."""
        names = st.Names(self.where.qualified(layout.name), self.where.qualified(STATE_TABLE))
        return last_run(self.con, names, layout.state_name)

    def rows(self, layout: LatestTable) -> Iterator[LatestRow]:
        """The latest table's rows, fetched 10,000 at a time."""
        keys = [k for k, _ in layout.keys]
        features = [f for f, _ in layout.features]
        columns = [*keys, FEATURE_TIMESTAMP, CREATED_TIMESTAMP, *features]
        query = exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(
            exp.to_table(self.where.qualified(layout.name))).sql(dialect="duckdb")
        result = self.con.execute(query)
        n = len(keys)
        while batch := result.fetchmany(10_000):
            for row in batch:
                values: tuple[Any, ...] = row
                yield values[:n], values[n], values[n + 1], values[n + 2:]

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()


class BigQueryReader:
    """Latest tables in a BigQuery dataset: every view's last run read in one query."""

    def __init__(self, where: Target, layouts: Sequence[LatestTable]) -> None:
        self.where = where
        self.bq = bigquery_client(where)
        try:
            self.runs = last_runs.last_runs(self.bq, where, layouts)
        except BaseException:
            self.bq.close()
            raise

    def last_run(self, layout: LatestTable) -> tuple[int, str] | None:
        """The view's last run, as read when the reader opened."""
        return self.runs.get(layout.state_name)

    def rows(self, layout: LatestTable) -> Iterator[LatestRow]:
        """The latest table's rows, a page at a time."""
        return bigquery_latest.latest_rows(self.bq, self.where, layout)

    def close(self) -> None:
        """Close the client's HTTP session."""
        self.bq.close()


class SnowflakeReader:
    """Latest tables in a Snowflake schema: every view's last run read in one query."""

    def __init__(self, where: Target, layouts: Sequence[LatestTable]) -> None:
        self.where = where
        self.con = snowflake_connection(where)
        try:
            self.runs = last_runs.snowflake_last_runs(self.con, where, layouts)
        except BaseException:
            self.con.close()
            raise

    def last_run(self, layout: LatestTable) -> tuple[int, str] | None:
        """The view's last run, as read when the reader opened."""
        return self.runs.get(layout.state_name)

    def rows(self, layout: LatestTable) -> Iterator[LatestRow]:
        """The latest table's rows, a batch at a time."""
        return snowflake_latest.latest_rows(self.con, self.where, layout)

    def close(self) -> None:
        """Close the Snowflake connection."""
        self.con.close()


READERS = ("duckdb", "bigquery", "snowflake")


def open_reader(where: Target, layouts: Sequence[LatestTable]) -> LatestReader:
    """The reader of ``where``'s scheme."""
    if where.scheme == "duckdb":
        return DuckDBReader(where)
    if where.scheme == "bigquery":
        return BigQueryReader(where, layouts)
    if where.scheme == "snowflake":
        return SnowflakeReader(where, layouts)
    raise UnsupportedError(f"Target {where.url!r}: fsql sync reads latest tables from "
                           f"{', '.join(READERS)} targets, not from {where.scheme} ones")
