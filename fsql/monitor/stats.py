"""Feature statistics as one SQL query per dialect, run where the data is.

Per numeric feature (int64, float64, decimal): rows, NULL count, NaN count (floats), and over
the values that are neither NULL nor NaN: mean, sample standard deviation, min, max, exact
distinct count, the deciles and the PSI bins they make. Deciles are exact and the same on
every dialect: for the n sorted values x[0..n-1] and p in 0.1..0.9, h = (n - 1) * p and the
decile is x[floor h] + (h - floor h) * (x[ceil h] - x[floor h]) (NumPy's default, "linear"),
read off the running counts of the column's distinct values (one GROUP BY, then a window over
the groups) rather than each warehouse's percentile function. Per string or bool feature:
rows, NULL count, distinct count, and the 20 most frequent values with their counts (ties
by value, strings by code point). docs/monitoring.md."""

from __future__ import annotations

import re
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
BUCKETS = 1000  # slices of [min, max] the deciles' ranks are found in before any sort
_REL = "__fsql_rel"
_AGG = "__fsql_agg"
# A count's alias where the feature's own column is in scope: GoogleSQL resolves GROUP BY and
# ORDER BY names to SELECT aliases first, so "c" would shadow a feature named c.
_COUNT = "__fsql_c"


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


def count_if(condition: exp.Expr) -> exp.Expr:
    """The number of rows where ``condition`` holds (``COUNT_IF``/``COUNTIF``: a third
    cheaper on DuckDB than ``SUM(CASE ...)``)."""
    return exp.CountIf(this=condition)


def _check(columns: Sequence[StatsColumn]) -> None:
    for column in columns:
        if column.dtype.name not in NUMERIC + CATEGORICAL:
            raise UnsupportedError(
                f"Statistics of {column.name!r} ({column.dtype}): fsql computes them for "
                f"{', '.join(NUMERIC + CATEGORICAL)} features; leave it out")


def summary_aggregates(i: int, column: StatsColumn, dialect: Dialect) -> list[exp.Expr]:
    """``c{i}_nulls``, ``c{i}_nans`` and, for numbers, ``c{i}_mean``, ``c{i}_std``,
    ``c{i}_min``, ``c{i}_max``: the aggregates of one pass over the rows."""
    value = column_ref(column.name)
    clean = clean_value(column, dialect)
    nans = count_if(dialect.is_nan(value.copy())) if column.dtype.name == "float64" \
        else exp.Literal.number(0)
    out = [aliased(count_if(exp.Is(this=value.copy(), expression=exp.null())), f"c{i}_nulls"),
           aliased(nans, f"c{i}_nans")]
    if column.dtype.name in NUMERIC:
        number = as_double(clean.copy(), dialect)
        out += [aliased(exp.Avg(this=number.copy()), f"c{i}_mean"),
                aliased(exp.StddevSamp(this=number.copy()), f"c{i}_std"),
                aliased(exp.Min(this=clean.copy()), f"c{i}_min"),
                aliased(exp.Max(this=clean), f"c{i}_max")]
    return out


def stats_query(relation: exp.Expr, columns: Sequence[StatsColumn],
                dialect: Dialect) -> exp.Select:
    """One row: ``total`` (rows) and, per column i, ``c{i}_nulls``, ``c{i}_nans``,
    ``c{i}_distinct`` and for numeric columns ``c{i}_mean``, ``c{i}_std``, ``c{i}_min``,
    ``c{i}_max``, the deciles ``c{i}_d1`` .. ``c{i}_d9`` and the PSI bins of those deciles:
    ``c{i}_n`` values, ``c{i}_g1`` .. ``c{i}_g9`` of them at or above each decile
    (``fsql.monitor.drift.numeric_bin_counts``).

    One pass over the rows for the summary aggregates; per column one GROUP BY of its values
    (the histogram: the distinct count); BUCKETS slices of [min, max] locate the ranks the
    deciles need, a window over only those slices' values gives their running counts, and
    one aggregate picks the deciles and the bins. What is sorted is a few slices of the
    distinct values, not the rows, and no column's values are held all at once."""
    _check(columns)
    aggregates: list[exp.Expr] = [aliased(exp.Count(this=exp.Star()), "total")]
    table = _table(relation)
    ctes = _relation_ctes(relation, table)
    parts = [_feature_parts(i, column, table, dialect) for i, column in enumerate(columns)]
    for summary, _ in parts:
        aggregates += summary
    ctes.append((_AGG, exp.select(*aggregates).from_(table.copy(), copy=False)))
    final = exp.select(exp.Star()).from_(exp.to_table(_AGG), copy=False)
    for i, (_, feature_ctes) in enumerate(parts):
        ctes += feature_ctes
        final = final.join(joined(exp.to_table(f"__fsql_q{i}"), None), copy=False)
    for name, body in ctes:
        final = final.with_(name, as_=body, copy=False)
    return final


