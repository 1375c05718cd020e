"""Derived expressions evaluated in Python (the online path), with the same results as
their SQL on every dialect: NULL propagation, exact integer and decimal arithmetic, IEEE
rounding spelled out."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType, parse_dtype
from fsql.errors import CompileError
from fsql.expr.core import (
    _DEC,
    _INT_MAX,
    _INT_MIN,
    _NUMBER_PATTERNS,
    _UTC,
    BOOL,
    DATE,
    FLOAT64,
    INPUT_DIALECT,
    INT64,
    NULL,
    STRING,
    TIMESTAMP,
    EvaluationError,
    Expression,
    _constant,
    _digits,
    _missing,
    _round_limit,
    _split,
    _temporal_literal,
)
from fsql.expr.functions import Function, _and3, _or3, check_rules, function_of
from fsql.expr.types import _cast_kind, _Typer

# ------------------------------------------------------------------------------------------
# Python
# ------------------------------------------------------------------------------------------

Row = Mapping[str, Any]
Fn = Callable[[Row], Any]


def _check_int(value: int, what: str | exp.Expr) -> int:
    if not _INT_MIN <= value <= _INT_MAX:
        where = what if isinstance(what, str) else what.sql(dialect=INPUT_DIALECT)
        raise EvaluationError(f"int64 overflow in {where}: {value}")
    return value


def _half_away(value: decimal.Decimal | float) -> int:
    """The integer nearest to ``value``, halves away from zero (on the exact value)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationError(f"cannot convert {value} to an integer")
        whole = math.floor(abs(value))
        return int(math.copysign(1, value)) * (whole + (abs(value) - whole >= 0.5))
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_UP))




def _two_product_error(a: float, b: float, p: float) -> float:
    """a * b - p exactly, for p = fl(a * b) (Dekker's TwoProduct; no FMA needed)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return (((ah * bh - p) + ah * bl) + al * bh) + al * bl




def _scaled_round(x: float, n: int) -> int:
    """sign(x) * round-half-away(|x| * 10^n) (n < 0: |x| / 10^-n) on x's exact binary value.

    p = |x| * 10^n is one IEEE operation and r = floor(p); p can only be on the wrong side of
    r + 0.5 when it is exactly r + 0.5, and then the sign of the exact rounding error (Dekker's
    error-free product) decides. The SQL performs the same IEEE operations in the same order,
    so Python and every warehouse agree bit for bit; for |x| * 10^n < 2^52 the result is exact:
    2.675 is 2.67499999999999982236431605997495353221893310546875, so k = 267 for n = 2 although
    2.675 * 100 == 267.5 in float64.
    """
    sign, a, scale = (x > 0) - (x < 0), abs(x), 10.0 ** abs(n)
    if n > 0:
        p = a * scale
        above = _two_product_error(a, scale, p) >= 0
    else:
        p = a / scale
        back = p * scale
        above = (a - back) - _two_product_error(p, scale, back) >= 0
    r = math.floor(p)
    return sign * (r + (1 if p - r > 0.5 or (p - r == 0.5 and above) else 0))


def _round_float(x: float, n: int) -> float:
    """ROUND(float64, n): halves away from zero on the exact value, as the nearest float64."""
    if n == 0:
        return float(_half_away(x))
    if abs(x) >= _round_limit(n):
        return x
    k = float(_scaled_round(x, n))
    return k / 10.0**n if n > 0 else k * 10.0**-n


def _float_to_decimal(x: float, target: DType) -> decimal.Decimal:
    """CAST(float64 AS decimal(p, s)): x's exact value rounded half away from zero to s digits."""
    if not math.isfinite(x):
        raise EvaluationError(f"cannot convert {x} to {target}")
    a = abs(x)
    integer = math.floor(a)
    k = _scaled_round(a - integer, target.scale or 0)  # the SQL's exact split, see lower_cast
    value = decimal.Decimal(integer) + decimal.Decimal(k).scaleb(-(target.scale or 0))
    return _fit_decimal(-value if x < 0 else value, target)


def _round_decimal(x: decimal.Decimal, n: int) -> decimal.Decimal:
    return x.quantize(decimal.Decimal(1).scaleb(-n), rounding=decimal.ROUND_HALF_UP, context=_DEC)


def _fit_decimal(value: decimal.Decimal, target: DType) -> decimal.Decimal:
    value = _round_decimal(value, target.scale or 0)
    if value.adjusted() >= (target.precision or 0) - (target.scale or 0):
        raise EvaluationError(f"{value} does not fit {target}")
    return value


def _convert(value: Any, target: DType) -> Any:
    """Implicit widening of a value to the type its parent reads it as."""
    if value is None or isinstance(value, bool):
        return value
    if target == FLOAT64 and isinstance(value, (int, decimal.Decimal)):
        return float(value)
    if target.name == "decimal" and isinstance(value, int):
        return decimal.Decimal(value)
    return value


def _extract(part: str, value: dt.date) -> int:
    if part == "ISODOW":
        return value.isoweekday()
    return int(getattr(value, part.lower()))


