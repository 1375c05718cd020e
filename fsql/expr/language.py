"""Derived expressions: one small SQL expression language, equal on every dialect and in Python.

An expression is written in DuckDB's SQL syntax (parsed by sqlglot with ``read="duckdb"``),
validated against the subset below, normalized into a small core tree, and then either lowered to
a sqlglot tree for a dialect (:func:`to_sql`) or evaluated in Python (:func:`evaluate`, the online
path). Both follow the rules below, which every dialect's SQL honours by construction: where a
warehouse's native behaviour differs, fsql emits an explicit form (declared per dialect in the
``[expressions]`` table of ``dialects/<name>.toml``) instead of trusting the native one.

>>> e = parse_expression("amount / NULLIF(amount_avg_7d, 0)", where="Derived 'ratio'")
>>> evaluate(e, {"amount": 5, "amount_avg_7d": 2})
2.5
>>> evaluate(e, {"amount": 5, "amount_avg_7d": 0}) is None
True

Subset (anything else raises ``DefinitionError`` naming the construct and the definition)
-------------------------------------------------------------------------------------------
- Column references: bare names (``amount``, ``"Amount"``), as written; no ``t.col``.
- Literals: integers (int64), numbers with a ``.`` or an exponent (float64: ``2.5`` is a float,
  write ``CAST('2.50' AS decimal(5,2))`` for an exact decimal), strings, TRUE/FALSE, NULL,
  ``DATE 'YYYY-MM-DD'`` and ``TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]'`` (UTC).
- ``+ - * /``, unary ``-``, ``%`` (int64 only); ``= <> != < <= > >=``; ``IS [NOT] NULL``;
  ``[NOT] BETWEEN``; ``[NOT] IN (literal, ...)``; ``AND OR NOT``; ``CASE`` (searched and simple),
  ``IF(c, a, b)``/``IIF``; ``COALESCE``, ``NULLIF``; ``CAST(x AS <fsql dtype>)``.
- ``ABS, ROUND(x[, n]), FLOOR, CEIL, LN, EXP, SQRT, POWER, LEAST, GREATEST``.
- ``EXTRACT(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND|ISODOW FROM t)``.
- ``SECONDS_BETWEEN(a, b)``, ``MINUTES_BETWEEN``, ``HOURS_BETWEEN``, ``DAYS_BETWEEN``.
- ``LENGTH, LOWER, UPPER, CONCAT(a, b, ...)``, ``a || b``, ``SUBSTR(s, start[, length])``.
- ``BUCKET(x, e1, ..., en)``: labelled ranges (below).

Rules
-----
- NULL: any NULL operand gives NULL, except ``IS [NOT] NULL``, ``COALESCE``, ``CASE``/``IF`` (a
  NULL condition is not true), ``NULLIF``, and three-valued ``AND``/``OR``/``NOT``/``IN``
  (``x IN (1, NULL)`` is NULL when x <> 1). No function ever raises on NULL.
- Types: int64 < decimal < float64 widen implicitly, e.g. ``int + float`` is float64; strings,
  bools, dates and timestamps never mix with numbers or each other (``CAST`` explicitly).
  Comparing int64 with float64 compares as float64, as every warehouse does.
- ``+ - *`` on int64 give int64; an int64 result outside [-2^63, 2^63-1] is an error. On decimals
  they are exact: ``+ -`` give decimal(max integer digits + 1 + s, s) with s the larger scale,
  ``*`` gives decimal(p1 + p2, s1 + s2); precision is capped at 38 and a product scale above 9
  (BigQuery NUMERIC's) is refused. int64 counts as decimal(19, 0).
- ``/`` always returns float64 (operands converted to float64 first) and ``x / 0`` is NULL: never
  an error, never inf (a divisor below |x| / 1.7976931348623157e308, whose quotient would
  overflow, counts as 0). ``%`` is int64 only; its sign follows the dividend; ``x % 0`` is NULL.
- ``ROUND(x, n)``, n an integer literal in [-15, 15] (default 0), rounds halves away from zero.
  int64: exact (n >= 0 returns x). decimal: exact on the decimal value. float64 with n = 0: the
  float's exact value (2.5 -> 3, -2.5 -> -3, 0.5 -> 1). float64 with n != 0: also on the exact
  binary value, then the nearest float64: ROUND(2.675, 2) = 2.67 (2.675 is 2.67499999... as a
  float, although 2.675 * 100 == 267.5 in float64), ROUND(0.125, 2) = 0.13, ROUND(1.005, 2) =
  1.0, ROUND(-150.0, -2) = -200.0. fsql spells out the IEEE steps (an error-free product
  decides computed ties) instead of each warehouse's ROUND(x, n), which disagree (DuckDB:
  2.68). Exact for |x| * 10^n < 2^52; beyond, within one ulp, bit-identical on all engines;
  x itself from |x| >= 2^52 (n > 0) or 2^53 * 10^-n (n < 0).
- FLOOR/CEIL keep int64 and float64, and give decimal(p - s + 1, 0) for decimal(p, s).
- LN(x) for x <= 0, SQRT(x) for x < 0, EXP(x) for x > 709.78, POWER(x, y) for 0 to a negative
  power, a negative base with a non-integral exponent, or a result beyond ~1.79e308
  (y * ln|x| > 709.78) are NULL. These four always return float64.
- LEAST/GREATEST return NULL when any argument is NULL.
- CAST: float64/decimal -> int64 rounds halves away from zero (2.5 -> 3); float64 ->
  decimal(p, s) rounds the float's exact value half away to s digits (2.675 -> 2.67, exact for
  every finite float); decimal -> smaller scale rounds halves away;
  int64 -> bool is ``x <> 0``; bool -> int64 is 1/0; int64 and bool -> string give ``-12`` and
  ``true``/``false``; string -> int64 accepts ``[+-]?[0-9]+``, -> float64
  ``[+-]?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?``, -> decimal ``[+-]?[0-9]+(.[0-9]{1,9})?`` (rounded
  half away to the scale) and any other string gives NULL (no whitespace, hex, 'inf'); a value
  that does not fit the target type is an error. date <-> timestamp is midnight UTC / the UTC
  date. float64/decimal/date/timestamp -> string are refused (warehouses format them
  differently).
- Strings: ``||``/CONCAT are NULL if any part is NULL; LENGTH counts Unicode code points;
  SUBSTR is 1-based, SUBSTR(s, start, len) is NULL for start < 1 or len < 0. LOWER/UPPER are
  guaranteed equal for characters with one-to-one case mappings (not 'ß', 'İ').
- Time: timestamps are UTC instants; EXTRACT reads the UTC calendar (no session time zone);
  ISODOW is 1 = Monday ... 7 = Sunday; SECOND is the whole second (0-59).
  ``SECONDS_BETWEEN(a, b)`` = floor((b - a) in microseconds / 10^6), i.e. positive when b is
  later, rounded down (-1.5 s -> -2); MINUTES/HOURS/DAYS likewise with 60, 3600, 86400 seconds.
  Dates count as midnight UTC. Comparing a date with a timestamp is refused.
- ``BUCKET(x, e1, ..., en)``, numeric literal edges strictly increasing: '<e1' for x < e1,
  then one label per [e_i, e_i+1), and 'en+' for x >= en; NULL x gives NULL. With integer edges
  the middle labels are 'e_i-(e_i+1 - 1)' (``BUCKET(age, 18, 26, 36)`` gives '<18', '18-25',
  '26-35', '36+'); otherwise '[e_i, e_i+1)' and '>=en'.

Dtypes: :func:`to_sql` compiles most expressions without knowing its columns' dtypes, but
ROUND, CAST, FLOOR/CEIL, EXTRACT and the *_BETWEEN functions compile differently per dtype and
raise CompileError for a column whose dtype was not given; given dtypes also type-check the
expression and widen DuckDB's decimal products. :func:`evaluate` takes dtypes, or reads them
off the Python values.

Not equal everywhere (documented limits; all but the last differ only where some engine raises
an error or the declared type is exceeded): int64 overflow raises on BigQuery, DuckDB and in
Python, but Snowflake computes NUMBER(38, 0) exactly; a decimal result beyond its declared
precision raises on DuckDB, Snowflake and in Python but not on BigQuery (sqlglot prints
NUMERIC(p, s) as NUMERIC there); float64 overflow (|x| > 1.8e308 from + - * or a string like
'1e400') raises on BigQuery and gives inf elsewhere; NaN/inf inputs are outside the contract;
LOWER/UPPER of characters without a one-to-one case mapping follow each engine's Unicode tables
('ß' -> 'SS' on BigQuery and in Python, 'ẞ' on DuckDB).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from fsql.dtypes import DType, parse_dtype
from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.sql.dialect import Dialect, paren

__all__ = [
    "INPUT_DIALECT", "SUPPORTED", "EvaluationError", "Expression", "MissingInputError",
    "compile_python", "evaluate", "parse_expression", "result_dtype", "to_sql",
]

INPUT_DIALECT = "duckdb"
SUPPORTED = (
    "column names, literals, + - * / %, = <> != < <= > >=, IS [NOT] NULL, [NOT] BETWEEN, "
    "[NOT] IN (literals), AND OR NOT, CASE, IF/IIF, COALESCE, NULLIF, CAST, ABS, ROUND, FLOOR, "
    "CEIL, LN, EXP, SQRT, POWER, LEAST, GREATEST, EXTRACT(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND|"
    "ISODOW FROM x), SECONDS_BETWEEN, MINUTES_BETWEEN, HOURS_BETWEEN, DAYS_BETWEEN, LENGTH, "
    "LOWER, UPPER, CONCAT, ||, SUBSTR, BUCKET"
)

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


def _unsupported(where: str, construct: str, hint: str = "") -> DefinitionError:
    hint = f" ({hint})" if hint else ""
    return _fail(where, f"{construct} is not supported in derived expressions{hint}; "
                        f"supported: {SUPPORTED}")


# ------------------------------------------------------------------------------------------
# Parsing: DuckDB syntax -> validated core tree
# ------------------------------------------------------------------------------------------

_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_ORDERINGS = (exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.Least, exp.Greatest)
_BINARY = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.EQ, exp.NEQ, exp.LT, exp.LTE,
           exp.GT, exp.GTE, exp.And, exp.Or, exp.DPipe)
_UNARY_FUNCS = (exp.Abs, exp.Floor, exp.Ceil, exp.Ln, exp.Exp, exp.Sqrt, exp.Length,
                exp.Lower, exp.Upper)
_HINTS: dict[type, tuple[str, str]] = {
    exp.IntDiv: ("integer division //", "use FLOOR(a / b) or %"),
    exp.Subquery: ("a subquery", ""), exp.Select: ("a SELECT statement", ""),
    exp.Window: ("a window function (OVER)", "use an Aggregate feature"),
    exp.Alias: ("an alias", "the feature name is the alias"), exp.Star: ("*", ""),
    exp.Placeholder: ("a query parameter", ""), exp.Interval: ("INTERVAL", "use SECONDS_BETWEEN"),
    exp.Like: ("LIKE", ""), exp.ILike: ("ILIKE", ""), exp.Bracket: ("subscript []", ""),
    exp.TryCast: ("TRY_CAST", "CAST from strings already gives NULL for non-numbers"),
    exp.Log: ("LOG()", "use LN(x) / LN(base)"),
    exp.Year: ("YEAR()", "use EXTRACT(YEAR FROM x)"),
}


def parse_expression(text: str, *, where: str) -> Expression:
    """Parse and validate ``text`` (DuckDB syntax), raising DefinitionError that names ``where``.

    >>> parse_expression("CASE WHEN age < 18 THEN 'minor' ELSE 'adult' END", where="x").references
    ('age',)
    """
    if not isinstance(text, str) or not text.strip():
        raise _fail(where, f"a derived expression must be a non-empty SQL string, got {text!r}")
    try:
        statements = sqlglot.parse(text, read=INPUT_DIALECT)
    except (ParseError, TokenError) as e:
        first = str(e).splitlines()[0]
        raise _fail(where, f"cannot parse {text!r}: {first}") from None
    if len(statements) != 1 or statements[0] is None:
        raise _fail(where, f"{text!r} must be exactly one expression (no ';')")
    tree = _Normalizer(where).norm(statements[0])
    names: dict[str, None] = {}
    for column in tree.find_all(exp.Column):
        names.setdefault(column.name, None)
    # find_all is breadth-first; references are reported in reading order
    ordered = sorted(names, key=lambda n: _first_position(tree, n))
    return Expression(text=text, tree=tree, references=tuple(ordered), where=where)


def _first_position(tree: exp.Expr, name: str) -> int:
    for i, node in enumerate(tree.dfs()):
        if isinstance(node, exp.Column) and node.name == name:
            return i
    return -1


def _literal_number(text: str) -> int | float | None:
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", text):
        return float(text)
    return None


class _Normalizer:
    """Checks every node against the subset and rebuilds the core tree."""

    def __init__(self, where: str) -> None:
        self.where = where

    def refuse(self, node: exp.Expr, hint: str = "") -> DefinitionError:
        construct, default_hint = _HINTS.get(type(node), ("", ""))
        if not construct:
            if isinstance(node, exp.Anonymous):
                construct = f"{node.name.upper()}()"
            elif isinstance(node, exp.AggFunc):
                construct, default_hint = f"aggregate {node.sql_name()}()", "use an Aggregate"
            elif isinstance(node, exp.Func):
                construct = f"{node.sql_name()}()"
            else:
                construct = node.sql(dialect=INPUT_DIALECT) or type(node).__name__
        return _unsupported(self.where, construct, hint or default_hint)

    def only(self, node: exp.Expr, *allowed: str) -> None:
        """Refuse extra arguments (``FLOOR(x, 2)``, ``LENGTH(s, 1)``...)."""
        if any(v not in (None, False, []) for k, v in node.args.items() if k not in allowed):
            raise self.refuse(node, "unexpected extra arguments")

    def norm(self, node: exp.Expr) -> exp.Expr:
        n = self.norm
        if isinstance(node, exp.Paren):
            return n(node.this)
        if isinstance(node, exp.Column):
            if not isinstance(node.this, exp.Identifier) or node.table:
                raise self.refuse(node, "reference columns by their bare name")
            return exp.Column(this=node.this.copy())
        if isinstance(node, exp.Literal):
            if not node.is_string:
                value = _literal_number(node.this)
                if value is None or (isinstance(value, int) and value > _INT_MAX):
                    raise _fail(self.where, f"number {node.this} is not an int64 or a float64")
                if isinstance(value, float) and not math.isfinite(value):
                    raise _fail(self.where, f"number {node.this} is not a finite float64")
            return node.copy()
        if isinstance(node, (exp.Boolean, exp.Null)):
            return node.copy()
        if isinstance(node, _BINARY):
            self.only(node, "this", "expression", "typed", "safe")
            return type(node)(this=n(node.this), expression=n(node.expression))
        if isinstance(node, (exp.Neg, exp.Not)):
            return type(node)(this=n(node.this))
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise self.refuse(node, "only IS [NOT] NULL")
            return exp.Is(this=n(node.this), expression=exp.Null())
        if isinstance(node, exp.Between):
            if node.args.get("symmetric"):
                raise self.refuse(node)
            return exp.Between(this=n(node.this), low=n(node.args["low"]),
                               high=n(node.args["high"]))
        if isinstance(node, exp.In):
            self.only(node, "this", "expressions")
            items = [n(i) for i in node.expressions]
            if not items or not all(_constant(i) for i in items):
                raise self.refuse(node, "IN takes a list of literals")
            return exp.In(this=n(node.this), expressions=items)
        if isinstance(node, exp.If) and not isinstance(node.parent, exp.Case):
            return exp.Case(ifs=[exp.If(this=n(node.this), true=n(node.args["true"]))],
                            default=n(node.args["false"]) if node.args.get("false") else None)
        if isinstance(node, exp.Case):
            subject = node.this
            ifs = []
            for branch in node.args.get("ifs") or []:
                cond = n(branch.this)
                if subject is not None:  # simple CASE x WHEN v: x = v never matches NULL
                    cond = exp.EQ(this=n(subject), expression=cond)
                ifs.append(exp.If(this=cond, true=n(branch.args["true"])))
            default = node.args.get("default")
            return exp.Case(ifs=ifs, default=n(default) if default is not None else None)
        if isinstance(node, (exp.Coalesce, exp.Least, exp.Greatest)):
            args = [node.this, *node.expressions]
            if len(args) < 2:
                raise self.refuse(node, "needs at least two arguments")
            return type(node)(this=n(args[0]), expressions=[n(a) for a in args[1:]])
        if isinstance(node, exp.Nullif):
            return exp.Nullif(this=n(node.this), expression=n(node.expression))
        if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
            self.only(node, "this", "to")
            target = self.dtype(node.args["to"])
            inner = n(node.this)
            if target in (DATE, TIMESTAMP) and isinstance(inner, exp.Literal) and inner.is_string:
                _temporal_literal(inner.this, target, self.where)  # validated now
            return exp.Cast(this=inner, to=_datatype(target))
        if isinstance(node, _UNARY_FUNCS):
            self.only(node, "this")
            return type(node)(this=n(node.this))
        if isinstance(node, exp.Round):
            self.only(node, "this", "decimals")
            digits = node.args.get("decimals")
            n_value = _constant(digits) if digits is not None else ("int", 0)
            if n_value is None or n_value[0] != "int" or not -15 <= n_value[1] <= 15:
                raise _fail(self.where, "ROUND(x, n) needs n to be an integer literal in "
                                        f"[-15, 15], got {digits.sql() if digits else ''}")
            return exp.Round(this=n(node.this), decimals=exp.Literal.number(n_value[1]))
        if isinstance(node, exp.Pow):
            return exp.Pow(this=n(node.this), expression=n(node.expression))
        if isinstance(node, exp.Extract):
            part = node.this.name.upper()
            if part not in _PARTS:
                weekday = "DOW" in part or "DAYOFWEEK" in part
                hint = "use ISODOW: 1 = Monday ... 7 = Sunday" if weekday else ""
                raise _unsupported(self.where, f"EXTRACT({part} FROM ...)", hint)
            return exp.Extract(this=exp.var(part), expression=n(node.expression))
        if isinstance(node, exp.Concat):
            parts = [n(a) for a in node.expressions]
            if len(parts) < 2:
                raise self.refuse(node, "needs at least two arguments")
            out = parts[0]
            for part_ in parts[1:]:
                out = exp.DPipe(this=out, expression=part_)
            return out
        if isinstance(node, exp.Substring):
            self.only(node, "this", "start", "length")
            if node.args.get("start") is None:
                raise self.refuse(node, "SUBSTR(s, start[, length])")
            length = node.args.get("length")
            return exp.Substring(this=n(node.this), start=n(node.args["start"]),
                                 length=n(length) if length is not None else None)
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name in _UNITS and len(node.expressions) == 2:
                return exp.Anonymous(this=name, expressions=[n(a) for a in node.expressions])
            if name == "bucket" and len(node.expressions) >= 2:
                return self.bucket(n(node.expressions[0]), node.expressions[1:])
        raise self.refuse(node)

    def dtype(self, node: exp.DataType) -> DType:
        t = node.this
        names = {exp.DataType.Type.BIGINT: "int64", exp.DataType.Type.DOUBLE: "float64",
                 exp.DataType.Type.TEXT: "string", exp.DataType.Type.VARCHAR: "string",
                 exp.DataType.Type.BOOLEAN: "bool", exp.DataType.Type.DATE: "date",
                 exp.DataType.Type.TIMESTAMP: "timestamp",
                 exp.DataType.Type.TIMESTAMPNTZ: "timestamp"}
        if t == exp.DataType.Type.USERDEFINED and str(node.args.get("kind")).lower() == "float64":
            return FLOAT64
        if t in names and not node.expressions:
            return DType(names[t])
        if t == exp.DataType.Type.DECIMAL and len(node.expressions) == 2:
            p, s = (int(e.this.this) for e in node.expressions)
            return parse_dtype(f"decimal({p},{s})", where=self.where)
        raise _fail(self.where, f"CAST to {node.sql(dialect=INPUT_DIALECT)} is not supported; "
                                "cast to int64, float64, string, bool, timestamp, date or "
                                "decimal(p,s)")

    def bucket(self, subject: exp.Expr, edges_in: Sequence[exp.Expr]) -> exp.Case:
        values = [_constant(self.norm(e)) for e in edges_in]
        if any(v is None or v[0] not in ("int", "float") for v in values):
            raise _fail(self.where, "BUCKET(x, e1, ..., en) needs numeric literal edges")
        edges: list[Any] = [v[1] for v in values if v is not None]
        if any(a >= b for a, b in itertools.pairwise(edges)):
            raise _fail(self.where, f"BUCKET edges must be strictly increasing, got {edges}")
        ints = all(v is not None and v[0] == "int" for v in values)
        fmt = str if ints else repr

        def label(i: int) -> str:
            a, b = edges[i], edges[i + 1]
            if ints:
                return f"{a}" if b - 1 == a else f"{a}-{b - 1}"
            return f"[{fmt(a)}, {fmt(b)})"

        def lit(v: Any) -> exp.Expr:
            node: exp.Expr = exp.Literal.number(repr(abs(v)) if not ints else abs(v))
            return exp.Neg(this=node) if v < 0 else node

        ifs = [exp.If(this=exp.LT(this=subject.copy(), expression=lit(edges[0])),
                      true=exp.Literal.string(f"<{fmt(edges[0])}"))]
        for i in range(len(edges) - 1):
            ifs.append(exp.If(this=exp.LT(this=subject.copy(), expression=lit(edges[i + 1])),
                              true=exp.Literal.string(label(i))))
        last = f"{edges[-1]}+" if ints else f">={fmt(edges[-1])}"
        ifs.append(exp.If(this=exp.GTE(this=subject.copy(), expression=lit(edges[-1])),
                          true=exp.Literal.string(last)))
        return exp.Case(ifs=ifs)


_DUCKDB_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN",
                 "timestamp": "TIMESTAMP", "date": "DATE"}


def _datatype(dtype: DType) -> exp.DataType:
    """The core tree's spelling of an fsql dtype (DuckDB's type names)."""
    name = _DUCKDB_TYPES.get(dtype.name) or f"DECIMAL({dtype.precision}, {dtype.scale})"
    return exp.DataType.build(name, dialect=INPUT_DIALECT)


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


def _digits(node: exp.Round) -> int:
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


# ------------------------------------------------------------------------------------------
# Types
# ------------------------------------------------------------------------------------------

def _numeric(t: DType) -> bool:
    return t.name in ("int64", "decimal", "float64") or t in (NULL, ANY)


def _as_decimal(t: DType) -> tuple[int, int]:
    return (19, 0) if t.name == "int64" else (t.precision or 0, t.scale or 0)


def _decimal(integer_digits: int, scale: int) -> DType:
    return DType("decimal", min(38, integer_digits + scale), scale)


def _supertype(a: DType, b: DType) -> DType | None:
    if a in (NULL, b):
        return b
    if b == NULL:
        return a
    if ANY in (a, b):
        return ANY
    if _numeric(a) and _numeric(b):
        if FLOAT64 in (a, b):
            return FLOAT64
        (p1, s1), (p2, s2) = _as_decimal(a), _as_decimal(b)
        return _decimal(max(p1 - s1, p2 - s2), max(s1, s2))
    return None


class _Typer:
    """Infers the dtype of every node of a core tree and the type each operand is used as."""

    def __init__(self, expr: Expression, input_dtypes: Mapping[str, DType | str],
                 unknown_ok: bool = False) -> None:
        self.where, self.unknown_ok = expr.where, unknown_ok
        self.inputs = {k: parse_dtype(v, where=expr.where) for k, v in input_dtypes.items()}
        self.types: dict[int, DType] = {}
        self.use_as: dict[int, DType] = {}  # operand -> type its parent reads it as
        self.root = self.type(expr.tree)

    def fail(self, node: exp.Expr, message: str) -> DefinitionError:
        return _fail(self.where, f"{message} in {node.sql(dialect=INPUT_DIALECT)}")

    def use(self, node: exp.Expr, target: DType) -> None:
        if self.types[id(node)] != target and target != ANY:
            self.use_as[id(node)] = target

    def unify(self, parent: exp.Expr, nodes: Sequence[exp.Expr]) -> DType:
        t = NULL
        for node in nodes:
            common = _supertype(t, self.type(node))
            if common is None:
                kinds = ", ".join(str(self.type(x)) for x in nodes)
                raise self.fail(parent, f"cannot combine {kinds}")
            t = common
        for node in nodes:
            self.use(node, t)
        return t

    def expect(self, parent: exp.Expr, node: exp.Expr, *allowed: str) -> DType:
        t = self.type(node)
        if t not in (NULL, ANY) and t.name not in allowed:
            raise self.fail(parent, f"expected {' or '.join(allowed)}, got {t}")
        return t

    def type(self, node: exp.Expr) -> DType:
        if id(node) not in self.types:
            self.types[id(node)] = self._infer(node)
        return self.types[id(node)]

    def _infer(self, node: exp.Expr) -> DType:
        if isinstance(node, exp.Column):
            if node.name not in self.inputs:
                if self.unknown_ok:
                    return ANY
                known = ", ".join(sorted(self.inputs)) or "none"
                raise _missing(self.where, f"unknown input {node.name!r}; known: {known}")
            return self.inputs[node.name]
        const = _constant(node)
        if const is not None and not isinstance(node, (exp.Neg, exp.Cast)):
            return {"int": INT64, "float": FLOAT64, "string": STRING, "bool": BOOL,
                    "null": NULL}[const[0]]
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            a, b = (self.expect(node, x, "int64", "decimal", "float64")
                    for x in (node.this, node.expression))
            t = self.unify(node, [node.this, node.expression])
            if t.name == "decimal" and isinstance(node, exp.Mul) and ANY not in (a, b):
                (p1, s1), (p2, s2) = _as_decimal(a if a != NULL else t), _as_decimal(
                    b if b != NULL else t)
                if s1 + s2 > _MAX_DECIMAL_SCALE:
                    raise self.fail(node, f"a decimal product has scale {s1 + s2} > "
                                          f"{_MAX_DECIMAL_SCALE} (BigQuery NUMERIC); ROUND or "
                                          "CAST an operand to fewer decimals or to float64")
                return _decimal(p1 + p2 - s1 - s2, s1 + s2)
            if t.name == "decimal":
                return _decimal((t.precision or 0) - (t.scale or 0) + 1, t.scale or 0)
            return t
        if isinstance(node, exp.Div):
            for x in (node.this, node.expression):
                self.expect(node, x, "int64", "decimal", "float64")
                self.use(x, FLOAT64)
            return FLOAT64
        if isinstance(node, exp.Mod):
            for x in (node.this, node.expression):
                self.expect(node, x, "int64")
                self.use(x, INT64)
            return INT64
        if isinstance(node, exp.Neg):
            return self.expect(node, node.this, "int64", "decimal", "float64")
        if isinstance(node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
            self.unify(node, [node.this, node.expression])
            return BOOL
        if isinstance(node, exp.Between):
            self.unify(node, [node.this, node.args["low"], node.args["high"]])
            return BOOL
        if isinstance(node, exp.In):
            self.unify(node, [node.this, *node.expressions])
            return BOOL
        if isinstance(node, exp.Is):
            self.type(node.this)
            return BOOL
        if isinstance(node, (exp.And, exp.Or, exp.Not)):
            for x in node.iter_expressions():
                self.expect(node, x, "bool")
                self.use(x, BOOL)
            return BOOL
        if isinstance(node, exp.Case):
            for branch in node.args["ifs"]:
                self.expect(node, branch.this, "bool")
                self.use(branch.this, BOOL)
            results = [b.args["true"] for b in node.args["ifs"]]
            if node.args.get("default") is not None:
                results.append(node.args["default"])
            return self.unify(node, results)
        if isinstance(node, (exp.Coalesce, exp.Least, exp.Greatest)):
            return self.unify(node, [node.this, *node.expressions])
        if isinstance(node, exp.Nullif):
            return self.unify(node, [node.this, node.expression])
        if isinstance(node, exp.Cast):
            return self._cast(node)
        if isinstance(node, exp.Abs):
            return self.expect(node, node.this, "int64", "decimal", "float64")
        if isinstance(node, (exp.Floor, exp.Ceil)):
            t = self.expect(node, node.this, "int64", "decimal", "float64")
            return _decimal((t.precision or 0) - (t.scale or 0) + 1, 0) if t.name == "decimal" \
                else t
        if isinstance(node, exp.Round):
            t = self.expect(node, node.this, "int64", "decimal", "float64")
            n = _digits(node)
            if t.name == "decimal" and n < (t.scale or 0):
                return _decimal((t.precision or 0) - (t.scale or 0) + 1, max(n, 0))
            return t
        if isinstance(node, (exp.Ln, exp.Exp, exp.Sqrt, exp.Pow)):
            for x in node.iter_expressions():
                self.expect(node, x, "int64", "decimal", "float64")
                self.use(x, FLOAT64)
            return FLOAT64
        if isinstance(node, exp.Extract):
            part = node.this.name
            t = self.expect(node, node.expression, "timestamp", "date")
            if t == DATE and part not in _DATE_PARTS:
                raise self.fail(node, f"a date has no {part}")
            if t == NULL:
                self.use(node.expression, TIMESTAMP)
            return INT64
        if isinstance(node, exp.Anonymous):  # the *_between functions
            for x in node.expressions:
                if self.expect(node, x, "timestamp", "date") == NULL:
                    self.use(x, TIMESTAMP)
            return INT64
        if isinstance(node, exp.Length):
            self.expect(node, node.this, "string")
            self.use(node.this, STRING)
            return INT64
        if isinstance(node, (exp.Lower, exp.Upper, exp.DPipe)):
            for x in node.iter_expressions():
                self.expect(node, x, "string")
                self.use(x, STRING)
            return STRING
        if isinstance(node, exp.Substring):
            self.expect(node, node.this, "string")
            self.use(node.this, STRING)
            for key in ("start", "length"):
                if node.args.get(key) is not None:
                    self.expect(node, node.args[key], "int64")
                    self.use(node.args[key], INT64)
            return STRING
        raise self.fail(node, f"internal: no type rule for {type(node).__name__}")

    def _cast(self, node: exp.Cast) -> DType:
        target = _cast_target(node)
        source = self.type(node.this)
        if isinstance(node.this, exp.Literal) and node.this.is_string and target in (
                DATE, TIMESTAMP):
            return target
        if source != ANY and _cast_kind(source, target) is None:
            raise self.fail(node, f"CAST from {source} to {target} is not supported"
                            + ("; warehouses format these differently"
                               if target == STRING else ""))
        if source.name == "float64" and target.name == "decimal" and (target.scale or 0) > 15:
            raise self.fail(node, "CAST from float64 to a decimal with scale > 15")
        return target


def _cast_target(node: exp.Cast) -> DType:
    return _Normalizer("").dtype(node.args["to"])


def _cast_kind(source: DType, target: DType) -> str | None:
    """How a CAST is carried out (see the module docstring), or None when it is refused."""
    s, t = source.name, target.name
    if source == NULL:
        return "null"
    if source == target:
        return "same"
    table = {
        ("int64", "float64"): "plain", ("int64", "decimal"): "plain", ("int64", "string"): "plain",
        ("int64", "bool"): "nonzero", ("float64", "int64"): "round_int",
        ("float64", "decimal"): "round_float", ("float64", "bool"): "nonzero",
        ("decimal", "int64"): "round_int", ("decimal", "float64"): "plain",
        ("decimal", "decimal"): "rescale", ("decimal", "bool"): "nonzero",
        ("string", "int64"): "parse", ("string", "float64"): "parse",
        ("string", "decimal"): "parse", ("bool", "int64"): "bool_int",
        ("bool", "string"): "plain", ("date", "timestamp"): "date_ts",
        ("timestamp", "date"): "ts_date",
    }
    return table.get((s, t))


def result_dtype(expr: Expression, input_dtypes: Mapping[str, DType | str]) -> DType:
    """The dtype of ``expr`` given the dtypes of the columns it reads.

    >>> result_dtype(parse_expression("a / b", where="x"), {"a": "int64", "b": "int64"})
    DType(name='float64', precision=None, scale=None)
    """
    t = _Typer(expr, input_dtypes).root
    if t == NULL:
        raise _fail(expr.where, f"{expr.text!r} is always NULL; CAST(NULL AS <dtype>) to give it "
                                "a type")
    return t


# ------------------------------------------------------------------------------------------
# SQL
# ------------------------------------------------------------------------------------------

def _template(dialect: Dialect, key: str, part: str = "", **args: exp.Expr) -> exp.Expr:
    """Template ``key`` of the dialect's ``[expressions]`` with trees in its placeholders."""
    return dialect.template(key, part, **args)


