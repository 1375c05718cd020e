"""The visibility rule (:class:`~fsql.plan.nodes.Visibility`, docs/semantics.md "The cut")
written as SQL: predicates, window frames, and the order of source rows and spine rows that
meet at one instant. Every strategy and plan takes its bounds from here, so that the rule is
encoded once for all of them (and for materialization statements)."""

from __future__ import annotations

from sqlglot import exp

from fsql.plan.nodes import Visibility
from fsql.sql.tree import INT64_MAX, INT64_MIN, int_literal


def not_after(v: Visibility, ts: exp.Expr, t: exp.Expr) -> exp.Expr:
    """The event time ``ts`` is visible from ``t`` under the cut: ``ts <= t`` / ``ts < t``."""
    return (exp.LTE if v.inclusive else exp.LT)(this=ts, expression=t)


def sees(v: Visibility, t: exp.Expr, ts: exp.Expr) -> exp.Expr:
    """:func:`not_after` with the spine time on the left (``t >= ts`` / ``t > ts``), as an
    ASOF match condition is written."""
    return (exp.GTE if v.inclusive else exp.GT)(this=t, expression=ts)


def span_start(v: Visibility, t: exp.Expr) -> exp.Expr:
    """``t - w``, where the span starts."""
    assert v.span_us is not None, "an unbounded span has no start"
    return exp.Sub(this=t, expression=int_literal(v.span_us))


def inside_span(v: Visibility, ts: exp.Expr, t: exp.Expr) -> exp.Expr:
    """``ts`` is after the span's start: ``ts > t - w`` (inclusive) / ``ts >= t - w``."""
    return (exp.GT if v.inclusive else exp.GTE)(this=ts, expression=span_start(v, t))


def union_ranks(v: Visibility) -> tuple[int, int]:
    """(rank of source rows, rank of spine rows) at one instant in a time-ordered union:
    under the inclusive cut a row at t is visible from t, so rows sort first."""
    return (0, 1) if v.inclusive else (1, 0)


def probe_created(v: Visibility) -> exp.Expr:
    """The created time a probe at t carries in a (time, created) comparison, so that rows at
    t compare as visible (inclusive: above any) or not (exclusive: below any)."""
    return int_literal(INT64_MAX if v.inclusive else INT64_MIN)


def range_frame(v: Visibility) -> exp.WindowSpec:
    """The RANGE frame over epoch microseconds of the rows visible at the current row:
    ``(t - w, t]`` is ``w - 1 PRECEDING .. CURRENT ROW`` (inclusive) and ``[t - w, t)`` is
    ``w PRECEDING .. 1 PRECEDING`` (exclusive); no span: UNBOUNDED PRECEDING."""
    if v.span_us is None:
        start: exp.Expr | str = "UNBOUNDED"
    else:
        start = exp.Literal.number(v.span_us - 1 if v.inclusive else v.span_us)
    if v.inclusive:
        return exp.WindowSpec(kind="RANGE", start=start, start_side="PRECEDING",
                              end="CURRENT ROW")
    return exp.WindowSpec(kind="RANGE", start=start, start_side="PRECEDING",
                          end=exp.Literal.number(1), end_side="PRECEDING")