def _cast_value(value: Any, source: DType, target: DType) -> Any:
    kind = _cast_kind(source, target)
    if value is None or kind in ("null", "same"):
        return value
    if kind == "round_int":
        return _check_int(_half_away(value), "CAST")
    if kind == "round_float":
        return _float_to_decimal(value, target)
    if kind == "nonzero":
        return value != 0
    if kind == "bool_int":
        return int(value)
    if kind == "parse":
        if not re.fullmatch(_NUMBER_PATTERNS[target.name], value):
            return None
        if target == INT64:
            return _check_int(int(value), "CAST")
        if target == FLOAT64:
            return float(value)
        return _fit_decimal(decimal.Decimal(value), target)
    if kind == "date_ts":
        return dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    if kind == "ts_date":
        return value.date()
    if target == FLOAT64:
        return float(value)
    if target == STRING:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    return _fit_decimal(decimal.Decimal(value), target)  # int64/decimal -> decimal


def _strict(fn: Callable[..., Any], args: Sequence[Fn]) -> Fn:
    """A NULL-propagating function of the argument closures."""
    if len(args) == 1:
        (a,) = args

        def run1(row: Row) -> Any:
            x = a(row)
            return None if x is None else fn(x)
        return run1
    if len(args) == 2:
        a, b = args

        def run2(row: Row) -> Any:
            x = a(row)
            if x is None:
                return None
            y = b(row)
            return None if y is None else fn(x, y)
        return run2

    def run(row: Row) -> Any:
        values = [a(row) for a in args]
        return None if any(v is None for v in values) else fn(*values)
    return run


