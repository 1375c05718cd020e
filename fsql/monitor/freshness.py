"""Offline freshness (``fsql freshness --offline``): per view, the newest event and created
time of its source (one query for every view) and the as-of time of its last materialization
(one read of the state table), and the lag against the view's ``freshness_sla`` (else its
TTL) at a given time. On a BigQuery target both queries run in BigQuery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView
from fsql.engines import bigquery, snowflake
from fsql.engines.runner import connect
from fsql.errors import DefinitionError, UnsupportedError
from fsql.materialize import last_runs
from fsql.materialize import statements as st
from fsql.materialize.layout import STATE_TABLE, LatestTable
from fsql.materialize.run import connect_target, last_run, layout_for
from fsql.materialize.script import absolute
from fsql.materialize.targets import (
    Target,
    bigquery_client,
    resolve_target,
    snowflake_connection,
)
from fsql.sql.compiler import finalize, render
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import aliased, relation_for_source

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class OfflineFreshness:
    """One view's newest source times, last materialization and staleness at ``now``."""

    view: str
    newest_event: dt.datetime | None
    newest_created: dt.datetime | None
    materialized: dt.datetime | None
    limit: dt.timedelta | None  # the freshness SLA, else the TTL; None: never stale by age
    now: dt.datetime

    @property
    def lag(self) -> dt.timedelta | None:
        """How old the newest event is at ``now``."""
        return None if self.newest_event is None else self.now - self.newest_event

    @property
    def lags(self) -> dict[str, dt.timedelta | None]:
        """The age at ``now`` of the newest event, the newest created row and the last
        materialization's as-of time (None: the source has no created times, or the view
        was never materialized on the target)."""
        return {name: None if value is None else self.now - value for name, value in (
            ("event", self.newest_event), ("created", self.newest_created),
            ("materialized", self.materialized))}

    @property
    def late(self) -> list[str]:
        """The lags over the limit (``event``, ``created``, ``materialized``)."""
        if self.limit is None:
            return []
        return [name for name, lag in self.lags.items() if lag is not None and lag > self.limit]

    @property
    def stale(self) -> bool:
        """No event at all, or any lag (event, created, materialized) over the limit."""
        return self.newest_event is None or bool(self.late)

    def format(self) -> str:
        """One line for the terminal."""
        def at(name: str, value: dt.datetime | None) -> str:
            lag = self.lags[name]
            return "-" if value is None else f"{value.isoformat()} (lag {lag})"

        verdict = "STALE" if self.stale else "fresh"
        if self.late:
            verdict += f" ({', '.join(self.late)} over the limit)"
        elif self.newest_event is None:
            verdict += " (no event)"
        limit = "no limit" if self.limit is None else f"limit {self.limit}"
        return (f"{self.view}: {verdict}, {limit}; newest event "
                f"{at('event', self.newest_event)}, newest created "
                f"{at('created', self.newest_created)}, materialized as of "
                f"{at('materialized', self.materialized)}")


def freshness_query(catalog: Catalog, views: Sequence[FeatureView],
                    dialect: Dialect) -> exp.Expr:
    """One query: per view its name and its source's greatest event and created times in
    epoch microseconds (``view``, ``newest_event_us``, ``newest_created_us``)."""
    parts = []
    for view in views:
        layout = layout_for(catalog, view, "inclusive", dialect=dialect.name)
        assert layout.source is not None
        source = absolute(layout.source, catalog.root)
        relation, ts, created = relation_for_source(dialect, source)
        parts.append(exp.select(
            aliased(exp.Literal.string(view.name), "view"),
            aliased(exp.Max(this=ts), "newest_event_us"),
            aliased(exp.Max(this=created) if source.created_column else exp.null(),
                    "newest_created_us")).from_(relation))
    query: exp.Expr = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def offline_freshness(catalog: Catalog, views: Sequence[str] | None = None, *,
                      target: str | None = None,
                      now: dt.datetime | None = None) -> list[OfflineFreshness]:
    """Each view's newest source times (one query) and last materialization (read from the
    target's state table): on a DuckDB target the sources' files are read by the local
    DuckDB; on a BigQuery target both queries run in BigQuery and only the per-view figures
    come back."""
    now = now or dt.datetime.now(dt.UTC)
    chosen = [catalog.view(v) for v in views] if views else sorted(
        (v for v in catalog.views.values() if v.join_keys), key=lambda v: v.name)
    if not chosen:
        raise DefinitionError("No feature view with entities to check; pass --views")
    where = resolve_target(target, root=catalog.root)
    figures = {"duckdb": _duckdb_figures, "bigquery": _bigquery_figures,
               "snowflake": _snowflake_figures}.get(where.scheme)
    if figures is None:
        raise UnsupportedError(f"Target {where.url!r}: fsql freshness reads DuckDB, BigQuery "
                               f"and Snowflake targets, not {where.scheme} ones")
    newest, materialized = figures(catalog, chosen, where)
    return [OfflineFreshness(v.name, _time(newest[v.name][0]), _time(newest[v.name][1]),
                             materialized.get(v.name), v.freshness_sla or v.ttl, now)
            for v in chosen]