_paren = paren


def _lit(value: int | float) -> exp.Expr:
    """A number literal; floats are spelled with an exponent (a DOUBLE literal in DuckDB)."""
    if isinstance(value, float):
        text = repr(abs(value))
        node: exp.Expr = exp.Literal.number(text if "e" in text else f"{text}e0")
    else:
        node = exp.Literal.number(abs(value))
    return exp.Neg(this=node) if value < 0 else node


def _case(*branches: tuple[exp.Expr, exp.Expr],
          default: exp.Expr | None = None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in branches], default=default)


class _Sql:
    """Lowers a typed core tree to one dialect."""

    def __init__(self, typer: _Typer, dialect: Dialect,
                 resolve: Callable[[str], exp.Expr]) -> None:
        self.t, self.d, self.resolve, self.spec = typer, dialect, resolve, dialect.expressions

    def ty(self, dtype: DType) -> exp.DataType:
        return self.d.type_sql(dtype)

    def known(self, node: exp.Expr, construct: str) -> DType:
        """The dtype of ``node``; CompileError when its SQL depends on a dtype not given."""
        t = self.t.type(node)
        if t == ANY:
            names = sorted({c.name for c in node.find_all(exp.Column)
                            if c.name not in self.t.inputs})
            raise CompileError(_fail(self.t.where, f"{construct} compiles differently for each "
                                     f"dtype of {node.sql(dialect=INPUT_DIALECT)}, and the dtype "
                                     f"of {', '.join(names)} is unknown: declare it (a table "
                                     "source's columns: Source(schema={...}); a spine column: "
                                     "FeatureService(request_schema={...}); a feature: dtype= "
                                     "on its Aggregate or Derived)").args[0])
        return t

    def cast(self, node: exp.Expr, dtype: DType) -> exp.Expr:
        return exp.Cast(this=node, to=self.ty(dtype))

    def float_of(self, node: exp.Expr) -> exp.Expr:
        """``node`` as float64: converted explicitly unless it already is one."""
        const = _constant(node)
        if const is not None and const[0] == "int" and not isinstance(node, exp.Neg):
            return self.cast(_lit(float(const[1])), FLOAT64)  # 2 -> CAST(2.0e0 AS DOUBLE)
        out = self(node)
        return out if self.t.type(node) in (FLOAT64, NULL) else self.cast(out, FLOAT64)

    def __call__(self, node: exp.Expr) -> exp.Expr:
        out = self.lower(node)
        target = self.t.use_as.get(id(node))
        if target is not None and self.t.type(node) == NULL:
            # BigQuery types a bare NULL as INT64 ("Operands of || cannot be literal NULL")
            out = self.cast(out, target)
        return _paren(out)

    def lower(self, node: exp.Expr) -> exp.Expr:
        c, ty = self, self.t.type(node)
        if isinstance(node, exp.Column):
            return self.resolve(node.name)
        const = _constant(node)
        if const is not None and not isinstance(node, (exp.Neg, exp.Cast)):
            if const[0] == "float":
                return self.cast(_lit(const[1]), FLOAT64)
            if const[0] == "int" and self.spec["integer_literal_cast"]:
                # DuckDB types 5 as INTEGER (32-bit): 2000000000 * 3 would overflow.
                # https://duckdb.org/docs/stable/sql/data_types/literal_types
                return self.cast(node.copy(), INT64)
            return node.copy()
        if isinstance(node, exp.Div):
            # `/` is float64 everywhere and x / 0 is NULL: BigQuery raises on 0 and Snowflake
            # both raises and returns NUMBER with its own scale, so both operands become float64
            # and the divisor goes through NULLIF.
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/operators
            # https://docs.snowflake.com/en/sql-reference/operators-arithmetic
            # A divisor so small that the quotient would overflow counts as 0 too (BigQuery
            # raises "double overflow", the others return inf).
            # (Only a float64 divisor can be that small: |int64| <= 9.2e18, |decimal| >= 1e-38.)
            a, b = c.float_of(node.this), c.float_of(node.expression)
            divisor = b
            if self.t.type(node.expression) in (FLOAT64, ANY):
                fits: exp.Expr = exp.GTE(this=exp.Abs(this=b.copy()), expression=exp.Div(
                    this=exp.Abs(this=a.copy()), expression=self.cast(_lit(_FLOAT_MAX), FLOAT64)))
                if self.spec["float_underflow_raises"]:
                    # Below 2^-50, |a| / MAX would underflow (Postgres raises) and no nonzero
                    # divisor is smaller than it: the quotient fits.
                    fits = _case((exp.LT(this=exp.Abs(this=a.copy()), expression=self.cast(
                        _lit(2.0**-50), FLOAT64)), exp.true()), default=fits)
                divisor = _case((fits, b.copy()))
            return exp.Div(this=a, expression=exp.Nullif(this=divisor,
                                                         expression=exp.Literal.number(0)))
        if isinstance(node, exp.Mod):  # BigQuery MOD raises on 0; DuckDB 2 raises too
            return exp.Mod(this=c(node.this), expression=exp.Nullif(
                this=c(node.expression), expression=exp.Literal.number(0)))
        if isinstance(node, exp.Mul) and ty.name == "decimal" and self.spec[
                "decimal_product_widen"]:
            # DuckDB computes DECIMAL(18,2) * DECIMAL(18,2) as DECIMAL(18,4) and overflows past
            # 1e14: widen one decimal operand to 38 digits first.
            # https://duckdb.org/docs/stable/sql/data_types/numeric#fixed-point-decimals
            a, b = node.this, node.expression
            if self.t.type(a).name != "decimal":
                a, b = b, a
            wide = DType("decimal", 38, self.t.type(a).scale)
            return exp.Mul(this=_paren(self.cast(c(a), wide)), expression=c(b))
        if isinstance(node, _COMPARISONS) and self.spec["nan_compares_greatest"] and FLOAT64 in (
                self.t.type(node.this), self.t.type(node.expression)):
            # Comparisons with NaN follow IEEE 754, as in Python and BigQuery: false, and
            # true for <>. DuckDB and Snowflake order NaN above every number and equal to
            # itself, so a NaN operand is decided explicitly (a NULL operand stays NULL).
            # https://duckdb.org/docs/stable/sql/data_types/numeric#floating-point-types
            a, b = c(node.this), c(node.expression)
            pairs = [(x, operand) for x, operand in ((a, node.this), (b, node.expression))
                     if _constant(operand) is None]  # a number literal is neither NULL nor NaN
            nan = exp.or_(*[self.d.is_nan(x) for x, operand in pairs
                            if self.t.type(operand) == FLOAT64])
            null = exp.or_(*[exp.Is(this=x.copy(), expression=exp.null()) for x, _ in pairs])
            return _case((null, exp.null()), (nan, exp.Boolean(this=isinstance(node, exp.NEQ))),
                         default=type(node)(this=a, expression=b))
        if isinstance(node, _ORDERINGS) and STRING in (self.t.type(x) for x in
                                                     node.iter_expressions()):
            return self.lower_string_ordering(node)
        if isinstance(node, (*_BINARY, exp.Neg, exp.Not, exp.Is, exp.Abs, exp.Length,
                             exp.Lower, exp.Upper)):
            return type(node)(**{k: c(v) if isinstance(v, exp.Expr) else v
                                 for k, v in node.args.items()})
        if isinstance(node, exp.Between):
            return exp.Between(this=c(node.this), low=c(node.args["low"]),
                               high=c(node.args["high"]))
        if isinstance(node, exp.In):
            return exp.In(this=c(node.this), expressions=[c(x) for x in node.expressions])
        if isinstance(node, exp.Case):
            default = node.args.get("default")
            return _case(*((c(b.this), c(b.args["true"])) for b in node.args["ifs"]),
                         default=c(default) if default is not None else None)
        if isinstance(node, (exp.Coalesce, exp.Nullif)):
            return type(node)(this=c(node.this), **(
                {"expressions": [c(x) for x in node.expressions]}
                if isinstance(node, exp.Coalesce) else {"expression": c(node.expression)}))
        if isinstance(node, (exp.Least, exp.Greatest)):
            # NULL if any argument is NULL (BigQuery and Snowflake natively; DuckDB ignores
            # NULLs), so the NULL check is explicit and the inner call sees no NULL.
            # https://docs.snowflake.com/en/sql-reference/functions/least
            # https://duckdb.org/docs/stable/sql/functions/numeric#leastx1-x2-
            args = [c(node.this), *(c(x) for x in node.expressions)]
            inner = type(node)(this=args[0], expressions=args[1:],
                               ignore_nulls=self.spec["least_greatest_ignore_nulls"])
            any_null = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            return _case((any_null, exp.Null()), default=inner)
        if isinstance(node, exp.Cast):
            return self.lower_cast(node, ty)
        if isinstance(node, (exp.Floor, exp.Ceil)):
            # BigQuery's FLOOR(INT64) is a FLOAT64: integers are returned as they are.
            self.known(node.this, f"{node.sql_name()}()")
            return c(node.this) if ty == INT64 else type(node)(this=c(node.this))
        if isinstance(node, exp.Round):
            return self.lower_round(c(node.this), self.known(node.this, "ROUND()"),
                                    _digits(node))
        if isinstance(node, (exp.Ln, exp.Sqrt, exp.Exp)):
            # The guard sits in the argument, so no engine evaluates LN(0), SQRT(-1) or an
            # overflowing EXP (BigQuery raises, DuckDB returns -inf/NaN/inf).
            x = c.float_of(node.this)
            zero = exp.Literal.number(0)
            ok = {exp.Ln: exp.GT(this=x, expression=zero), exp.Sqrt: exp.GTE(
                this=x, expression=zero), exp.Exp: exp.LTE(this=x, expression=_lit(_EXP_MAX))}
            out = type(node)(this=_case((ok[type(node)], x.copy())))
            if isinstance(node, exp.Exp) and self.spec["float_underflow_raises"]:
                # Postgres raises where exp() underflows to 0 (EXP(-800) in a sigmoid).
                return _case((exp.LT(this=x.copy(), expression=_lit(_EXP_ZERO)),
                              self.cast(_lit(0.0), FLOAT64)), default=out)
            return out
        if isinstance(node, exp.Pow):
            x, y = c.float_of(node.this), c.float_of(node.expression)
            return exp.Pow(this=_case((self.pow_ok(x, y), x.copy())), expression=y.copy())
        if isinstance(node, exp.Extract):
            part, arg = node.this.name, node.expression
            kind = "date" if self.known(arg, "EXTRACT") == DATE else "timestamp"
            if part == "ISODOW":
                return _template(self.d, f"isodow_{kind}", x=c(arg))
            return _template(self.d, f"extract_{kind}", part=part, x=c(arg))
        if isinstance(node, exp.Anonymous):
            return self.lower_between(node)
        if isinstance(node, exp.Substring):
            # 1-based; start < 1 or length < 0 give NULL (the warehouses disagree on them, and
            # BigQuery raises on a negative length), guarded inside the arguments.
            zero = exp.Literal.number(0)
            start = c(node.args["start"])
            parts: dict[str, exp.Expr] = {"this": c(node.this), "start": _case(
                (exp.GTE(this=start, expression=exp.Literal.number(1)), start.copy()))}
            if node.args.get("length") is not None:
                length = c(node.args["length"])
                parts["length"] = _case((exp.GTE(this=length, expression=zero), length.copy()))
            for key in ("start", "length"):  # Postgres: substr(text, integer, integer)
                if key in parts:
                    parts[key] = self.d.wrap("substr_argument", parts[key])
            return exp.Substring(**parts)
        raise CompileError(f"internal: no SQL rule for {type(node).__name__}")

    def lower_string_ordering(self, node: exp.Expr) -> exp.Expr:
        """A comparison, BETWEEN or LEAST/GREATEST of strings, ordered by code point: each
        operand goes through the dialect's ``string_order`` (Postgres: COLLATE "C")."""
        if isinstance(node, (exp.Least, exp.Greatest)):
            # Least/Greatest: through the NULL-checking rule below, with ordered operands.
            args = [self(node.this), *(self(x) for x in node.expressions)]
            inner = type(node)(this=self.d.wrap("string_order", args[0]),
                               expressions=[self.d.wrap("string_order", a) for a in args[1:]],
                               ignore_nulls=self.spec["least_greatest_ignore_nulls"])
            any_null = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            return _case((any_null, exp.Null()), default=inner)
        if isinstance(node, exp.Between):  # the operand's collation orders both bounds
            return exp.Between(this=self.d.wrap("string_order", self(node.this)),
                               low=self(node.args["low"]), high=self(node.args["high"]))
        return type(node)(this=self.d.wrap("string_order", self(node.this)),
                          expression=self.d.wrap("string_order", self(node.expression)))

    def pow_ok(self, x: exp.Expr, y: exp.Expr) -> exp.Expr:
        """The domain of POWER: no 0 ** negative, no negative ** fraction, no overflow."""
        zero = exp.Literal.number(0)
        domain = exp.or_(
            exp.GT(this=x.copy(), expression=zero),
            exp.and_(exp.EQ(this=x.copy(), expression=zero),
                     exp.GTE(this=y.copy(), expression=zero)),
            exp.and_(exp.LT(this=x.copy(), expression=zero),
                     exp.EQ(this=y.copy(), expression=exp.Floor(this=y.copy()))))
        log = exp.Mul(this=y.copy(), expression=exp.Ln(this=exp.Nullif(
            this=exp.Abs(this=x.copy()), expression=zero)))
        size = exp.LTE(this=exp.Coalesce(this=log, expressions=[zero]),
                       expression=_lit(_EXP_MAX))
        return exp.and_(exp.Paren(this=domain), size)

    def lower_round(self, x: exp.Expr, t: DType, n: int) -> exp.Expr:
        if (t.name == "int64" and n >= 0) or (t.name == "decimal" and n >= (t.scale or 0)):
            return x
        if t.name == "decimal" or (t == FLOAT64 and n == 0):
            # Decimals: ROUND is exact and halves go away from zero on all three; so does
            # ROUND(float) to an integer (DuckDB: std::round).
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/mathematical_functions#round
            # https://docs.snowflake.com/en/sql-reference/functions/round
            if t == FLOAT64:
                return self.round_float(x)
            return exp.Round(this=x, decimals=exp.Literal.number(n)) if n else exp.Round(this=x)
        if t == NULL:
            return x
        if t.name == "int64":  # n < 0: exact integer arithmetic
            unit = exp.Literal.number(10 ** -n)
            rem = exp.Mod(this=x.copy(), expression=unit)
            up = exp.GTE(this=exp.Mul(this=exp.Abs(this=rem.copy()),
                                      expression=exp.Literal.number(2)), expression=unit.copy())
            sign = self.d.wrap("int64_sign", exp.Sign(this=x.copy()))  # Postgres: a float
            bump = _case((up, exp.Mul(this=sign, expression=unit.copy())),
                         default=exp.Literal.number(0))
            return exp.Add(this=exp.Paren(this=exp.Sub(this=x.copy(), expression=rem)),
                           expression=bump)
        # float64, n != 0: native ROUND(x, n) differs (DuckDB: ROUND(2.675, 2) = 2.68, BigQuery
        # 2.67), so the IEEE steps of _round_float are spelled out; see its docstring.
        scale: exp.Expr = self.cast(_lit(10.0 ** abs(n)), FLOAT64)
        k = self.scaled_round(x, n)
        value = (exp.Div if n > 0 else exp.Mul)(this=k, expression=scale)
        # Beyond this |x| is its own rounding (its ulp exceeds 10^-n), and |x| * 10^n or the
        # split of |x| / 10^-n could overflow.
        limit = self.cast(_lit(_round_limit(n)), FLOAT64)
        branches: list[tuple[exp.Expr, exp.Expr]] = [
            (exp.GTE(this=exp.Abs(this=x.copy()), expression=limit), x.copy())]
        if n < 0 and self.spec["float_underflow_raises"]:
            # |x| / 10^-n of a subnormal x would raise (Postgres); below half a unit it is 0.
            half = self.cast(_lit(0.5 * 10.0 ** -n), FLOAT64)
            branches.insert(0, (exp.LT(this=exp.Abs(this=x.copy()), expression=half),
                                self.cast(_lit(0.0), FLOAT64)))
        return _case(*branches, default=value)

    def round_float(self, x: exp.Expr) -> exp.Expr:
        """ROUND(x) of a float64 to an integral float64, halves away from zero. Where the
        engine's ROUND(float) rounds halves to even (``round_float_half_even``: Postgres uses
        rint()), it is spelled out: |x| - FLOOR(|x|) is exact, so comparing it with 0.5 is
        too (FLOOR(|x| + 0.5) would round 0.49999999999999994 up)."""
        if not self.spec["round_float_half_even"]:
            return exp.Round(this=x)
        a = exp.Abs(this=x.copy())
        floor = exp.Floor(this=a.copy())
        up = exp.GTE(this=exp.Paren(this=exp.Sub(this=a, expression=floor.copy())),
                     expression=self.cast(_lit(0.5), FLOAT64))
        bump = _case((up, exp.Literal.number(1)), default=exp.Literal.number(0))
        return exp.Mul(this=exp.Sign(this=x.copy()),
                       expression=exp.Paren(this=exp.Add(this=floor, expression=bump)))

    def scaled_round(self, x: exp.Expr, n: int) -> exp.Expr:
        """sign(x) * round-half-away(|x| * 10^n) as an integral float64 (see _scaled_round)."""
        def f(value: float) -> exp.Expr:
            return self.cast(_lit(value), FLOAT64)

        scale, (scale_hi, scale_lo) = 10.0 ** abs(n), _split(10.0 ** abs(n))
        a = exp.Abs(this=x.copy())
        p = (exp.Mul if n > 0 else exp.Div)(this=a, expression=f(scale))
        floor = exp.Floor(this=p.copy())
        frac = exp.Paren(this=exp.Sub(this=exp.Paren(this=p.copy()), expression=floor.copy()))

        def two_product_error(u: exp.Expr, prod: exp.Expr) -> exp.Expr:
            """u * scale - prod, exactly (Dekker), for u >= 0 without overflow."""
            c = exp.Mul(this=f(_SPLITTER), expression=u.copy())
            hi = exp.Paren(this=exp.Sub(this=c, expression=exp.Paren(
                this=exp.Sub(this=c.copy(), expression=u.copy()))))
            lo = exp.Paren(this=exp.Sub(this=u.copy(), expression=hi.copy()))
            out: exp.Expr = exp.Sub(this=exp.Mul(this=hi.copy(), expression=f(scale_hi)),
                                          expression=exp.Paren(this=prod.copy()))
            for term, factor in ((hi, scale_lo), (lo, scale_hi), (lo, scale_lo)):
                if factor:  # 10^n for small n splits exactly: adding 0 * u changes nothing
                    out = exp.Add(this=exp.Paren(this=out), expression=exp.Mul(
                        this=term.copy(), expression=f(factor)))
            return exp.Paren(this=out)

        if n > 0:  # exact |x| * 10^n >= p
            above = exp.GTE(this=two_product_error(a, p), expression=exp.Literal.number(0))
        else:  # exact |x| / 10^-n >= p, i.e. (|x| - p * 10^-n) - error >= 0
            back = exp.Paren(this=exp.Mul(this=exp.Paren(this=p.copy()), expression=f(scale)))
            above = exp.GTE(this=exp.Sub(this=exp.Paren(this=exp.Sub(
                this=a.copy(), expression=back)), expression=two_product_error(p, back)),
                expression=exp.Literal.number(0))
        half = f(0.5)
        up = exp.or_(exp.GT(this=frac, expression=half),
                     exp.and_(exp.EQ(this=frac.copy(), expression=half.copy()), above))
        r = exp.Paren(this=exp.Add(this=floor, expression=_case(
            (up, exp.Literal.number(1)), default=exp.Literal.number(0))))
        return exp.Mul(this=exp.Sign(this=x.copy()), expression=r)

    def lower_cast(self, node: exp.Cast, target: DType) -> exp.Expr:
        if isinstance(node.this, exp.Literal) and node.this.is_string and target in (
                DATE, TIMESTAMP):
            moment = _temporal_literal(node.this.this, target, self.t.where)
            text = moment.isoformat(sep=" ", timespec="microseconds")[:26] if isinstance(
                moment, dt.datetime) else moment.isoformat()
            key = "timestamp_literal" if target == TIMESTAMP else "date_literal"
            return _template(self.d, key, x=exp.Literal.string(text))
        source = self.known(node.this, "CAST")
        x = self(node.this)
        kind = _cast_kind(source, target)
        if kind == "same":
            return x
        if kind == "round_int":
            # BigQuery rounds halves away from zero, DuckDB DOUBLE -> BIGINT to even: ROUND first.
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions
            # https://duckdb.org/docs/stable/sql/data_types/typecasting
            return self.cast(self.round_float(x) if source == FLOAT64 else exp.Round(this=x),
                             target)
        scale = exp.Literal.number(target.scale or 0)
        if kind == "round_float":
            # Exact for every finite float: the integer part |x| - frac and the fraction frac
            # are exact floats, frac is rounded to s digits as an integer k (exact: frac < 1),
            # and both become decimals through DECIMAL(38, 0), which no engine rounds. (DuckDB's
            # own DOUBLE -> DECIMAL scales in floating point: 1e15 + 0.5 -> ...000.48.)
            s = target.scale or 0
            whole = DType("decimal", 38, 0)
            a = exp.Abs(this=x.copy())
            integer = exp.Floor(this=a.copy())
            frac = exp.Paren(this=exp.Sub(this=a.copy(), expression=integer.copy()))
            k = self.cast(self.cast(self.d.wrap("integral_float_exact", self.scaled_round(
                frac, s)), whole), target)
            unit = self.cast(exp.Literal.string(f"{decimal.Decimal(1).scaleb(-s):f}"),
                             DType("decimal", s + 1, s))
            total = exp.Paren(this=exp.Add(
                this=self.cast(self.cast(self.d.wrap("integral_float_exact", integer), whole),
                               target),
                expression=self.cast(exp.Mul(this=k, expression=unit), target)))
            negative = exp.LT(this=x.copy(), expression=exp.Literal.number(0))
            return self.cast(_case((negative, exp.Neg(this=total.copy())), default=total),
                             target)
        if kind == "rescale" and (target.scale or 0) < (source.scale or 0):
            return self.cast(exp.Round(this=x, decimals=exp.Literal.number(target.scale)), target)
        if kind == "nonzero":
            return exp.NEQ(this=x, expression=exp.Literal.number(0))
        if kind == "bool_int":
            return _case((x, exp.Literal.number(1)), (exp.Not(this=x.copy()),
                                                      exp.Literal.number(0)))
        if kind == "parse":
            # Warehouses accept different strings (BigQuery: ' 12', '0x1F'; DuckDB: '12.5' ->
            # 13, '1_000'), so only the documented grammar is cast and anything else is NULL.
            pattern = exp.Literal.string(_NUMBER_PATTERNS[target.name])
            matches = _template(self.d, "regexp_full_match", x=x, pattern=pattern)
            value = self.cast(x.copy(), target)
            if target.name == "decimal":  # BigQuery's CAST to NUMERIC keeps 9 decimals
                value = exp.Round(this=value, decimals=scale)
            return _case((matches, value))
        if kind in ("date_ts", "ts_date"):
            # BigQuery converts in its default time zone unless told 'UTC'.
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#timestamp
            key = "date_to_timestamp" if kind == "date_ts" else "timestamp_to_date"
            return _template(self.d, key, x=x)
        return self.cast(x, target)  # plain, null, widening rescale

    def lower_between(self, node: exp.Anonymous) -> exp.Expr:
        """floor((micros(b) - micros(a)) / unit) with exact integer arithmetic."""
        a, b = node.expressions
        micros = [self.d.epoch_micros_sql(self(x), "date" if self.known(
            x, f"{node.name.upper()}()") == DATE else "timestamp") for x in (a, b)]
        diff = exp.Paren(this=exp.Sub(this=_paren(micros[1]), expression=_paren(micros[0])))
        unit = exp.Literal.number(_UNITS[node.name])
        trunc = _template(self.d, "int_div_trunc", x=diff, y=unit)
        negative_rest = exp.LT(this=exp.Mod(this=diff.copy(), expression=unit.copy()),
                               expression=exp.Literal.number(0))
        return exp.Sub(this=_paren(trunc), expression=_case(
            (negative_rest, exp.Literal.number(1)), default=exp.Literal.number(0)))


