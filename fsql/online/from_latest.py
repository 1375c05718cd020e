"""Sync latest tables (fsql materialize's DuckDB, BigQuery or Snowflake target) into the
online store: per view, the rows of ``<view>_latest`` as of its last run, with the view's
layout and definition hash. Each target scheme has its reader
(:mod:`fsql.online.latest_readers`); the sync itself is the same."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fsql.dsl.catalog import Catalog
from fsql.errors import DefinitionError, ExecutionError
from fsql.materialize.layout import LatestTable
from fsql.materialize.run import layout_for, select_views
from fsql.materialize.targets import resolve_target
from fsql.online.config import online_url
from fsql.online.latest_readers import open_reader
from fsql.online.stores import ViewState, open_store
from fsql.online.sync import SyncResult, sync_view


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
