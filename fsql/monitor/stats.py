"""Feature statistics as one SQL query per dialect, run where the data is.

Per numeric feature (int64, float64, decimal): rows, NULL count, NaN count (floats), and over
the values that are neither NULL nor NaN: mean, sample standard deviation, min, max, exact
distinct count and the deciles. Deciles are exact and the same on every dialect: for the n
sorted values x[0..n-1] and p in 0.1..0.9, h = (n - 1) * p and the decile is
x[floor h] + (h - floor h) * (x[ceil h] - x[floor h]) (NumPy's default, "linear"), computed
with ROW_NUMBER rather than each warehouse's percentile function (on DuckDB with its exact
``quantile_cont``, the same formula, in the one aggregate pass). Per string or bool feature:
rows, NULL count, distinct count, and the 20 most frequent values with their counts (ties
by value, strings by code point). docs/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import UnsupportedError
from fsql.sql.dialect import Dialect
from fsql.sql.tree import aliased, joined, value_order_keys

NUMERIC = ("int64", "float64", "decimal")
CATEGORICAL = ("string", "bool")
DECILES = tuple(round(0.1 * k, 1) for k in range(1, 10))
TOP = 20
_REL = "__fsql_rel"
_AGG = "__fsql_agg"


@dataclass(frozen=True)
class StatsColumn:
    """A feature column of the relation and its dtype."""

    name: str
    dtype: DType


def column_ref(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference."""
    return exp.column(exp.to_identifier(name, quoted=True),
                      table=exp.to_identifier(table) if table else None)


def clean_value(column: StatsColumn, dialect: Dialect) -> exp.Expr:
    """The column's value, NULL where it is NaN (floats): what statistics are taken of."""
    value = column_ref(column.name)
    if column.dtype.name != "float64":
        return value
    return exp.Case(ifs=[exp.If(this=dialect.is_nan(value.copy()), true=exp.null())],
                    default=value)


def as_double(value: exp.Expr, dialect: Dialect) -> exp.Expr:
    """``value`` cast to float64."""
    return exp.Cast(this=value, to=dialect.type_sql(DType("float64")))


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))],
                                 default=exp.Literal.number(0)))


def _check(columns: Sequence[StatsColumn]) -> None:
    for column in columns:
        if column.dtype.name not in NUMERIC + CATEGORICAL:
            raise UnsupportedError(
                f"Statistics of {column.name!r} ({column.dtype}): fsql computes them for "
                f"{', '.join(NUMERIC + CATEGORICAL)} features; leave it out")


def stats_query(relation: exp.Expr, columns: Sequence[StatsColumn],
                dialect: Dialect) -> exp.Select:
    """One row: ``total`` (rows) and, per column i, ``c{i}_nulls``, ``c{i}_nans``, ``c{i}_distinct``
    and for numeric columns ``c{i}_mean``, ``c{i}_std``, ``c{i}_min``, ``c{i}_max``,
    ``c{i}_d1`` .. ``c{i}_d9``."""
    _check(columns)
    aggregates: list[exp.Expr] = [aliased(exp.Count(this=exp.Star()), "total")]
    for i, column in enumerate(columns):
        value = column_ref(column.name)
        clean = clean_value(column, dialect)
        aggregates.append(aliased(_count_if(exp.Is(this=value.copy(), expression=exp.null())),
                                  f"c{i}_nulls"))
        nans = _count_if(dialect.is_nan(value.copy())) if column.dtype.name == "float64" \
            else exp.Literal.number(0)
        aggregates.append(aliased(nans, f"c{i}_nans"))
        if dialect.name != "duckdb":  # DuckDB: a GROUP BY per column (below), 5x faster
            aggregates.append(aliased(exp.Count(this=exp.Distinct(
                expressions=[clean.copy()])), f"c{i}_distinct"))
        if column.dtype.name in NUMERIC:
            number = as_double(clean.copy(), dialect)
            aggregates += [aliased(exp.Avg(this=number.copy()), f"c{i}_mean"),
                           aliased(exp.StddevSamp(this=number.copy()), f"c{i}_std"),
                           aliased(exp.Min(this=clean.copy()), f"c{i}_min"),
                           aliased(exp.Max(this=clean.copy()), f"c{i}_max")]
    exact = dialect.name == "duckdb"  # one exact quantile aggregate, no window per column
    picks: list[exp.Expr] = [exp.Star()]
    if exact:
        for i, column in enumerate(columns):
            if column.dtype.name in NUMERIC:
                aggregates.append(aliased(_quantiles(column, dialect), f"c{i}_dq"))
                picks += [aliased(exp.Bracket(this=exp.column(f"c{i}_dq"), expressions=[
                    exp.Literal.number(k - 1)]), f"c{i}_d{k}") for k in range(1, 10)]
                # (sqlglot's index is 0-based and rendered 1-based for DuckDB)
    query = exp.select(*aggregates).from_(exp.to_table(_REL), copy=False)
    final = exp.select(*picks).from_(exp.to_table(_AGG), copy=False)
    ctes: list[tuple[str, exp.Expr]] = [(_REL, exp.select(exp.Star()).from_(relation)),
                                        (_AGG, query)]
    for i, column in enumerate(columns):
        if exact:
            ctes.append((f"__fsql_n{i}", _distinct(i, column, dialect)))
            final = final.join(joined(exp.to_table(f"__fsql_n{i}"), None), copy=False)
        if column.dtype.name not in NUMERIC or exact:
            continue
        ranked, deciles = _deciles(i, column, dialect)
        ctes += [(f"__fsql_v{i}", ranked), (f"__fsql_q{i}", deciles)]
        final = final.join(joined(exp.to_table(f"__fsql_q{i}"), None), copy=False)
    for name, body in ctes:
        final = final.with_(name, as_=body, copy=False)
    return final


