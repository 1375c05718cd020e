"""Drift and skew in SQL: bin counts for the population stability index (PSI) and the exact
two-sample Kolmogorov-Smirnov statistic, per dialect (docs/monitoring.md).

Bins of a numeric feature: the baseline's deciles e1..e9 as edges; a value's bin is the number
of edges it is at or above (0..9), so values below e1 fall in the first bin and values at or
above e9 in the last. A categorical feature's bins: the baseline's top values, then one
"other" bin. PSI = sum over bins of (p - q) * ln(p / q), p the current and q the baseline
share of the non-NULL (non-NaN) values, each floored at 0.0001 first.

KS: the largest distance between the two samples' empirical CDFs, evaluated after all values
equal to each distinct value of the union (exact; no binning). Its p-value is the asymptotic
Kolmogorov distribution of sqrt(n m / (n + m)) D.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType
from fsql.monitor.stats import (
    NUMERIC,
    StatsColumn,
    as_double,
    clean_value,
    column_ref,
    count_if,
    present,
)
from fsql.sql.dialect import Dialect
from fsql.sql.tree import aliased

FLOOR = 0.0001
OTHER = "__fsql_other"


def bin_index(column: StatsColumn, edges: Sequence[float], dialect: Dialect) -> exp.Expr:
    """The bin (0..len(edges)) of the column's value: how many edges it is at or above."""
    value = as_double(clean_value(column, dialect), dialect)
    terms: list[exp.Expr] = [exp.Case(ifs=[exp.If(
        this=exp.GTE(this=value.copy(), expression=exp.Literal.number(repr(float(e)))),
        true=exp.Literal.number(1))], default=exp.Literal.number(0)) for e in edges]
    total: exp.Expr = exp.Literal.number(0)
    for term in terms:
        total = exp.Add(this=total, expression=term)
    return total


def bins_query(relation: exp.Expr, column: StatsColumn, dialect: Dialect, *,
               edges: Sequence[float] = (), top: Sequence[Any] = ()) -> exp.Select:
    """(bin, count) of the non-NULL, non-NaN values: numeric bins by ``edges``; categorical
    bins by ``top`` (the bin is the value's index there, ``len(top)`` for any other)."""
    clean = clean_value(column, dialect)
    if column.dtype.name in NUMERIC:
        index = bin_index(column, edges, dialect)
    else:
        ifs = [exp.If(this=exp.EQ(this=column_ref(column.name),
                                  expression=_literal(v, column.dtype)),
                      true=exp.Literal.number(i)) for i, v in enumerate(top)]
        index = exp.Case(ifs=ifs, default=exp.Literal.number(len(top))) if ifs \
            else exp.Literal.number(0)
    inner = exp.select(aliased(index, "bin")).from_(relation, copy=False).where(
        exp.Not(this=exp.Is(this=clean, expression=exp.null())), copy=False)
    return (exp.select(exp.column("bin"), aliased(exp.Count(this=exp.Star()), "c"))
            .from_(inner.subquery("__fsql_b"), copy=False)
            .group_by(exp.column("bin"), copy=False).order_by(exp.column("bin"), copy=False))


def current_query(relation: exp.Expr, items: Sequence[tuple[StatsColumn, Sequence[float]]],
                  dialect: Dialect) -> exp.Select:
    """What drift compares, in one pass over the rows: ``total`` and per column i
    ``c{i}_nulls`` and, for numbers, ``c{i}_mean`` and ``c{i}_max`` (as the statistics
    compute them) and, with edges, ``n{i}`` (values neither NULL nor NaN) and ``g{i}_{k}``
    (values at or above edge k). With sorted edges, bin 0 holds n - g_1, bin k holds
    g_k - g_(k+1) and the last bin g_last: the counts of ``bins_query``."""
    aggregates: list[exp.Expr] = [aliased(exp.Count(this=exp.Star()), "total")]
    for i, (column, edges) in enumerate(items):
        aggregates.append(aliased(count_if(exp.Is(this=column_ref(column.name),
                                                  expression=exp.null())), f"c{i}_nulls"))
        if column.dtype.name not in NUMERIC:
            continue
        clean = clean_value(column, dialect)
        value = as_double(clean.copy(), dialect)
        aggregates += [aliased(exp.Avg(this=value.copy()), f"c{i}_mean"),
                       aliased(exp.Max(this=clean), f"c{i}_max")]
        if not edges:
            continue
        aggregates.append(aliased(exp.Count(this=value.copy()), f"n{i}"))
        for k, edge in enumerate(edges, start=1):
            above = exp.GTE(this=value.copy(), expression=exp.Literal.number(repr(float(edge))))
            aggregates.append(aliased(count_if(above), f"g{i}_{k}"))
    return exp.select(*aggregates).from_(relation, copy=False)