Figures = tuple[dict[str, tuple[int | None, int | None]], dict[str, dt.datetime | None]]


def _duckdb_figures(catalog: Catalog, chosen: Sequence[FeatureView], where: Target) -> Figures:
    """The freshness query on the local DuckDB (file sources), the state on the target file."""
    dialect = get_dialect("duckdb")
    con = connect()
    try:
        newest = {r[0]: (r[1], r[2]) for r in con.execute(
            freshness_query(catalog, chosen, dialect).sql(dialect="duckdb")).fetchall()}
    finally:
        con.close()
    materialized: dict[str, dt.datetime | None] = {}
    if where.path is not None and where.path.exists():
        target_con = connect_target(where)
        try:
            for view in chosen:
                layout = layout_for(catalog, view, "inclusive", where.prefix)
                names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
                run = last_run(target_con, names, layout.state_name)
                materialized[view.name] = None if run is None else _time(run[0])
        finally:
            target_con.close()
    return newest, materialized


def _bigquery_figures(catalog: Catalog, chosen: Sequence[FeatureView], where: Target
                      ) -> Figures:
    """Both queries in BigQuery: the freshness query over the sources' tables, and every
    view's last run from the state table."""
    bq = bigquery_client(where)
    try:
        query = freshness_query(catalog, chosen, get_dialect("bigquery"))
        # No temporary table here: unqualified source tables are read from the target's dataset.
        rows = bigquery.query_arrow(bq, query.sql(dialect="bigquery"),
                                    dataset=f"{where.host}.{where.database}",
                                    what="reading the sources' newest times").to_pylist()
        layouts = [layout_for(catalog, v, "inclusive", where.prefix, dialect="bigquery")
                   for v in chosen]
        runs = last_runs.last_runs(bq, where, layouts)
    finally:
        bq.close()
    newest = {r["view"]: (r["newest_event_us"], r["newest_created_us"]) for r in rows}
    return newest, _materialized(layouts, runs)


def _snowflake_figures(catalog: Catalog, chosen: Sequence[FeatureView], where: Target
                       ) -> Figures:
    """Both queries in Snowflake (unqualified source tables: the target's schema)."""
    dialect = get_dialect("snowflake")
    con = snowflake_connection(where)
    try:
        query = render(finalize(freshness_query(catalog, chosen, dialect), dialect), dialect)
        rows = snowflake.execute(con, query, what="reading the sources' newest times"
                                 ).fetchall()
        layouts = [layout_for(catalog, v, "inclusive", where.prefix, dialect="snowflake")
                   for v in chosen]
        runs = last_runs.snowflake_last_runs(con, where, layouts)
    finally:
        con.close()
    newest = {str(view): (None if event is None else int(event),
                          None if created is None else int(created))
              for view, event, created in rows}
    return newest, _materialized(layouts, runs)


def _materialized(layouts: Sequence[LatestTable], runs: dict[str, tuple[int, str]]
                  ) -> dict[str, dt.datetime | None]:
    return {layout.view.name: _time(runs[layout.state_name][0])
            if layout.state_name in runs else None for layout in layouts}


def _time(micros: int | None) -> dt.datetime | None:
    return None if micros is None else _EPOCH + dt.timedelta(microseconds=int(micros))
