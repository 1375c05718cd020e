"""The reference implementation of fsql's semantics, in plain Python, written to be read.

It evaluates a :class:`~fsql.plan.nodes.PointInTimePlan` over rows held in memory (dicts keyed by
column name) and is the single source of expected results for every dialect's SQL. It is
deliberately naive: for each spine row it scans every source row.

The rules (docs/semantics.md):
- visible at spine time t: ts <= t (inclusive cut) or ts < t (exclusive cut); with a TTL w also
  ts > t - w (inclusive) or ts >= t - w (exclusive); with the created cutoff also created <= t
  (NULL created = written at the beginning of time);
- the winner is the visible row with the greatest (ts, created, f1, ..., fn): created NULL is the
  oldest, and each feature compares with NULL lowest (the full-tie rule); strings compare by
  code point, which is their UTF-8 byte order;
- no visible row, a NULL key or a NULL spine timestamp: the feature's default (or NULL).

Windowed aggregations: the visible events of the key inside the window (same cut, same created
cutoff) whose ``where`` is TRUE; NULL inputs ignored; counts of nothing are 0, other functions
of nothing NULL; a declared default replaces any NULL result; first/last are the least/greatest
non-NULL input by (ts, created, value) with NULL created oldest; a NULL key or timestamp gives
the default (or NULL) for every aggregation, counts included.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from fsql.errors import ExecutionError
from fsql.expr import to_python
from fsql.plan.nodes import (
    AggregateColumn,
    AggregationLookup,
    Lookup,
    PointInTimePlan,
    Visibility,
)

Row = Mapping[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: Any) -> int | None:
    """An instant as microseconds since the Unix epoch, UTC (naive = UTC, date = midnight UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        delta = aware - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, date):
        return (value - date(1970, 1, 1)).days * 86_400 * 1_000_000
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        return to_micros(value.to_pydatetime())
    raise TypeError(f"not a timestamp: {value!r}")