def _table(relation: exp.Expr) -> exp.Table:
    """What the passes read: a table directly (a CTE every pass reads costs DuckDB a
    fan-out), any other relation through the CTE ``_REL``."""
    return relation if isinstance(relation, exp.Table) else exp.to_table(_REL)


def _relation_ctes(relation: exp.Expr, table: exp.Table) -> list[tuple[str, exp.Expr]]:
    return [] if table is relation else [(_REL, exp.select(exp.Star()).from_(relation))]


def _feature_parts(i: int, column: StatsColumn, table: exp.Table, dialect: Dialect
                   ) -> tuple[list[exp.Expr], list[tuple[str, exp.Expr]]]:
    """Column i's summary aggregates (of the one pass) and its CTEs, the last ``__fsql_q{i}``
    (one row: its distinct count, deciles and bins)."""
    ctes: list[tuple[str, exp.Expr]] = [(f"__fsql_h{i}", _histogram(table, column, dialect))]
    if column.dtype.name in NUMERIC:
        ctes += [(f"__fsql_x{i}", _bucketed(i, dialect)), (f"__fsql_k{i}", _buckets(i)),
                 (f"__fsql_t{i}", _targets(i, dialect)), (f"__fsql_r{i}", _running(i)),
                 (f"__fsql_q{i}", _deciles(i, dialect))]
    else:
        ctes.append((f"__fsql_q{i}", exp.select(aliased(
            exp.Count(this=exp.Star()), f"c{i}_distinct")).from_(
            exp.to_table(f"__fsql_h{i}"), copy=False)))
    return summary_aggregates(i, column, dialect), ctes


# The SQL text of one feature's part of the statistics query, rendered once per dtype and
# dialect for placeholders (its index, column and table) that stats_sql substitutes: building
# and rendering the trees of 20 features took ~1.2 s, as long as DuckDB's pass over 1M rows.
_INDEX, _COLUMN, _TABLE = "987654321", "__fsql_column", "__fsql_table"
_TEMPLATES: dict[tuple[DType, str, str], tuple[str, list[tuple[str, str]]]] = {}


def _template(dtype: DType, dialect: Dialect) -> tuple[str, list[tuple[str, str]]]:
    key = (dtype, dialect.name, dialect.sqlglot)
    if key not in _TEMPLATES:
        summary, ctes = _feature_parts(int(_INDEX), StatsColumn(_COLUMN, dtype),
                                       exp.to_table(_TABLE), dialect)
        _TEMPLATES[key] = (", ".join(e.sql(dialect=dialect.sqlglot) for e in summary),
                           [(name, body.sql(dialect=dialect.sqlglot)) for name, body in ctes])
    return _TEMPLATES[key]


def stats_sql(relation: exp.Expr, columns: Sequence[StatsColumn], dialect: Dialect) -> str:
    """``stats_query(relation, columns, dialect)`` as SQL text (the same text), from each
    dtype's rendered template: what fsql runs."""
    _check(columns)
    table = _table(relation)
    render = dialect.sqlglot
    ctes = [(name, body.sql(dialect=render)) for name, body in _relation_ctes(relation, table)]
    table_sql = table.sql(dialect=render)
    pattern = re.compile("|".join(re.escape(t) for t in (
        _INDEX, _TABLE, column_ref(_COLUMN).sql(dialect=render))))
    summary = [aliased(exp.Count(this=exp.Star()), "total").sql(dialect=render)]
    feature_ctes: list[tuple[str, str]] = []
    for i, column in enumerate(columns):
        values = {_INDEX: str(i), _TABLE: table_sql,
                  column_ref(_COLUMN).sql(dialect=render): column_ref(column.name).sql(
                      dialect=render)}
        def put(text: str, values: dict[str, str] = values) -> str:
            return pattern.sub(lambda m: values[m.group()], text)
        aggregates, bodies = _template(column.dtype, dialect)
        summary.append(put(aggregates))
        feature_ctes += [(put(name), put(body)) for name, body in bodies]
    ctes.append((_AGG, f"SELECT {', '.join(summary)} FROM {table_sql}"))
    ctes += feature_ctes
    joins = "".join(f" CROSS JOIN __fsql_q{i}" for i in range(len(columns)))
    return ("WITH " + ", ".join(f"{name} AS ({body})" for name, body in ctes)
            + f" SELECT * FROM {_AGG}{joins}")


def present(column: StatsColumn, dialect: Dialect) -> exp.Expr:
    """The column's value is neither NULL nor NaN: a filter before grouping the column
    itself, cheaper than grouping ``clean_value``."""
    value = column_ref(column.name)
    keep: exp.Expr = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
    if column.dtype.name == "float64":
        keep = exp.and_(keep, exp.Not(this=dialect.is_nan(value)), copy=False)
    return keep


