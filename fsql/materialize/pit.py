"""The point-in-time plan that computes a latest table's rows: the training-set plan of the
view (the same planner, the same compiler) for a spine of (key, T1), plus the columns a
MERGE needs to never regress: the winning row's event and created times (snapshot views), or
the count and latest event time inside the longest window (aggregation views)."""

from __future__ import annotations

from dataclasses import replace

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.engines.files import DuckDBFiles
from fsql.materialize.layout import LatestTable
from fsql.plan.nodes import (
    AggregateColumn,
    AggregationLookup,
    FeatureColumn,
    Lookup,
    PointInTimePlan,
    SpineRef,
)
from fsql.plan.planner import build_plan
from fsql.plan.schemas import Target
from fsql.sql.dialect import get_dialect

WINNER_TS = "__fsql_winner_ts"
WINNER_CREATED = "__fsql_winner_c"
EVENTS = "__fsql_events"
AS_OF = "__fsql_as_of"


def training_plan(repo: Catalog, layout: LatestTable, spine: SpineRef, *,
                  dialect: str) -> PointInTimePlan:
    """The training-set plan of every feature of the view for ``spine`` (keys named as the
    view's join keys, timestamp ``AS_OF``), exactly as ``fsql run`` builds it."""
    target = get_dialect(dialect)
    return build_plan(repo, [layout.view], spine,
                      target=Target(target.name, target.reads_local_files),
                      schemas=DuckDBFiles(), cut=layout.cut)


def latest_rows_plan(repo: Catalog, layout: LatestTable, spine: SpineRef, *,
                     dialect: str) -> PointInTimePlan:
    """:func:`training_plan` with the winner's times (snapshot) or the window's event count and
    latest event time (aggregation) as extra output columns."""
    plan = training_plan(repo, layout, spine, dialect=dialect)
    (lookup,) = plan.lookups
    if isinstance(lookup, AggregationLookup):
        ts = lookup.source.timestamp_column
        extra = (
            AggregateColumn("count", None, layout.horizon_us, None, EVENTS, DType("int64"), 0),
            AggregateColumn("max", ts, layout.horizon_us, None, WINNER_TS,
                            DType(lookup.source.timestamp_dtype), None,
                            input_dtype=lookup.source.timestamp_dtype),
        )
        lookup = replace(lookup, outputs=(*lookup.outputs, *extra))
    else:
        assert isinstance(lookup, Lookup)
        source = lookup.source
        columns = [(source.timestamp_column, DType(source.timestamp_dtype), WINNER_TS)]
        if source.created_column:
            columns.append((source.created_column, DType("timestamp"), WINNER_CREATED))
        # Appended after the features, the times change no winner: the tie order already
        # starts with (event time, created time).
        lookup = replace(
            lookup,
            tie_columns=(*lookup.tie_columns, *(c for c, _, _ in columns)),
            tie_dtypes=(*lookup.tie_dtypes, *(d for _, d, _ in columns)),
            outputs=(*lookup.outputs, *(FeatureColumn(c, name, d, None)
                                        for c, d, name in columns)))
    return replace(plan, lookups=(lookup,))
