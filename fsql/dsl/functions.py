"""The aggregate functions fsql knows, each described once: the dtype of its result, whether
it counts (0 on no visible event, never NULL), whether it picks one event by time order.

The definition language validates against this table, the planner types results with it, the
dialect files' plans name its functions, and the SQL and the oracle dispatch on the same
names (the oracle's implementation stays separate on purpose: it is the independent
reference the SQL is checked against)."""

from __future__ import annotations

from dataclasses import dataclass

from fsql.dtypes import DType


@dataclass(frozen=True)
class AggregateFunction:
    """One aggregate function.

    ``fixed_dtype``: its result's dtype whatever the input (counts, avg, stddev, variance);
    otherwise the result has its input's dtype (``sum`` of a decimal(p, s) is decimal(38, s),
    and sums exist only of numbers). ``counts``: 0 when nothing is visible, never NULL.
    ``by_time``: picks the value of one event in time order (first, last)."""

    name: str
    fixed_dtype: str | None = None
    counts: bool = False
    by_time: bool = False

    def result_dtype(self, input_dtype: DType | None) -> DType | None:
        """The result's dtype for an input of ``input_dtype`` (None: unknown)."""
        if self.fixed_dtype is not None:
            return DType(self.fixed_dtype)
        if input_dtype is None:
            return None
        if self.name == "sum":
            if input_dtype.name == "decimal":
                return DType("decimal", 38, input_dtype.scale)
            return input_dtype if input_dtype.name in ("int64", "float64") else None
        return input_dtype


FUNCTIONS: dict[str, AggregateFunction] = {f.name: f for f in (
    AggregateFunction("count", fixed_dtype="int64", counts=True),
    AggregateFunction("count_distinct", fixed_dtype="int64", counts=True),
    AggregateFunction("sum"),
    AggregateFunction("avg", fixed_dtype="float64"),
    AggregateFunction("min"),
    AggregateFunction("max"),
    AggregateFunction("stddev", fixed_dtype="float64"),
    AggregateFunction("variance", fixed_dtype="float64"),
    AggregateFunction("first", by_time=True),
    AggregateFunction("last", by_time=True),
)}
AGGREGATE_FUNCTIONS = tuple(FUNCTIONS)
COUNTS = tuple(name for name, f in FUNCTIONS.items() if f.counts)
# Functions whose result keeps the input's dtype (a declared dtype must match it).
INPUT_TYPED = tuple(name for name, f in FUNCTIONS.items() if f.fixed_dtype is None)
BY_TIME = tuple(name for name, f in FUNCTIONS.items() if f.by_time)
