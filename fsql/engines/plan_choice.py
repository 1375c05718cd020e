"""The local runner's data-dependent choice between aggregation plans.

The sub-quadratic plans (fsql/sql/running.py) cost O((n + s) log) for n events and s spine
rows whatever the keys; a range join costs the (spine row, event in window) pairs. With a few
events per key the pairs are fewer than a sort's work, and the range join wins (uniform keys
in bench/aggregations.py); one hot key makes it quadratic. Before running, the runner counts
events and spine rows per key (one GROUP BY each) and estimates the pairs in the longest window;
below ``LIGHT_PAIRS_PER_ROW`` pairs per row, the lookup is marked ``light`` and compiles to the
range join. Both give the same rows (each is tested against the oracle); compiled SQL for a
warehouse (``fsql compile``) always uses the dialect's plans.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
from sqlglot import exp

from fsql.plan.nodes import AggregationLookup, PointInTimePlan
from fsql.sql.dialect import Dialect
from fsql.sql.tree import and_all, col, key_name, not_null, relation_for_source, table

# Pairs per (event + spine row) below which the range join is the cheaper plan: on the uniform
# benchmark (~8 estimated pairs per row) it takes 0.8x the sub-quadratic plans' time.
LIGHT_PAIRS_PER_ROW = 10.0


def estimate_pairs(con: duckdb.DuckDBPyConnection, lookup: AggregationLookup,
                   spine_table: str, spine_time: exp.Expr, dialect: Dialect
                   ) -> tuple[float, float]:
    """(estimated spine row x event pairs in the longest window, events + spine rows): one
    query, one read of the source."""
    relation, _, _ = relation_for_source(dialect, lookup.source)

    def per_key(columns: list[str], source: exp.Expr) -> exp.Select:
        keys = [col(c) for c in columns]
        select = exp.select(*[exp.alias_(k, key_name(n)) for n, k in enumerate(keys)],
                            exp.alias_(exp.Count(this=exp.Star()), "__fsql_n")).from_(source)
        if keys:
            select = select.where(and_all([not_null(k.copy()) for k in keys]))
            select = select.group_by(*[k.copy() for k in keys])
        return select

    events = per_key([k.source_column for k in lookup.keys], relation)
    spine = per_key([k.spine_column for k in lookup.keys], table(spine_table))
    product = exp.Mul(this=exp.Cast(this=col("__fsql_n", "__fsql_e"),
                                    to=exp.DataType.build("DOUBLE")),
                      expression=col("__fsql_n", "__fsql_p"))
    pairs = exp.select(exp.Sum(this=product)).from_(table("__fsql_e")).join(
        table("__fsql_p"),
        on=and_all([exp.EQ(this=col(key_name(n), "__fsql_e"),
                           expression=col(key_name(n), "__fsql_p"))
                    for n in range(len(lookup.keys))]) if lookup.keys else None,
        join_type="INNER" if lookup.keys else "CROSS",
    )
    spine_rows = table(spine_table)
    query = (
        exp.select(
            pairs.subquery(),
            exp.select(exp.Sum(this=col("__fsql_n"))).from_(table("__fsql_e")).subquery(),
            exp.select(exp.Sub(this=exp.Max(this=spine_time.copy()),
                               expression=exp.Min(this=spine_time.copy()))).from_(
                spine_rows.copy()).subquery(),
            exp.select(exp.Count(this=exp.Star())).from_(spine_rows).subquery(),
        )
        .with_("__fsql_e", as_=events)
        .with_("__fsql_p", as_=spine)
    )
    # fetchall, never fetchone: a result left unfinished makes DuckDB refuse the connection's
    # next con.sql() or con.register() ("connection has an unfinished result").
    ((n_pairs, n_events, span_us, n_spine),) = con.execute(query.sql(dialect="duckdb")).fetchall()
    longest = lookup.longest_window_us
    if longest is None or span_us is None:
        share = 1.0
    else:
        # The events a spine row sees: about its window's share of the time the rows span.
        share = min(1.0, longest / (float(span_us) + longest))
    return float(n_pairs or 0) * share, float(n_events or 0) + float(n_spine or 0)


def choose_plans(plan: PointInTimePlan, con: duckdb.DuckDBPyConnection, spine_table: str,
                 dialect: Dialect) -> PointInTimePlan:
    """``plan`` with each aggregation lookup over light keys marked ``light``."""
    spine_time = dialect.epoch_micros_sql(col(plan.spine.timestamp_column),
                                          plan.spine.timestamp_dtype)
    lookups = []
    for lookup in plan.lookups:
        cutoff = plan.created_cutoff and lookup.source.created_column is not None
        if isinstance(lookup, AggregationLookup) and not cutoff:  # cutoff: range join anyway
            pairs, rows = estimate_pairs(con, lookup, spine_table, spine_time, dialect)
            lookup = replace(lookup, light=pairs <= LIGHT_PAIRS_PER_ROW * max(rows, 1.0))
        lookups.append(lookup)
    return replace(plan, lookups=tuple(lookups))
