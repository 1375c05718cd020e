"""The derived-expression language as one table: every function and operator declared once.

Each :class:`Function` names the sqlglot node class (or the name of an ``exp.Anonymous`` call)
it is, and the rule each of the four walks applies to it: parsing (``_Normalizer.parse_<rule>``
in :mod:`fsql.expr.parse`), typing (``_Typer.type_<rule>`` in :mod:`fsql.expr.types`), Python
evaluation (``_Py.py_<rule>`` in :mod:`fsql.expr.to_python`, with the entry's ``op`` as the
value function where the rule takes one) and SQL (``_Sql.sql_<rule>`` in
:mod:`fsql.sql.expressions`, per dialect through its ``[expressions]`` settings). Each walk
dispatches through :func:`function_of` and checks at import that it has every rule the table
names (:func:`check_rules`). A function parse rewrites into others (``IF``, ``CONCAT``,
``BUCKET``) has no type, Python or SQL rule: the core tree never holds it.

>>> function_of(exp.Add(this=exp.column("a"), expression=exp.column("b"))).name
'+'
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import CompileError
from fsql.expr.core import (
    _EPOCH,
    _EXP_MAX,
    _FLOAT_MAX,
    _UNITS,
    BOOL,
    FLOAT64,
    INT64,
    STRING,
)

__all__ = ["FUNCTIONS", "Function", "Signature", "check_rules", "function_of"]

NUMERIC = ("int64", "decimal", "float64")
_Node = type[exp.Expr]  # a sqlglot node class
BINARY_KEYS = ("this", "expression", "typed", "safe")  # what sqlglot may set on an operator


@dataclass(frozen=True)
class Signature:
    """The type rule ``fixed``: every operand is one of ``operands`` (NULL and an unknown
    column too), is read as ``use``, and the result is ``result``."""

    operands: tuple[str, ...]
    use: DType
    result: DType


@dataclass(frozen=True)
class Function:
    """One function or operator of the language.

    ``name`` is its spelling in ``SUPPORTED``; ``nodes`` the sqlglot classes it parses to (exact
    classes: a subclass such as ``TryCast`` or ``ConcatWs`` is a different construct), or
    ``call`` the lower-case name of an ``exp.Anonymous`` call. ``keys``: the only arguments parse
    accepts (None: not checked); ``arity``: (least, most or None) arguments of a call or a
    variadic function. ``parse``/``type``/``python``/``sql`` name the rule of each walk (None:
    parse rewrites it into other functions); ``signature`` is the data of the type rule
    ``fixed``, ``op`` the value function of the Python rules ``strict``, ``strict_int``,
    ``arith`` and ``three_valued``.
    """

    name: str
    parse: str
    type: str | None = None
    python: str | None = None
    sql: str | None = None
    nodes: tuple[_Node, ...] = ()
    call: str = ""
    keys: tuple[str, ...] | None = None
    arity: tuple[int, int | None] | None = None
    signature: Signature | None = None
    op: Callable[..., Any] | None = None


# ------------------------------------------------------------------------------------------
# The value functions (Python evaluation) of the strict entries: NULL never reaches them.
# ------------------------------------------------------------------------------------------

def _div(a: float, b: float) -> float | None:
    """``/``: NULL for 0 and for a divisor whose quotient would overflow."""
    return None if b == 0 or abs(b) < abs(a) / _FLOAT_MAX else a / b


def _mod(a: int, b: int) -> int | None:
    """``%``: the sign follows the dividend; NULL for 0."""
    return None if b == 0 else (abs(a) % abs(b)) * (1 if a >= 0 else -1)


def _rounder(mode: str, func: Callable[[float], int]) -> Callable[[Any], Any]:
    def run(a: Any) -> Any:
        return a if isinstance(a, int) else float(func(a)) if isinstance(
            a, float) else a.to_integral_value(rounding=mode)
    return run


def _ln(a: float) -> float | None:
    return math.log(a) if a > 0 else None


def _sqrt(a: float) -> float | None:
    return math.sqrt(a) if a >= 0 else None


def _exp(a: float) -> float | None:
    return math.exp(a) if a <= _EXP_MAX else None


def _pow(x: float, y: float) -> float | None:
    if not (x > 0 or (x == 0 and y >= 0) or (x < 0 and y == math.floor(y))):
        return None
    if x != 0 and y * math.log(abs(x)) > _EXP_MAX:
        return None
    return math.pow(x, y)


def _least(*values: Any) -> Any:
    return min(values)


def _greatest(*values: Any) -> Any:
    return max(values)


def _substr(s: str, start: int, length: int | None = None) -> str | None:
    if start < 1 or (length is not None and length < 0):
        return None
    return s[start - 1:] if length is None else s[start - 1:start - 1 + length]


def _micros(value: dt.date) -> int:
    """Microseconds since the epoch of a timestamp, or of a date's midnight UTC."""
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(microseconds=1)
    return (value - dt.date(1970, 1, 1)).days * 86_400_000_000