def to_sql(expr: Expression, dialect: Dialect, resolve: Callable[[str], exp.Expr], *,
           input_dtypes: Mapping[str, DType | str] | None = None) -> exp.Expr:
    """A sqlglot tree computing ``expr`` on ``dialect``; each column becomes ``resolve(name)``.

    ``input_dtypes`` gives the dtypes of the referenced columns. Most of the language compiles
    the same for every dtype, but ROUND, CAST, FLOOR/CEIL, EXTRACT and the *_BETWEEN functions
    do not (``CAST(x AS int64)`` rounds first only for a float or decimal ``x``; BigQuery's
    ROUND(INT64) is a FLOAT64): for a column missing from ``input_dtypes`` those raise
    CompileError instead of guessing. Given dtypes also catch type errors and widen DuckDB's
    decimal products, so pass every dtype you know.

    >>> from fsql.sql.dialect import get_dialect
    >>> e = parse_expression("a / b", where="x")
    >>> to_sql(e, get_dialect("bigquery"), exp.column, input_dtypes={"a": "int64", "b": "int64"}
    ...        ).sql("bigquery")
    'CAST(a AS FLOAT64) / NULLIF(CAST(b AS FLOAT64), 0)'
    """
    typer = _Typer(expr, input_dtypes or {}, unknown_ok=True)
    out = _Sql(typer, dialect, resolve)(expr.tree)
    out = out.this if isinstance(out, exp.Paren) else out
    return cast(exp.Expr, out.transform(_tidy))


