"""Sync latest tables (fsql materialize's DuckDB target) into the online store: per view, the
rows of ``<view>_latest`` as of its last run, with the view's layout and definition hash."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.errors import DefinitionError, ExecutionError
from fsql.materialize import statements as st
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, STATE_TABLE, LatestTable
from fsql.materialize.run import connect_target, last_run, layout_for, select_views
from fsql.materialize.targets import executable, resolve_target
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
    entities) from ``target`` into the online store ``online`` (default: fsql.toml's)."""
    chosen, cut = select_views(catalog, views=views, service=service)
    where = executable(resolve_target(target, root=catalog.root))
    layouts = [layout_for(catalog, view, cut, where.prefix) for view in chosen]
    store = open_store(online_url(catalog, online), root=catalog.root)
    con = connect_target(where)
    results = []
    try:
        for layout in layouts:
            names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
            state = _state(con, names, layout)
            rows = _rows(con, where.qualified(layout.name), layout)
            result = sync_view(store, layout.view.name, state, rows, full_refresh=full_refresh)
            results.append(result)
            if progress is not None:
                progress(result.format())
    finally:
        con.close()
        store.close()
    return results


def _state(con: duckdb.DuckDBPyConnection, names: st.Names, layout: LatestTable) -> ViewState:
    run = last_run(con, names, layout.state_name)
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


def _rows(con: duckdb.DuckDBPyConnection, table: str, layout: LatestTable
          ) -> Iterator[LatestRow]:
    keys = [k for k, _ in layout.keys]
    features = [f for f, _ in layout.features]
    columns = [*keys, FEATURE_TIMESTAMP, CREATED_TIMESTAMP, *features]
    query = exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(
        exp.to_table(table)).sql(dialect="duckdb")
    result = con.execute(query)
    n = len(keys)
    while batch := result.fetchmany(10_000):
        for row in batch:
            values: tuple[Any, ...] = row
            yield values[:n], values[n], values[n + 1], values[n + 2:]
