"""What the SQL builders of one query share, as interfaces: the query being compiled (its
plan, dialect and cut), and an aggregation lookup's inputs as its running-plan builder reads
them. The compiler and the aggregation builder implement these; the builders they call
depend on the interfaces only, so that no module imports the one that calls it."""

from __future__ import annotations

from typing import Protocol

from sqlglot import exp

from fsql.plan.nodes import AggregateColumn, AggregationLookup, PointInTimePlan
from fsql.sql.dialect import Dialect


class QueryContext(Protocol):
    """The point-in-time query being compiled."""

    plan: PointInTimePlan
    dialect: Dialect

    def spine_bounds(self) -> tuple[exp.Expr, exp.Expr]:
        """The spine's least and greatest time (columns of :meth:`bounds_join`)."""
        ...

    def bounds_join(self) -> exp.Join:
        """The CROSS JOIN that brings the spine's time range to a source's rows."""
        ...


class AggregationInputs(Protocol):
    """One aggregation lookup as its running/islands/blocks/asof plans read it."""

    p: QueryContext
    lookup: AggregationLookup
    plan_of: list[str]
    inputs: list[tuple[str | None, str | None]]
    input_of: list[int]

    @property
    def src(self) -> str:
        """The CTE holding the lookup's source rows."""
        ...

    def cte_name(self, part: str) -> str:
        """The name of this lookup's CTE ``part``."""
        ...

    def input_dtype(self, agg: AggregateColumn) -> str | None:
        """The fsql dtype of the aggregate's input column, when known."""
        ...

    def integer_input(self, agg: AggregateColumn) -> bool:
        """Whether the aggregate's input is known to hold int64 values."""
        ...
