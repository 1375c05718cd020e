"""The core of the derived-expression language every walk shares: its dtypes and numeric
limits, the parsed :class:`Expression`, its errors, and reading the literals of a core tree."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import DefinitionError, ExecutionError

__all__ = ["INPUT_DIALECT", "EvaluationError", "Expression", "MissingInputError"]

INPUT_DIALECT = "duckdb"
INT64, FLOAT64, STRING, BOOL = DType("int64"), DType("float64"), DType("string"), DType("bool")
TIMESTAMP, DATE = DType("timestamp"), DType("date")
NULL = DType("null")  # the type of a bare NULL; it takes the type its context asks for
ANY = DType("unknown")  # a column to_sql() was given no dtype for
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_MAX_DECIMAL_SCALE = 9  # BigQuery NUMERIC's scale: decimal results with more digits are refused
_EXP_MAX = 709.78  # exp(709.78) ~ 1.79e308, just below the largest float64
_EXP_ZERO = -745.1332191019411  # the least x with exp(x) > 0 (5e-324); below it exp is 0.0
_TWO_52 = 2.0**52  # floats at least this large are integers
_FLOAT_MAX = 1.7976931348623157e308
_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's splitting constant for float64
_UNITS = {"seconds_between": 1_000_000, "minutes_between": 60_000_000,
          "hours_between": 3_600_000_000, "days_between": 86_400_000_000}
_PARTS = ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "ISODOW")
_DATE_PARTS = ("YEAR", "MONTH", "DAY", "ISODOW")
_NUMBER_PATTERNS = {  # string -> number casts accept exactly these (anything else is NULL)
    "int64": r"^[+-]?[0-9]+$",
    "float64": r"^[+-]?[0-9]+([.][0-9]+)?([eE][+-]?[0-9]+)?$",
    "decimal": r"^[+-]?[0-9]+([.][0-9]{1,9})?$",  # BigQuery NUMERIC reads 9 decimals
}
_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_DEC = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)


class EvaluationError(ExecutionError):
    """A value made the expression fail in Python, as the SQL fails (e.g. int64 overflow)."""


class MissingInputError(DefinitionError, KeyError):
    """:func:`evaluate` or :func:`result_dtype` was not given a column the expression reads."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Expression:
    """A parsed, validated derived expression.

    ``tree`` is the normalized core tree (``IF`` and simple ``CASE`` become searched ``CASE``,
    ``CONCAT`` becomes ``||``, ``BUCKET`` its ``CASE``); ``references`` are the column names it
    reads in first-use order; ``where`` names the definition in error messages.
    """

    text: str
    tree: exp.Expr
    references: tuple[str, ...]
    where: str = ""


def _fail(where: str, message: str) -> DefinitionError:
    return DefinitionError(f"{where}: {message}" if where else message)


def _missing(where: str, message: str) -> MissingInputError:
    return MissingInputError(f"{where}: {message}" if where else message)


def _literal_number(text: str) -> int | float | None:
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", text):
        return float(text)
    return None


def _constant(node: exp.Expr | None) -> tuple[str, Any] | None:
    """(kind, value) of a literal node of the core tree, or None when it is not a literal."""
    if isinstance(node, exp.Neg):
        inner = _constant(node.this)
        return (inner[0], -inner[1]) if inner and inner[0] in ("int", "float") else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return ("string", node.this)
        value = _literal_number(node.this)
        return ("int" if isinstance(value, int) else "float", value)
    if isinstance(node, exp.Boolean):
        return ("bool", node.this)
    if isinstance(node, exp.Null):
        return ("null", None)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        return ("cast", node.this.this)
    return None


def _digits(node: exp.Expr) -> int:
    """The literal n of a normalized ROUND(x, n)."""
    value = _constant(node.args["decimals"])
    return int(value[1]) if value else 0


def _temporal_literal(text: str, target: DType, where: str) -> dt.date:
    """The value of ``DATE '...'``/``TIMESTAMP '...'``; only ISO forms, read as UTC."""
    if target == DATE and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    clock = r"([ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?)?"
    if target == TIMESTAMP and re.fullmatch(r"\d{4}-\d{2}-\d{2}" + clock, text):
        try:
            return dt.datetime.fromisoformat(text).replace(tzinfo=_UTC)
        except ValueError:
            pass
    raise _fail(where, f"{target} literal {text!r} must be 'YYYY-MM-DD'"
                       + (" HH:MM:SS[.ffffff]' (UTC)" if target == TIMESTAMP else "'")
                       + "; CAST from a string column to a date or timestamp is not supported")


# Float64 helpers shared by the SQL and the Python evaluations of ROUND.

def _split(a: float) -> tuple[float, float]:
    """Veltkamp's split of a float64 into two halves of 26 bits (exact: hi + lo == a)."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def _round_limit(n: int) -> float:
    """|x| from which ROUND(x, n) returns x: 2^52 for n > 0, 2^53 * 10^-n for n < 0."""
    return _TWO_52 if n > 0 else 2.0**53 * 10.0**-n