def _time_diff(unit: int) -> Callable[[dt.date, dt.date], int]:
    def run(a: dt.date, b: dt.date) -> int:
        return (_micros(b) - _micros(a)) // unit
    return run


def _and3(values: Iterable[bool | None]) -> bool | None:
    seen_null = False
    for v in values:
        if v is False:
            return False
        seen_null |= v is None
    return None if seen_null else True


def _or3(values: Iterable[bool | None]) -> bool | None:
    seen_null = False
    for v in values:
        if v is True:
            return True
        seen_null |= v is None
    return None if seen_null else False


# ------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------

_TO_FLOAT = Signature(NUMERIC, FLOAT64, FLOAT64)
_BOOLEAN = Signature(("bool",), BOOL, BOOL)
_TEXT = Signature(("string",), STRING, STRING)


def _operator(name: str, node: _Node, *, type: str, python: str, sql: str,
              op: Callable[..., Any], signature: Signature | None = None) -> Function:
    """A binary operator (``a + b``)."""
    return Function(name, "binary", type, python, sql, nodes=(node,), keys=BINARY_KEYS,
                    signature=signature, op=op)


def _comparison(name: str, node: _Node, op: Callable[[Any, Any], bool],
                sql: str) -> Function:
    return _operator(name, node, type="compare", python="strict", sql=sql, op=op)


def _unary(name: str, node: _Node, *, type: str, python: str, sql: str,
           op: Callable[..., Any], signature: Signature | None = None) -> Function:
    """A one-argument function (``LN(x)``): no other argument accepted."""
    return Function(name, "unary", type, python, sql, nodes=(node,), keys=("this",),
                    signature=signature, op=op)


def _time_between(name: str) -> Function:
    call = name.lower()
    return Function(name, "time_diff", "time_diff", "strict", "time_diff", nodes=(exp.Anonymous,),
                    call=call, arity=(2, 2), op=_time_diff(_UNITS[call]))


