"""DSL for windowed aggregations and derived (request-time) features.

>>> Aggregate("amount", "sum", window="7d").name
'amount_sum_7d'
>>> Aggregate("*", "count", window="10m").name
'count_10m'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fsql.dsl.functions import AGGREGATE_FUNCTIONS, FUNCTIONS
from fsql.dsl.names import caller_location, check_name, checked_arguments
from fsql.dtypes import DType, parse_dtype
from fsql.durations import parse_duration
from fsql.errors import DefinitionError
from fsql.expr.parse import parse_expression
from fsql.expr.to_python import evaluate


def window_label(window: timedelta | None) -> str:
    """``7d``, ``10m``, ``90s`` ... (the largest of d/h/m/s that divides the window), or
    ``lifetime``."""
    if window is None:
        return "lifetime"
    seconds = int(window.total_seconds())
    if window != timedelta(seconds=seconds):
        return f"{window // timedelta(microseconds=1)}us"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def dtype_of_value(value: Any) -> DType | None:
    """The dtype a Python default value implies."""
    if value is None:
        return None
    if isinstance(value, bool):
        return DType("bool")
    if isinstance(value, int):
        return DType("int64")
    if isinstance(value, float):
        return DType("float64")
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return DType("decimal", 38, scale)
    if isinstance(value, datetime):
        return DType("timestamp")
    if isinstance(value, date):
        return DType("date")
    return DType("string")


@dataclass(frozen=True)
class Aggregate:
    """``function`` of a source column (``"*"``: rows) over the key's events in ``window``.

    ``window``: a timedelta or ``"30s"``, ``"10m"``, ``"24h"``, ``"7d"``...; None = lifetime.
    ``where``: a SQL boolean expression over source columns; rows where it is not TRUE are
    left out. ``default`` replaces a NULL result (counts of nothing are 0 regardless).
    ``dtype`` is the result's dtype when it cannot be known otherwise (sum/min/max/first/last).
    """

    column: str | None
    function: str
    window: timedelta | None
    name: str
    where: Any
    default: Any
    dtype: DType | None
    location: str = field(default="", compare=False, repr=False)
    # Whether dtype= was given (not implied by the default): only a declared int64 tells fsql
    # that a table column without a schema holds integers.
    dtype_declared: bool = field(default=False, compare=False, repr=False)

    @checked_arguments
    def __init__(
        self,
        column: str,
        function: str,
        window: timedelta | str | None = None,
        *,
        name: str | None = None,
        where: str | None = None,
        default: Any = None,
        dtype: str | DType | None = None,
    ) -> None:
        location = caller_location()
        where_text = f"Aggregate({column!r}, {function!r}) ({location})"
        if function not in AGGREGATE_FUNCTIONS:
            raise DefinitionError(
                f"{where_text}: unknown function {function!r}; use one of "
                f"{', '.join(AGGREGATE_FUNCTIONS)}"
            )
        if column == "*" and function != "count":
            raise DefinitionError(f"{where_text}: '*' (rows) only works with count")
        parsed_window = None if window is None else parse_duration(window, where=where_text)
        source_column = None if column == "*" else column
        # A window written as text keeps its spelling in the name ("24h" -> amount_sum_24h).
        label = window.strip() if isinstance(window, str) else window_label(parsed_window)
        default_name = f"count_{label}" if source_column is None else f"{column}_{function}_{label}"
        final_name = check_name("Aggregate", name or default_name, location)
        parsed_where = None
        if where is not None:

            parsed_where = parse_expression(
                where, where=f"Aggregate {final_name!r} ({location}) where="
            )
        fixed = FUNCTIONS[function].fixed_dtype
        if fixed is not None:
            result_dtype: DType | None = DType(fixed)
        elif dtype is not None:
            result_dtype = parse_dtype(dtype, where=f"Aggregate {final_name!r} ({location})")
        else:
            result_dtype = dtype_of_value(default)
        for attr, value in (
            ("column", source_column),
            ("function", function),
            ("window", parsed_window),
            ("name", final_name),
            ("where", parsed_where),
            ("default", default),
            ("dtype", result_dtype),
            ("dtype_declared", dtype is not None),
            ("location", location),
        ):
            object.__setattr__(self, attr, value)


@dataclass(frozen=True)
class Derived:
    """A feature computed from other features of the request and spine (request) columns:
    ``Derived("amount_vs_avg", "amount / amount_avg_7d")``. The expression is a small SQL
    subset (docs/semantics.md); it compiles to every dialect and evaluates in Python."""

    name: str
    expression: Any
    dtype: DType | None
    location: str = field(default="", compare=False, repr=False)

    @checked_arguments
    def __init__(self, name: str, expr: str, dtype: str | DType | None = None) -> None:
        location = caller_location()
        check_name("Derived", name, location)

        parsed = parse_expression(expr, where=f"Derived {name!r} ({location})")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "expression", parsed)
        object.__setattr__(
            self,
            "dtype",
            None if dtype is None else parse_dtype(dtype, where=f"Derived {name!r} ({location})"),
        )
        object.__setattr__(self, "location", location)

    def evaluate(self, inputs: dict[str, Any]) -> Any:
        """The online path: the value for one request, exactly as the SQL computes it."""

        return evaluate(self.expression, inputs)
