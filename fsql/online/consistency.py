"""``fsql consistency --online``: every key of a view's source read from the online store at
T1, compared value for value with the training-set query for a spine (every key, T1)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView
from fsql.engines.runner import run_training_set
from fsql.materialize.consistency import ConsistencyResult
from fsql.materialize.layout import definition_hash
from fsql.materialize.run import layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import parse_end
from fsql.online.config import online_url
from fsql.online.serving import get_online_features, online_plan
from fsql.online.stores import open_store
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
    rows = [{k: _plain(r[k]) for k in keys} for r in spine.to_dict("records")]
    plan = online_plan(catalog, [chosen], keys)
    store = open_store(online_url(catalog, online), root=catalog.root)
    try:
        response = get_online_features(plan, store, rows, at=t1,
                                       hashes={view: definition_hash(chosen, cut)})
    finally:
        store.close()
    mismatches = []
    first = plan.lookups[0].outputs[0].output_name  # the view's stored row, when PRESENT
    present = sum(s == "PRESENT" for s in response.statuses.get(first, []))
    for n, record in enumerate(training):
        key = tuple(rows[n][k] for k in keys)
        for name in response.features:
            online_value, trained = _plain(response.values[name][n]), _plain(record[name])
            if not _same(online_value, trained):
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


def _plain(value: Any) -> Any:
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return (a if a.tzinfo else a.replace(tzinfo=dt.UTC)) == (
            b if b.tzinfo else b.replace(tzinfo=dt.UTC))
    return bool(a == b)