def _nulls_lowest(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def value_order(value: Any) -> tuple[int, Any]:
    """fsql's order of feature values: NULL lowest, NaN greatest (above +inf, equal to NaN),
    everything else by value (-0.0 equals 0.0)."""
    if value is None:
        return (0, 0)
    if isinstance(value, float) and math.isnan(value):
        return (2, 0)
    return (1, value)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _is_visible(ts: int, created: int | None, t: int, visibility: Visibility) -> bool:
    span = visibility.span_us
    if visibility.inclusive:
        if not ts <= t:
            return False
        if span is not None and not ts > t - span:
            return False
    else:
        if not ts < t:
            return False
        if span is not None and not ts >= t - span:
            return False
    return not (visibility.created_cutoff and created is not None and created > t)


def _unknown(lookup: Lookup | AggregationLookup, plan: PointInTimePlan, spine_row: Row) -> bool:
    """A NULL spine time or a NULL key: nothing is known about this entity."""
    keys = (spine_row[k.spine_column] for k in lookup.keys)
    return spine_row[plan.spine.timestamp_column] is None or any(v is None for v in keys)


def _visible(
    lookup: Lookup | AggregationLookup,
    plan: PointInTimePlan,
    spine_row: Row,
    source_rows: Sequence[Row],
    window_us: int | None,
) -> Iterator[tuple[Row, int, int | None]]:
    """(row, ts, created) of the source rows of the spine row's key visible at its time."""
    if _unknown(lookup, plan, spine_row):
        return
    t = to_micros(spine_row[plan.spine.timestamp_column])
    if t is not None:
        t -= plan.serving_lag_us  # features as of t minus the serving lag
    assert t is not None
    key = tuple(spine_row[k.spine_column] for k in lookup.keys)
    visibility = plan.visibility(lookup, window_us)
    for row in source_rows:
        if tuple(row[k.source_column] for k in lookup.keys) != key:
            continue
        ts = to_micros(row[lookup.source.timestamp_column])
        if ts is None:
            continue
        created_col = lookup.source.created_column
        created = to_micros(row[created_col]) if created_col else None
        if _is_visible(ts, created, t, visibility):
            yield row, ts, created


def _winner(
    lookup: Lookup, plan: PointInTimePlan, spine_row: Row, source_rows: Sequence[Row]
) -> Row | None:
    best: Row | None = None
    best_order: tuple[Any, ...] | None = None
    for row, ts, created in _visible(lookup, plan, spine_row, source_rows, lookup.ttl_us):
        order = (ts, _nulls_lowest(created), *(value_order(row[c]) for c in lookup.tie_columns))
        if best_order is None or order > best_order:
            best, best_order = row, order
    return best


def evaluate(
    plan: PointInTimePlan, spine: Sequence[Row], sources: Mapping[str, Sequence[Row]]
) -> list[dict[str, Any]]:
    """The training set: each spine row (in order) extended with every lookup's features.

    ``sources`` maps a source name to its rows, keyed by the source's own column names.
    """
    out: list[dict[str, Any]] = []
    for spine_row in spine:
        result = dict(spine_row)
        for lookup in plan.lookups:
            if isinstance(lookup, AggregationLookup):
                for agg in lookup.outputs:
                    result[agg.output_name] = _aggregate(
                        agg, lookup, plan, spine_row, sources[lookup.source.name]
                    )
                continue
            winner = _winner(lookup, plan, spine_row, sources[lookup.source.name])
            for col in lookup.outputs:
                result[col.output_name] = (
                    col.default if winner is None else winner[col.source_column]
                )
        for derived in plan.derived:
            inputs = {**result, **{r: result[c] for r, c in derived.renames.items()}}
            result[derived.output_name] = _evaluate(
                derived.expression, inputs, derived.input_dtypes
            )
        for name in plan.hidden_names:
            del result[name]
        out.append(result)
    return out


def _aggregate(
    agg: AggregateColumn,
    lookup: AggregationLookup,
    plan: PointInTimePlan,
    spine_row: Row,
    source_rows: Sequence[Row],
) -> Any:
    """One aggregation for one spine row."""
    if _unknown(lookup, plan, spine_row):
        return agg.default
    events = []  # (ts, created, value) of the rows in the window
    for row, ts, created in _visible(lookup, plan, spine_row, source_rows, agg.window_us):
        if agg.where is not None and _evaluate(agg.where, row, lookup.source_dtypes) is not True:
            continue
        events.append((ts, created, 1 if agg.column is None else row[agg.column]))
    values = [v for _, _, v in events if v is not None]
    result = _apply(agg.function, values, events)
    if result is None:
        return agg.default
    if agg.function == "sum" and agg.dtype is not None and agg.dtype.name == "int64" \
            and not -(2**63) <= result < 2**63:
        raise ExecutionError(
            f"fsql: sum {lookup.name}.{agg.output_name} overflows int64 at a spine row: "
            f"{result}; declare dtype='decimal(38,0)' on the Aggregate for wider sums")
    return result


def _apply(function: str, values: list[Any], events: list[tuple[int, int | None, Any]]) -> Any:
    if function == "count":
        return len(values)
    if function == "count_distinct":  # NaN is one value, -0.0 equals 0.0
        return len({"NaN" if _is_nan(v) else v for v in values})
    if not values:
        return None
    finite = not any(isinstance(v, float) and not math.isfinite(v) for v in values)
    if function == "sum":
        return sum(values[1:], values[0])  # IEEE 754 for floats: NaN, inf propagate
    if function == "avg":
        if not finite:  # IEEE 754: NaN propagates, inf + -inf is NaN, inf + x is inf
            signs = {math.copysign(1, v) for v in values if math.isinf(v)}
            return math.nan if any(map(_is_nan, values)) or len(signs) != 1 else \
                math.copysign(math.inf, signs.pop())
        mean = sum(Fraction(v) for v in values) / len(values)
        try:
            return float(mean)
        except OverflowError:
            return math.copysign(math.inf, mean)
    if function == "min":
        return min(values, key=value_order)
    if function == "max":
        return max(values, key=value_order)
    if function in ("stddev", "variance"):
        if len(values) < 2:
            return None
        if not finite:
            return math.nan
        variance = statistics.variance([Fraction(v) for v in values])
        return math.sqrt(variance) if function == "stddev" else float(variance)
    ordered = sorted((((ts, _nulls_lowest(c), value_order(v)), v) for ts, c, v in events
                      if v is not None), key=lambda pair: pair[0])
    return ordered[0][1] if function == "first" else ordered[-1][1]


def _evaluate(expression: Any, row: Row, dtypes: Mapping[str, str]) -> Any:
    """A derived expression or filter on one row; typed when every input's dtype is known."""

    known = all(name in dtypes for name in expression.references)
    return to_python.evaluate(
        expression, row, dtypes=({n: dtypes[n] for n in expression.references} if known else None)
    )