FUNCTIONS: tuple[Function, ...] = (
    Function("column names", "column", "column", "column", "column", nodes=(exp.Column,)),
    Function("literals", "literal", "literal", "literal", "literal", nodes=(exp.Literal,)),
    Function("TRUE/FALSE", "copy", "literal", "literal", "literal", nodes=(exp.Boolean,)),
    Function("NULL", "copy", "literal", "literal", "literal", nodes=(exp.Null,)),
    _operator("+", exp.Add, type="arith", python="arith", sql="same", op=operator.add),
    _operator("-", exp.Sub, type="arith", python="arith", sql="same", op=operator.sub),
    _operator("*", exp.Mul, type="product", python="arith", sql="mul", op=operator.mul),
    _operator("/", exp.Div, type="fixed", python="strict", sql="div", op=_div,
              signature=_TO_FLOAT),
    _operator("%", exp.Mod, type="fixed", python="strict", sql="mod", op=_mod,
              signature=Signature(("int64",), INT64, INT64)),
    Function("unary -", "unary", "same_numeric", "strict_int", "same", nodes=(exp.Neg,),
             op=operator.neg),
    _comparison("=", exp.EQ, operator.eq, "equality"),
    _comparison("<>", exp.NEQ, operator.ne, "equality"),
    _comparison("<", exp.LT, operator.lt, "ordering"),
    _comparison("<=", exp.LTE, operator.le, "ordering"),
    _comparison(">", exp.GT, operator.gt, "ordering"),
    _comparison(">=", exp.GTE, operator.ge, "ordering"),
    Function("IS [NOT] NULL", "is_null", "is_null", "is_null", "same", nodes=(exp.Is,)),
    Function("BETWEEN", "between", "compare", "between", "between", nodes=(exp.Between,)),
    Function("IN", "in_list", "compare", "in_list", "in_list", nodes=(exp.In,),
             keys=("this", "expressions")),
    _operator("AND", exp.And, type="fixed", python="three_valued", sql="same", op=_and3,
              signature=_BOOLEAN),
    _operator("OR", exp.Or, type="fixed", python="three_valued", sql="same", op=_or3,
              signature=_BOOLEAN),
    Function("NOT", "unary", "fixed", "strict", "same", nodes=(exp.Not,), signature=_BOOLEAN,
             op=operator.not_),
    Function("CASE", "case", "case", "case", "case", nodes=(exp.Case,)),
    Function("IF", "if_", nodes=(exp.If,)),  # IF(c, a, b) and IIF: a searched CASE
    Function("COALESCE", "variadic", "unify", "coalesce", "coalesce", nodes=(exp.Coalesce,),
             arity=(2, None)),
    Function("NULLIF", "binary", "unify", "nullif", "nullif", nodes=(exp.Nullif,)),
    Function("CAST", "cast", "cast", "cast", "cast", nodes=(exp.Cast,), keys=("this", "to")),
    _unary("ABS", exp.Abs, type="same_numeric", python="strict_int", sql="same", op=abs),
    Function("ROUND", "round", "round", "round", "round", nodes=(exp.Round,),
             keys=("this", "decimals")),
    _unary("FLOOR", exp.Floor, type="floor_ceil", python="strict", sql="floor_ceil",
           op=_rounder(decimal.ROUND_FLOOR, math.floor)),
    _unary("CEIL", exp.Ceil, type="floor_ceil", python="strict", sql="floor_ceil",
           op=_rounder(decimal.ROUND_CEILING, math.ceil)),
    _unary("LN", exp.Ln, type="fixed", python="strict", sql="guarded_math", op=_ln,
           signature=_TO_FLOAT),
    _unary("EXP", exp.Exp, type="fixed", python="strict", sql="guarded_math", op=_exp,
           signature=_TO_FLOAT),
    _unary("SQRT", exp.Sqrt, type="fixed", python="strict", sql="guarded_math", op=_sqrt,
           signature=_TO_FLOAT),
    Function("POWER", "binary", "fixed", "strict", "pow", nodes=(exp.Pow,), signature=_TO_FLOAT,
             op=_pow),
    Function("LEAST", "variadic", "unify", "strict", "least_greatest", nodes=(exp.Least,),
             arity=(2, None), op=_least),
    Function("GREATEST", "variadic", "unify", "strict", "least_greatest",
             nodes=(exp.Greatest,), arity=(2, None), op=_greatest),
    Function("EXTRACT", "extract", "extract", "extract", "extract", nodes=(exp.Extract,)),
    _time_between("SECONDS_BETWEEN"),
    _time_between("MINUTES_BETWEEN"),
    _time_between("HOURS_BETWEEN"),
    _time_between("DAYS_BETWEEN"),
    _unary("LENGTH", exp.Length, type="fixed", python="strict", sql="same", op=len,
           signature=Signature(("string",), STRING, INT64)),
    _unary("LOWER", exp.Lower, type="fixed", python="strict", sql="same", op=str.lower,
           signature=_TEXT),
    _unary("UPPER", exp.Upper, type="fixed", python="strict", sql="same", op=str.upper,
           signature=_TEXT),
    Function("CONCAT", "concat", nodes=(exp.Concat,), arity=(2, None)),  # a || b || ...
    _operator("||", exp.DPipe, type="fixed", python="strict", sql="same", op=operator.add,
              signature=_TEXT),
    Function("SUBSTR", "substring", "substring", "strict", "substring", nodes=(exp.Substring,),
             keys=("this", "start", "length"), op=_substr),
    Function("BUCKET", "bucket", nodes=(exp.Anonymous,), call="bucket", arity=(2, None)),
)

_BY_NODE: dict[_Node, Function] = {
    node: f for f in FUNCTIONS if not f.call for node in f.nodes}
_BY_CALL: dict[str, Function] = {f.call: f for f in FUNCTIONS if f.call}


def function_of(node: exp.Expr) -> Function | None:
    """The entry of ``node`` (by its exact class, or a call's name), None if not in the language."""
    if type(node) is exp.Anonymous:
        return _BY_CALL.get(node.name.lower())
    return _BY_NODE.get(type(node))


def arity_ok(f: Function, count: int) -> bool:
    """Whether ``count`` arguments fit ``f``'s arity (always, when it declares none)."""
    if f.arity is None:
        return True
    least, most = f.arity
    return count >= least and (most is None or count <= most)


def check_rules(walker: type, prefix: str, column: str) -> None:
    """Raise unless ``walker`` has a method ``<prefix><rule>`` for every rule of ``column``
    (``"parse"``, ``"type"``, ``"python"`` or ``"sql"``) the table names; each walk calls it
    at import, so an entry with a new rule fails at once, naming the entry and the method."""
    for f in FUNCTIONS:
        rule = getattr(f, column)
        if rule is not None and not callable(getattr(walker, prefix + rule, None)):
            raise CompileError(f"internal: {walker.__name__} has no {prefix}{rule} for the "
                               f"{column} rule of {f.name}")