def _distinct(i: int, column: StatsColumn, dialect: Dialect) -> exp.Select:
    """``c{i}_distinct``: the number of distinct non-NULL, non-NaN values, by one GROUP BY."""
    clean = clean_value(column, dialect)
    groups = (exp.select(aliased(clean.copy(), "v")).from_(exp.to_table(_REL), copy=False)
              .where(exp.Not(this=exp.Is(this=clean, expression=exp.null())), copy=False)
              .group_by(exp.column("v"), copy=False))
    return exp.select(aliased(exp.Count(this=exp.Star()), f"c{i}_distinct")).from_(
        groups.subquery("__fsql_g"), copy=False)


def _quantiles(column: StatsColumn, dialect: Dialect) -> exp.Expr:
    """DuckDB's exact ``quantile_cont`` of the deciles as one list (linear interpolation
    between the two closest ranks, the same formula as the window form below)."""
    number = as_double(clean_value(column, dialect), dialect)
    return exp.Anonymous(this="quantile_cont", expressions=[
        number, exp.Array(expressions=[exp.Literal.number(p) for p in DECILES])])


def _deciles(i: int, column: StatsColumn, dialect: Dialect) -> tuple[exp.Select, exp.Select]:
    """The sorted non-NULL, non-NaN values with their rank and count, and the deciles."""
    number = as_double(clean_value(column, dialect), dialect)
    ranked = exp.select(
        aliased(number.copy(), "v"),
        aliased(exp.Window(this=exp.RowNumber(), order=exp.Order(
            expressions=[exp.Ordered(this=number.copy())])), "rn"),
        aliased(exp.Window(this=exp.Count(this=exp.Star())), "n"),
    ).from_(exp.to_table(_REL), copy=False).where(
        exp.Not(this=exp.Is(this=number.copy(), expression=exp.null())), copy=False)
    n = exp.column("n")
    picks: list[exp.Expr] = []
    for k, p in enumerate(DECILES, start=1):
        h = exp.Mul(this=as_double(exp.Sub(this=n.copy(), expression=exp.Literal.number(1)),
                                 dialect), expression=exp.Literal.number(p))
        for side, rounding in (("lo", exp.Floor), ("hi", exp.Ceil)):
            at = exp.Add(this=rounding(this=h.copy()), expression=exp.Literal.number(1))
            pick = exp.Max(this=exp.Case(ifs=[exp.If(
                this=exp.EQ(this=exp.column("rn"), expression=at), true=exp.column("v"))]))
            picks.append(aliased(pick, f"{side}{k}"))
        picks.append(aliased(exp.Max(this=h), f"h{k}"))
    inner = exp.select(*picks).from_(exp.to_table(f"__fsql_v{i}"), copy=False)
    deciles = []
    for k in range(1, 10):
        lo, hi, index = exp.column(f"lo{k}"), exp.column(f"hi{k}"), exp.column(f"h{k}")
        fraction = exp.Sub(this=index.copy(), expression=exp.Floor(this=index))
        value = exp.Add(this=lo.copy(), expression=exp.Mul(
            this=exp.paren(fraction), expression=exp.paren(exp.Sub(this=hi, expression=lo))))
        deciles.append(aliased(value, f"c{i}_d{k}"))
    return ranked, exp.select(*deciles).from_(inner.subquery("__fsql_p"), copy=False)


def top_query(relation: exp.Expr, column: StatsColumn, dialect: Dialect,
              limit: int = TOP) -> exp.Select:
    """The ``limit`` most frequent non-NULL values of ``column`` and their counts (``v``,
    ``c``), ties broken by value."""
    value = column_ref(column.name)
    order = [exp.Ordered(this=exp.column("c"), desc=True)]
    order += [exp.Ordered(this=key) for key in value_order_keys(value.copy(), column.dtype,
                                                                 dialect)]
    return (exp.select(aliased(value.copy(), "v"), aliased(exp.Count(this=exp.Star()), "c"))
            .from_(relation, copy=False)
            .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())), copy=False)
            .group_by(value.copy(), copy=False)
            .order_by(*order, copy=False)
            .limit(limit, copy=False))
