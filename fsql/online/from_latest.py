"""Sync latest tables (fsql materialize's DuckDB, BigQuery or Snowflake target) into the
online store: per view, the rows of ``<view>_latest`` as of its last run, with the view's
layout and definition hash. Each target scheme has its reader (``open_reader``); the sync
itself is the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.errors import DefinitionError, ExecutionError, UnsupportedError
from fsql.materialize import last_runs
from fsql.materialize import statements as st
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, STATE_TABLE, LatestTable
from fsql.materialize.run import connect_target, last_run, layout_for, select_views
from fsql.materialize.targets import Target, resolve_target, snowflake_connection
from fsql.online import bigquery_latest, snowflake_latest
from fsql.online.config import online_url
from fsql.online.stores import ViewState, open_store
from fsql.online.sync import LatestRow, SyncResult, sync_view


def view_state(layout: LatestTable, as_of: int) -> ViewState:
    """The online state of a view synced from ``layout``'s table as of ``as_of``."""
    return ViewState(layout.definition_hash, as_of,
                     tuple((k, str(t)) for k, t in layout.keys),
                     tuple((f, str(t)) for f, t in layout.features),
                     layout.horizon_us, layout.is_aggregation, layout.cut)


def sync(catalog: Catalog, *, views: Sequence[str] | str | None = None,
         service: str | None = None, online: str | None = None, target: str | None = None,
         full_refresh: bool = False,
         progress: Callable[[str], None] | None = None) -> list[SyncResult]:
    """Copy the latest tables of ``views`` (or of ``service``'s, default: every view with
    entities) from ``target`` (a DuckDB file, a BigQuery dataset or a Snowflake schema) into
    the online store ``online`` (default: fsql.toml's)."""
    chosen, cut = select_views(catalog, views=views, service=service)
    where = resolve_target(target, root=catalog.root)
    layouts = [layout_for(catalog, view, cut, where.prefix, dialect=where.scheme)
               for view in chosen]
    store = open_store(online_url(catalog, online), root=catalog.root)
    results = []
    try:
        reader = open_reader(where, layouts)
        try:
            for layout in layouts:
                state = checked_state(layout, reader.last_run(layout))
                result = sync_view(store, layout.view.name, state, reader.rows(layout),
                                   full_refresh=full_refresh)
                results.append(result)
                if progress is not None:
                    progress(result.format())
        finally:
            reader.close()
    finally:
        store.close()
    return results


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
        self.bq = last_runs.client_of(where)
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


def checked_state(layout: LatestTable, run: tuple[int, str] | None) -> ViewState:
    """The online state of a sync of ``layout`` from its last ``run``: none, or one of another
    definition, is an error naming the materialization to run first."""
    name = layout.view.name
    if run is None:
        raise ExecutionError(f"Feature view {name!r} has no latest table on this target: run "
                             f"fsql materialize --views {name} first")
    end_us, definition = run
    if definition != layout.definition_hash:
        raise DefinitionError(
            f"The latest table of feature view {name!r} was materialized from another "
            f"definition; run fsql materialize --views {name} --full-refresh first")
    return view_state(layout, end_us)