def numeric_bin_counts(total: int, above: Sequence[int]) -> list[int]:
    """Bin counts from the number of values and the numbers at or above each sorted edge."""
    bounds = [total, *above, 0]
    return [bounds[k] - bounds[k + 1] for k in range(len(above) + 1)]


def _literal(value: Any, dtype: DType) -> exp.Expr:
    if dtype.name == "bool":
        return exp.Boolean(this=bool(value))
    return exp.Literal.string(str(value))


def ks_query(a: exp.Expr, b: exp.Expr, column_a: StatsColumn, column_b: StatsColumn,
             dialect: Dialect) -> exp.Select:
    """One row: the KS statistic ``d`` and the sample sizes ``na``, ``nb`` of the numeric
    column in relations ``a`` and ``b`` (NULL and NaN left out)."""
    def side(relation: exp.Expr, column: StatsColumn, first: bool) -> exp.Select:
        """One sample's distinct values and their counts, grouped before the union."""
        value = column_ref(column.name)
        count, zero = exp.Count(this=exp.Star()), exp.Literal.number(0)
        return exp.select(aliased(as_double(value.copy(), dialect), "v"),
                          aliased(count if first else zero, "ca"),
                          aliased(zero.copy() if first else count.copy(), "cb")).from_(
            relation, copy=False).where(present(column, dialect), copy=False).group_by(
            value, copy=False)

    union = exp.union(side(a, column_a, True), side(b, column_b, False), distinct=False)
    grouped = (exp.select(exp.column("v"), aliased(exp.Sum(this=exp.column("ca")), "ca"),
                          aliased(exp.Sum(this=exp.column("cb")), "cb"))
               .from_(union.subquery("__fsql_u"), copy=False)
               .group_by(exp.column("v"), copy=False))
    order = exp.Order(expressions=[exp.Ordered(this=exp.column("v"), nulls_first=True)])

    def running(name: str) -> exp.Expr:
        return exp.Window(this=exp.Sum(this=exp.column(name)), order=order.copy(),
                          spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED",
                                              start_side="PRECEDING", end="CURRENT ROW"))

    def total(name: str) -> exp.Expr:
        return exp.Window(this=exp.Sum(this=exp.column(name)))

    cdf = exp.select(aliased(running("ca"), "fa"), aliased(running("cb"), "fb"),
                     aliased(total("ca"), "na"), aliased(total("cb"), "nb")).from_(
        grouped.subquery("__fsql_g"), copy=False)
    def share(count: str, size: str) -> exp.Expr:  # NULL when the sample is empty
        return exp.Div(this=as_double(exp.column(count), dialect), expression=exp.Nullif(
            this=exp.column(size), expression=exp.Literal.number(0)))

    gap = exp.Abs(this=exp.Sub(this=share("fa", "na"), expression=share("fb", "nb")))
    return exp.select(aliased(exp.Max(this=gap), "d"), aliased(exp.Max(this=exp.column("na")),
                                                               "na"),
                      aliased(exp.Max(this=exp.column("nb")), "nb")).from_(
        cdf.subquery("__fsql_c"), copy=False)


def psi(current: Sequence[int], baseline: Sequence[int]) -> float | None:
    """PSI of two bin-count vectors (None when either side has no values)."""
    n, m = sum(current), sum(baseline)
    if n == 0 or m == 0:
        return None
    total = 0.0
    for c, b in zip(current, baseline, strict=True):
        p, q = max(c / n, FLOOR), max(b / m, FLOOR)
        total += (p - q) * math.log(p / q)
    return total


def ks_pvalue(d: float, n: int, m: int) -> float | None:
    """The asymptotic two-sided p-value of the KS statistic ``d`` for sample sizes n, m:
    Q(x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), x = sqrt(n m / (n + m)) d."""
    if n == 0 or m == 0:
        return None
    x = math.sqrt(n * m / (n + m)) * d
    if x <= 0:
        return 1.0
    if x < 1.0:  # the series in exp(-(2k-1)^2 pi^2 / (8 x^2)) converges fast for small x
        cdf = math.sqrt(2 * math.pi) / x * sum(
            math.exp(-((2 * k - 1) ** 2) * math.pi ** 2 / (8 * x * x)) for k in range(1, 50))
        return min(max(1.0 - cdf, 0.0), 1.0)
    total = sum(2 * (-1) ** (k - 1) * math.exp(-2 * k * k * x * x) for k in range(1, 101))
    return min(max(total, 0.0), 1.0)
