"""``fsql consistency --online``: every key of a view's source read from the online store at
T1, compared value for value with the training-set query for a spine (every key, T1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView
from fsql.engines.runner import run_training_set
from fsql.materialize.consistency import ConsistencyResult, plain_value, same_value
from fsql.materialize.layout import definition_hash
from fsql.materialize.run import layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import parse_end
from fsql.online.server import OnlineServer
from fsql.sql.dialect import get_dialect
from fsql.sql.tree import col, relation_for_source

_SPINE_TIME = "event_timestamp"


def check_online_consistency(catalog: Catalog, *, view: str, at: str | dt.datetime,
                             online: str | None = None,
                             service: str | None = None) -> ConsistencyResult:
    """Compare the online store's values of ``view`` at ``at`` with the training set."""
    if service is not None:
        _, cut = select_views(catalog, service=service)
    else:
        _, cut = select_views(catalog, views=[view])
    t1 = parse_end(at)
    chosen = catalog.view(view)
    layout = layout_for(catalog, chosen, cut)
    assert layout.source is not None
    keys = [k for k, _ in layout.keys]
    spine = _keys(catalog, layout.source, chosen, keys)
    spine[_SPINE_TIME] = pd.Timestamp(t1)
    training = run_training_set(catalog, [chosen], spine, spine_timestamp=_SPINE_TIME, cut=cut,
                                arrow=True).to_pylist() if len(spine) else []
    rows = [{k: plain_value(r[k]) for k in keys} for r in spine.to_dict("records")]
    # The hash of the cut the view was materialized with (a service's, else inclusive).
    with OnlineServer(catalog, online, hashes={view: definition_hash(chosen, cut)}) as server:
        response = server.get_online_features([chosen], rows, at=t1)
    mismatches = []
    first = response.features[0]  # a feature of the view's stored row, PRESENT when found
    present = sum(s == "PRESENT" for s in response.statuses.get(first, []))
    for n, record in enumerate(training):
        key = tuple(rows[n][k] for k in keys)
        for name in response.features:
            online_value, trained = plain_value(response.values[name][n]), plain_value(record[name])
            if not same_value(online_value, trained):
                mismatches.append((key, name, online_value, trained))
    return ConsistencyResult(view, t1, len(rows), present, mismatches)


def _keys(catalog: Catalog, source: Any, view: FeatureView, names: list[str]) -> pd.DataFrame:
    """The distinct non-NULL keys of the view's source, in key order."""
    dialect = get_dialect("duckdb")
    relation, _, _ = relation_for_source(dialect, absolute(source, catalog.root))
    columns = [view.source.column_for(k) for k in view.join_keys]
    query = exp.select(*[exp.alias_(col(c), n, quoted=True) for c, n in zip(
        columns, names, strict=True)]).distinct().from_(relation).where(
        exp.and_(*[exp.Not(this=exp.Is(this=col(c), expression=exp.null())) for c in columns])
    ).order_by(*[exp.column(n, quoted=True) for n in names])
    con = duckdb.connect()
    try:
        return con.execute(query.sql(dialect="duckdb")).df()
    finally:
        con.close()