def _histogram(table: exp.Table, column: StatsColumn, dialect: Dialect) -> exp.Select:
    """Each distinct non-NULL, non-NaN value ``v`` of ``table`` and its count."""
    value = column_ref(column.name)
    return (exp.select(aliased(value.copy(), "v"), aliased(exp.Count(this=exp.Star()), _COUNT))
            .from_(table.copy(), copy=False).where(present(column, dialect), copy=False)
            .group_by(value, copy=False))


def _cumulative(of: exp.Expr, *, partition: exp.Expr | None = None,
                order: exp.Expr) -> exp.Window:
    """``SUM(of)`` over the rows up to this one in ``order`` (within ``partition``)."""
    spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                          end="CURRENT ROW")
    return exp.Window(this=exp.Sum(this=of), partition_by=[partition] if partition else None,
                      order=exp.Order(expressions=[exp.Ordered(this=order, nulls_first=True)]),
                      spec=spec)  # (never NULL: one order on every dialect, no warning)


def _bucketed(i: int, dialect: Dialect) -> exp.Select:
    """The histogram with each value's bucket ``b``: one of BUCKETS equal slices of
    [min, max], a non-decreasing function of the value. Halves, so that no finite value
    overflows (GoogleSQL raises on it); all in bucket 0 when the span is not finite."""
    def half(value: exp.Expr) -> exp.Expr:
        return exp.Div(this=as_double(value, dialect), expression=exp.Literal.number(2))

    span = exp.Sub(this=half(exp.column(f"c{i}_max")), expression=half(exp.column(f"c{i}_min")))
    scale = exp.Div(this=exp.Literal.number(BUCKETS), expression=exp.Greatest(
        this=span.copy(), expressions=[exp.Literal.number("1e-300")]))
    offset = exp.Sub(this=half(exp.column("v")), expression=half(exp.column(f"c{i}_min")))
    bucket = exp.Case(ifs=[exp.If(
        this=exp.LT(this=span, expression=exp.Literal.number("1e308")),
        true=exp.Floor(this=exp.Mul(this=exp.paren(offset), expression=exp.paren(scale))))],
        default=exp.Literal.number(0))
    key = exp.Cast(this=bucket, to=dialect.type_sql(DType("int64")))  # no FLOAT64 keys
    return exp.select(exp.column("v"), aliased(exp.column(_COUNT), "c"), aliased(key, "b")).from_(
        exp.to_table(f"__fsql_h{i}"), copy=False).join(joined(exp.to_table(_AGG), None),
                                                       copy=False)


def _buckets(i: int) -> exp.Select:
    """Per bucket ``b``: its values ``bc``, the values up to its end ``cb``, and over all
    buckets the values ``n`` and the distinct values ``nd``."""
    count = exp.Sum(this=exp.column("c"))
    return (exp.select(exp.column("b"), aliased(count.copy(), "bc"),
                       aliased(_cumulative(count.copy(), order=exp.column("b")), "cb"),
                       aliased(exp.Window(this=exp.Sum(this=count)), "n"),
                       aliased(exp.Window(this=exp.Sum(this=exp.Count(this=exp.Star()))),
                               "nd"))
            .from_(exp.to_table(f"__fsql_x{i}"), copy=False)
            .group_by(exp.column("b"), copy=False))


_SIDES = (("lo", exp.Floor), ("hi", exp.Ceil))
_CARRIED = ("n", "nd", *(f"h{k}" for k in range(1, 10)),
            *(f"r{side}{k}" for k in range(1, 10) for side, _ in _SIDES))


def _targets(i: int, dialect: Dialect) -> exp.Select:
    """The buckets holding a rank a decile needs, with ``before`` (the values in the
    buckets before it), ``n``, ``nd``, and per decile k its index ``h{k}`` = (n - 1) p and
    the ranks (1-based) ``rlo{k}`` = floor h + 1 and ``rhi{k}`` = ceil h + 1."""
    n = exp.column("n")
    index = [aliased(exp.Mul(this=as_double(exp.Sub(this=n.copy(), expression=exp.Literal.number(
        1)), dialect), expression=exp.Literal.number(p)), f"h{k}")
        for k, p in enumerate(DECILES, start=1)]
    inner = exp.select(aliased(exp.column("b"), "tb"), aliased(exp.Sub(
        this=exp.column("cb"), expression=exp.column("bc")), "before"), exp.column("cb"), n,
        exp.column("nd"), *index).from_(exp.to_table(f"__fsql_k{i}"), copy=False)
    ranks, holds = [], []
    for k in range(1, 10):
        for side, rounding in _SIDES:
            rank = exp.Add(this=rounding(this=exp.column(f"h{k}")),
                           expression=exp.Literal.number(1))
            holds.append(exp.and_(exp.LT(this=exp.column("before"), expression=rank.copy()),
                                  exp.GTE(this=exp.column("cb"), expression=rank.copy()),
                                  copy=False))
            ranks.append(aliased(rank, f"r{side}{k}"))
    return exp.select(exp.column("tb"), exp.column("before"), exp.column("n"),
                      exp.column("nd"), *[exp.column(f"h{k}") for k in range(1, 10)],
                      *ranks).from_(inner.subquery("__fsql_i"), copy=False).where(
        exp.or_(*holds, copy=False), copy=False)