def _tidy(node: exp.Expr) -> exp.Expr:
    """Drop the defensive parentheses of an operand that is a function argument, a CASE branch
    or an IN list item, where they cannot change the meaning."""
    parent = node.parent
    operator = (exp.Binary, exp.Connector, exp.Unary)  # sqlglot's And/Or are Funcs too
    if isinstance(node, exp.Paren) and (
            (isinstance(parent, exp.Func) and not isinstance(parent, operator))
            or isinstance(parent, exp.Paren)
            or (isinstance(parent, exp.In) and node.arg_key == "expressions")):
        return node.this
    return node


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


def _split(a: float) -> tuple[float, float]:
    """Veltkamp's split of a float64 into two halves of 26 bits (exact: hi + lo == a)."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def _two_product_error(a: float, b: float, p: float) -> float:
    """a * b - p exactly, for p = fl(a * b) (Dekker's TwoProduct; no FMA needed)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return (((ah * bh - p) + ah * bl) + al * bh) + al * bl


def _round_limit(n: int) -> float:
    """|x| from which ROUND(x, n) returns x: 2^52 for n > 0, 2^53 * 10^-n for n < 0."""
    return _TWO_52 if n > 0 else 2.0**53 * 10.0**-n


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


def _micros(value: dt.date) -> int:
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(microseconds=1)
    return (value - dt.date(1970, 1, 1)).days * 86_400_000_000


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
    def run(row: Row) -> Any:
        values = [a(row) for a in args]
        return None if any(v is None for v in values) else fn(*values)
    return run


class _Py:
    """Compiles a typed core tree into nested Python closures."""

    def __init__(self, typer: _Typer) -> None:
        self.t = typer

    def __call__(self, node: exp.Expr) -> Fn:
        fn = self.compile(node)
        target = self.t.use_as.get(id(node))
        if target is not None and target.name in ("float64", "decimal"):
            inner = fn
            return lambda row: _convert(inner(row), target)
        return fn

    def arith(self, node: exp.Expr, ty: DType) -> Fn:
        ops: dict[type, Callable[[Any, Any], Any]] = {
            exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b}
        op, what = ops[type(node)], node
        if ty == INT64:
            return _strict(lambda a, b: _check_int(op(a, b), what), [self(node.this),
                                                                      self(node.expression)])
        if ty.name == "decimal":
            def dec(a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
                with decimal.localcontext(_DEC):
                    return op(a, b)
            return _strict(dec, [self(node.this), self(node.expression)])
        return _strict(op, [self(node.this), self(node.expression)])

    def compile(self, node: exp.Expr) -> Fn:
        c, ty = self, self.t.type(node)
        if isinstance(node, exp.Column):
            name = node.name
            return lambda row: row[name]
        const = _constant(node)
        if const is not None and not isinstance(node, (exp.Neg, exp.Cast)):
            value = const[1]
            return lambda row: value
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            return self.arith(node, ty)
        if isinstance(node, exp.Div):
            return _strict(lambda a, b: None if b == 0 or abs(b) < abs(a) / _FLOAT_MAX
                           else a / b, [c(node.this), c(node.expression)])
        if isinstance(node, exp.Mod):
            return _strict(lambda a, b: None if b == 0 else (abs(a) % abs(b)) * (1 if a >= 0
                                                                                else -1),
                           [c(node.this), c(node.expression)])
        if isinstance(node, exp.Neg):
            return _strict(lambda a: _check_int(-a, node) if isinstance(a, int) else -a,
                           [c(node.this)])
        comparisons: dict[type, Callable[[Any, Any], bool]] = {
            exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b,
            exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
            exp.GT: lambda a, b: a > b, exp.GTE: lambda a, b: a >= b}
        if type(node) in comparisons:
            return _strict(comparisons[type(node)], [c(node.this), c(node.expression)])
        if isinstance(node, exp.Between):
            x, lo, hi = c(node.this), c(node.args["low"]), c(node.args["high"])

            def between(row: Row) -> bool | None:
                v, a, b = x(row), lo(row), hi(row)
                return _and3([None if v is None or a is None else v >= a,
                              None if v is None or b is None else v <= b])
            return between
        if isinstance(node, exp.In):
            x, items = c(node.this), [c(i) for i in node.expressions]

            def in_(row: Row) -> bool | None:
                v = x(row)
                return None if v is None else _or3(
                    None if (w := i(row)) is None else v == w for i in items)
            return in_
        if isinstance(node, exp.Is):
            x = c(node.this)
            return lambda row: x(row) is None
        if isinstance(node, exp.Not):
            x = c(node.this)
            return lambda row: None if (v := x(row)) is None else not v
        if isinstance(node, (exp.And, exp.Or)):
            a, b = c(node.this), c(node.expression)
            combine = _and3 if isinstance(node, exp.And) else _or3
            return lambda row: combine([a(row), b(row)])
        if isinstance(node, exp.Case):
            branches = [(c(b.this), c(b.args["true"])) for b in node.args["ifs"]]
            default = node.args.get("default")
            otherwise = c(default) if default is not None else (lambda row: None)

            def case(row: Row) -> Any:
                for cond, value in branches:
                    if cond(row) is True:
                        return value(row)
                return otherwise(row)
            return case
        if isinstance(node, exp.Coalesce):
            args = [c(node.this), *(c(x) for x in node.expressions)]
            return lambda row: next((v for a in args if (v := a(row)) is not None), None)
        if isinstance(node, exp.Nullif):
            a, b = c(node.this), c(node.expression)
            return lambda row: None if (v := a(row)) is not None and v == b(row) else v
        if isinstance(node, (exp.Least, exp.Greatest)):
            pick = min if isinstance(node, exp.Least) else max
            return _strict(lambda *vs: pick(vs), [c(node.this), *(c(x) for x in node.expressions)])
        if isinstance(node, exp.Cast):
            if isinstance(node.this, exp.Literal) and node.this.is_string and ty in (
                    DATE, TIMESTAMP):
                value = _temporal_literal(node.this.this, ty, self.t.where)
                return lambda row: value
            source = self.t.type(node.this)
            return _strict(lambda v: _cast_value(v, source, ty), [c(node.this)])
        if isinstance(node, exp.Abs):
            return _strict(lambda a: _check_int(abs(a), node) if isinstance(a, int) else abs(a),
                           [c(node.this)])
        if isinstance(node, (exp.Floor, exp.Ceil)):
            mode = decimal.ROUND_FLOOR if isinstance(node, exp.Floor) else decimal.ROUND_CEILING
            func = math.floor if isinstance(node, exp.Floor) else math.ceil
            return _strict(lambda a: a if isinstance(a, int) else float(func(a)) if isinstance(
                a, float) else a.to_integral_value(rounding=mode), [c(node.this)])
        if isinstance(node, exp.Round):
            n, source = _digits(node), self.t.type(node.this)
            return _strict(lambda a: self.round(a, source, n), [c(node.this)])
        if isinstance(node, exp.Ln):
            return _strict(lambda a: math.log(a) if a > 0 else None, [c(node.this)])
        if isinstance(node, exp.Sqrt):
            return _strict(lambda a: math.sqrt(a) if a >= 0 else None, [c(node.this)])
        if isinstance(node, exp.Exp):
            return _strict(lambda a: math.exp(a) if a <= _EXP_MAX else None, [c(node.this)])
        if isinstance(node, exp.Pow):
            return _strict(_pow, [c(node.this), c(node.expression)])
        if isinstance(node, exp.Extract):
            part = node.this.name
            return _strict(lambda v: _extract(part, v), [c(node.expression)])
        if isinstance(node, exp.Anonymous):
            unit = _UNITS[node.name]
            return _strict(lambda a, b: (_micros(b) - _micros(a)) // unit,
                           [c(x) for x in node.expressions])
        if isinstance(node, exp.Length):
            return _strict(len, [c(node.this)])
        if isinstance(node, exp.Lower):
            return _strict(str.lower, [c(node.this)])
        if isinstance(node, exp.Upper):
            return _strict(str.upper, [c(node.this)])
        if isinstance(node, exp.DPipe):
            return _strict(lambda a, b: a + b, [c(node.this), c(node.expression)])
        if isinstance(node, exp.Substring):
            args = [c(node.this), c(node.args["start"])]
            if node.args.get("length") is not None:
                args.append(c(node.args["length"]))
            return _strict(_substr, args)
        raise CompileError(f"internal: no Python rule for {type(node).__name__}")

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


def _pow(x: float, y: float) -> float | None:
    if not (x > 0 or (x == 0 and y >= 0) or (x < 0 and y == math.floor(y))):
        return None
    if x != 0 and y * math.log(abs(x)) > _EXP_MAX:
        return None
    return math.pow(x, y)


def _substr(s: str, start: int, length: int | None = None) -> str | None:
    if start < 1 or (length is not None and length < 0):
        return None
    return s[start - 1:] if length is None else s[start - 1:start - 1 + length]


def _input_value(name: str, value: Any, dtype: DType) -> Any:
    """An input value checked against its dtype, numbers widened, naive timestamps as UTC."""
    kind = dtype.name
    if dtype == NULL:  # an untyped input (evaluate() without dtypes) is always None
        return None
    ok = value is None or {
        "int64": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float64": lambda v: isinstance(v, (int, float, decimal.Decimal)) and not isinstance(
            v, bool),
        "decimal": lambda v: isinstance(v, (int, decimal.Decimal)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, dt.datetime),
        "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    }[kind](value)
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