class _Py:
    """Compiles a typed core tree into nested Python closures: each function's ``py_<rule>``
    of :data:`fsql.expr.functions.FUNCTIONS`, with the entry's ``op`` as its value function."""

    def __init__(self, typer: _Typer) -> None:
        self.t = typer

    def __call__(self, node: exp.Expr) -> Fn:
        fn = self.compile(node)
        target = self.t.use_as.get(id(node))
        if target is not None and target.name in ("float64", "decimal"):
            inner = fn
            return lambda row: _convert(inner(row), target)
        return fn

    def compile(self, node: exp.Expr) -> Fn:
        f = function_of(node)
        if f is None or f.python is None:
            raise CompileError(f"internal: no Python rule for {type(node).__name__}")
        rule: Callable[[exp.Expr, Function, DType], Fn] = getattr(self, "py_" + f.python)
        return rule(node, f, self.t.type(node))

    def args(self, node: exp.Expr) -> list[Fn]:
        return [self(x) for x in node.iter_expressions()]

    def py_column(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        name = node.name
        return lambda row: row[name]

    def py_literal(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        const = _constant(node)
        value = const[1] if const is not None else None
        return lambda row: value

    def py_strict(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        """NULL if any argument is NULL, else ``op`` of the arguments."""
        assert f.op is not None
        return _strict(f.op, self.args(node))

    def py_strict_int(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        """``py_strict`` whose int64 results are checked for overflow (``-x``, ABS)."""
        op = f.op
        assert op is not None
        return _strict(lambda a: _check_int(op(a), node) if isinstance(a, int) else op(a),
                       self.args(node))

    def py_arith(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        """``+ - *``: int64 checked for overflow, decimals exact."""
        op, what = f.op, node
        assert op is not None
        if ty == INT64:
            return _strict(lambda a, b: _check_int(op(a, b), what), self.args(node))
        if ty.name == "decimal":
            def dec(a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
                with decimal.localcontext(_DEC):
                    return op(a, b)
            return _strict(dec, self.args(node))
        return _strict(op, self.args(node))

    def py_three_valued(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        """AND, OR: ``op`` of both operands' values, NULL included."""
        combine = f.op
        assert combine is not None
        a, b = self.args(node)
        return lambda row: combine([a(row), b(row)])

    def py_between(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        x, lo, hi = self(node.this), self(node.args["low"]), self(node.args["high"])

        def between(row: Row) -> bool | None:
            v, a, b = x(row), lo(row), hi(row)
            return _and3([None if v is None or a is None else v >= a,
                          None if v is None or b is None else v <= b])
        return between

    def py_in_list(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        x, items = self(node.this), [self(i) for i in node.expressions]

        def in_(row: Row) -> bool | None:
            v = x(row)
            return None if v is None else _or3(
                None if (w := i(row)) is None else v == w for i in items)
        return in_

    def py_is_null(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        x = self(node.this)
        return lambda row: x(row) is None

    def py_case(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        branches = [(self(b.this), self(b.args["true"])) for b in node.args["ifs"]]
        default = node.args.get("default")
        otherwise = self(default) if default is not None else (lambda row: None)

        def case(row: Row) -> Any:
            for cond, value in branches:
                if cond(row) is True:
                    return value(row)
            return otherwise(row)
        return case

    def py_coalesce(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        args = self.args(node)
        return lambda row: next((v for a in args if (v := a(row)) is not None), None)

    def py_nullif(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        a, b = self.args(node)
        return lambda row: None if (v := a(row)) is not None and v == b(row) else v

    def py_cast(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        if isinstance(node.this, exp.Literal) and node.this.is_string and ty in (DATE, TIMESTAMP):
            value = _temporal_literal(node.this.this, ty, self.t.where)
            return lambda row: value
        source = self.t.type(node.this)
        return _strict(lambda v: _cast_value(v, source, ty), [self(node.this)])

    def py_round(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        n, source = _digits(node), self.t.type(node.this)
        return _strict(lambda a: self.round(a, source, n), [self(node.this)])

    def py_extract(self, node: exp.Expr, f: Function, ty: DType) -> Fn:
        part = node.this.name
        return _strict(lambda v: _extract(part, v), [self(node.expression)])

    @staticmethod
    def round(value: Any, source: DType, n: int) -> Any:
        if isinstance(value, float):
            return _round_float(value, n)
        if isinstance(value, decimal.Decimal):
            return value if n >= (source.scale or 0) else _round_decimal(value, n)
        if n >= 0:
            return value
        k = 10 ** -n
        rest = (abs(value) % k) * (1 if value >= 0 else -1)
        up = (1 if value > 0 else -1) * k if abs(rest) * 2 >= k else 0
        return _check_int(value - rest + up, f"ROUND(x, {n})")


_INPUT_CHECKS: dict[str, Callable[[Any], bool]] = {  # built once: this is the serving hot path
    "int64": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float64": lambda v: isinstance(v, (int, float, decimal.Decimal)) and not isinstance(
        v, bool),
    "decimal": lambda v: isinstance(v, (int, decimal.Decimal)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
    "timestamp": lambda v: isinstance(v, dt.datetime),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
}


def _input_value(name: str, value: Any, dtype: DType) -> Any:
    """An input value checked against its dtype, numbers widened, naive timestamps as UTC."""
    kind = dtype.name
    if dtype == NULL:  # an untyped input (evaluate() without dtypes) is always None
        return None
    ok = value is None or _INPUT_CHECKS[kind](value)
    if not ok:
        raise EvaluationError(f"input {name!r} = {value!r} is not a {dtype}")
    if value is None:
        return None
    if kind == "int64":
        return _check_int(value, f"input {name!r}")
    if kind == "float64":
        return float(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "timestamp":
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    return value


def _dtype_of(value: Any) -> DType:
    if value is None:
        return NULL
    for kind, dtype in ((bool, BOOL), (int, INT64), (float, FLOAT64), (str, STRING),
                        (dt.datetime, TIMESTAMP), (dt.date, DATE)):
        if isinstance(value, kind):
            return dtype
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return DType("decimal", 38, max(0, -exponent) if isinstance(exponent, int) else 0)
    raise EvaluationError(f"unsupported input value {value!r} ({type(value).__name__})")


def compile_python(expr: Expression, input_dtypes: Mapping[str, DType | str]
                   ) -> Callable[[Mapping[str, Any]], Any]:
    """Compile ``expr`` once into a function of an input mapping (the online-serving path).

    >>> from fsql.expr.parse import parse_expression
    >>> f = compile_python(parse_expression("ROUND(x)", where="r"), {"x": "float64"})
    >>> f({"x": -2.5}), f({"x": None})
    (-3.0, None)
    """
    typer = _Typer(expr, input_dtypes)
    body = _Py(typer)(expr.tree)
    dtypes = {name: typer.inputs[name] for name in expr.references}

    def run(inputs: Mapping[str, Any]) -> Any:
        row = {}
        for name, dtype in dtypes.items():
            if name not in inputs:
                raise _missing(expr.where, f"missing input {name!r}; the expression reads "
                                           f"{', '.join(dtypes)}")
            row[name] = _input_value(name, inputs[name], dtype)
        return body(row)
    return run


def evaluate(expr: Expression, inputs: Mapping[str, Any], *,
             dtypes: Mapping[str, DType | str] | None = None) -> Any:
    """Evaluate ``expr`` in Python on one row of ``inputs``: the value every dialect's SQL gives.

    ``dtypes`` are the input columns' dtypes; without them each value's Python type decides
    (int -> int64, float -> float64, Decimal -> decimal, None -> untyped NULL). Raises
    MissingInputError for an input the expression reads but ``inputs`` lacks, and
    EvaluationError where the SQL raises too (int64 overflow, a value that does not fit a CAST).

    >>> from fsql.expr.parse import parse_expression
    >>> evaluate(parse_expression("BUCKET(age, 18, 26, 36)", where="b"), {"age": 30})
    '26-35'
    """
    if dtypes is None:
        for name in expr.references:
            if name not in inputs:
                raise _missing(expr.where, f"missing input {name!r}; the expression reads "
                                           f"{', '.join(expr.references)}")
        dtypes = {name: _dtype_of(inputs[name]) for name in expr.references}
    key = tuple(sorted((k, parse_dtype(v, where=expr.where)) for k, v in dtypes.items()))
    return _compiled(expr, key)(inputs)


@lru_cache(maxsize=512)
def _compiled(expr: Expression, dtypes: tuple[tuple[str, DType], ...]
              ) -> Callable[[Mapping[str, Any]], Any]:
    return compile_python(expr, dict(dtypes))


check_rules(_Py, "py_", "python")