def _running(i: int) -> exp.Select:
    """The distinct values ``v`` of the target buckets with their count ``c`` and ``cum``,
    the values at or below (those of earlier buckets included), and the columns of
    ``_targets``."""
    cum = exp.Add(this=exp.column("before"), expression=_cumulative(
        exp.column("c"), partition=exp.column("b"), order=exp.column("v")))
    return exp.select(exp.column("v"), exp.column("c"), aliased(cum, "cum"),
                      *[exp.column(name) for name in _CARRIED]).from_(
        exp.to_table(f"__fsql_x{i}"), copy=False).join(joined(
            exp.to_table(f"__fsql_t{i}"), exp.EQ(this=exp.column("b"),
                                                 expression=exp.column("tb"))), copy=False)


def _deciles(i: int, dialect: Dialect) -> exp.Select:
    """``c{i}_distinct``, the deciles and their bins from the running counts.

    The value of rank r (1-based) is the least value with ``cum >= r``; decile k
    interpolates ranks floor h + 1 (``lo``) and ceil h + 1 (``hi``). The values at or above
    it are n minus those below: ``cum - c`` of the ``lo`` value when the decile equals it,
    else that value's ``cum`` (no value lies strictly between ``lo`` and ``hi``)."""
    cum, count = exp.column("cum"), exp.column("c")
    picks: list[exp.Expr] = [aliased(exp.Max(this=exp.column("nd")), f"c{i}_distinct"),
                             aliased(exp.Max(this=exp.column("n")), f"c{i}_n")]
    for k in range(1, 10):
        for side, _ in _SIDES:
            at = exp.GTE(this=cum.copy(), expression=exp.column(f"r{side}{k}"))
            picks.append(aliased(exp.Min(this=exp.Case(ifs=[exp.If(
                this=at, true=as_double(exp.column("v"), dialect))])), f"{side}{k}"))
            if side == "lo":
                picks += [aliased(exp.Min(this=exp.Case(ifs=[exp.If(
                    this=at.copy(), true=exp.Sub(this=cum.copy(), expression=count.copy()))])),
                    f"below{k}"), aliased(exp.Min(this=exp.Case(ifs=[exp.If(
                        this=at.copy(), true=cum.copy())])), f"upto{k}")]
        picks.append(aliased(exp.Max(this=exp.column(f"h{k}")), f"h{k}"))
    inner = exp.select(*picks).from_(exp.to_table(f"__fsql_r{i}"), copy=False)
    out: list[exp.Expr] = [exp.column(f"c{i}_distinct"), exp.column(f"c{i}_n")]
    for k in range(1, 10):
        lo, hi, index = exp.column(f"lo{k}"), exp.column(f"hi{k}"), exp.column(f"h{k}")
        fraction = exp.Sub(this=index.copy(), expression=exp.Floor(this=index))
        value = exp.Add(this=lo.copy(), expression=exp.Mul(
            this=exp.paren(fraction), expression=exp.paren(exp.Sub(this=hi, expression=lo))))
        below = exp.Case(ifs=[exp.If(this=exp.GT(this=value.copy(), expression=lo.copy()),
                                     true=exp.column(f"upto{k}"))],
                         default=exp.column(f"below{k}"))
        out += [aliased(value, f"c{i}_d{k}"),
                aliased(exp.Sub(this=exp.column(f"c{i}_n"), expression=below), f"c{i}_g{k}")]
    return exp.select(*out).from_(inner.subquery("__fsql_p"), copy=False)


def top_query(relation: exp.Expr, column: StatsColumn, dialect: Dialect,
              limit: int = TOP) -> exp.Select:
    """The ``limit`` most frequent non-NULL values of ``column`` and their counts (``v``,
    ``__fsql_c``), ties broken by value."""
    value = column_ref(column.name)
    order = [exp.Ordered(this=exp.column(_COUNT), desc=True)]
    order += [exp.Ordered(this=key) for key in value_order_keys(value.copy(), column.dtype,
                                                                 dialect)]
    return (exp.select(aliased(value.copy(), "v"), aliased(exp.Count(this=exp.Star()), _COUNT))
            .from_(relation, copy=False)
            .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())), copy=False)
            .group_by(value.copy(), copy=False)
            .order_by(*order, copy=False)
            .limit(limit, copy=False))
