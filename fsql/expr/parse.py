"""Derived expressions: one small SQL expression language, equal on every dialect and in Python.

An expression is written in DuckDB's SQL syntax (parsed by sqlglot with ``read="duckdb"``),
validated against the subset below, normalized into a small core tree, and then either lowered to
a sqlglot tree for a dialect (:func:`to_sql`) or evaluated in Python (:func:`evaluate`, the online
path). Both follow the rules below, which every dialect's SQL honours by construction: where a
warehouse's native behaviour differs, fsql emits an explicit form (declared per dialect in the
``[expressions]`` table of ``dialects/<name>.toml``) instead of trusting the native one.

>>> from fsql.expr.to_python import evaluate
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

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from fsql.dtypes import DType, parse_dtype
from fsql.errors import DefinitionError
from fsql.expr.core import (
    _INT_MAX,
    _PARTS,
    DATE,
    FLOAT64,
    INPUT_DIALECT,
    TIMESTAMP,
    EvaluationError,
    Expression,
    MissingInputError,
    _constant,
    _fail,
    _literal_number,
    _temporal_literal,
)
from fsql.expr.functions import Function, arity_ok, check_rules, function_of

__all__ = [
    "INPUT_DIALECT", "SUPPORTED", "EvaluationError", "Expression", "MissingInputError",
    "parse_expression",
]

SUPPORTED = (
    "column names, literals, + - * / %, = <> != < <= > >=, IS [NOT] NULL, [NOT] BETWEEN, "
    "[NOT] IN (literals), AND OR NOT, CASE, IF/IIF, COALESCE, NULLIF, CAST, ABS, ROUND, FLOOR, "
    "CEIL, LN, EXP, SQRT, POWER, LEAST, GREATEST, EXTRACT(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND|"
    "ISODOW FROM x), SECONDS_BETWEEN, MINUTES_BETWEEN, HOURS_BETWEEN, DAYS_BETWEEN, LENGTH, "
    "LOWER, UPPER, CONCAT, ||, SUBSTR, BUCKET"
)


def _unsupported(where: str, construct: str, hint: str = "") -> DefinitionError:
    hint = f" ({hint})" if hint else ""
    return _fail(where, f"{construct} is not supported in derived expressions{hint}; "
                        f"supported: {SUPPORTED}")


# ------------------------------------------------------------------------------------------
# Parsing: DuckDB syntax -> validated core tree
# ------------------------------------------------------------------------------------------

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



class _Normalizer:
    """Checks every node against the subset and rebuilds the core tree: each function's
    ``parse_<rule>`` of :data:`fsql.expr.functions.FUNCTIONS`."""

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
        if isinstance(node, exp.Paren):
            return self.norm(node.this)
        f = function_of(node)
        if f is None:
            raise self.refuse(node)
        if f.keys is not None:
            self.only(node, *f.keys)
        rule: Callable[[exp.Expr, Function], exp.Expr] = getattr(self, "parse_" + f.parse)
        return rule(node, f)

    def parse_column(self, node: exp.Expr, f: Function) -> exp.Expr:
        if not isinstance(node.this, exp.Identifier) or node.text("table"):
            raise self.refuse(node, "reference columns by their bare name")
        return exp.Column(this=node.this.copy())

    def parse_literal(self, node: exp.Expr, f: Function) -> exp.Expr:
        if not node.is_string:
            value = _literal_number(node.this)
            if value is None or (isinstance(value, int) and value > _INT_MAX):
                raise _fail(self.where, f"number {node.this} is not an int64 or a float64")
            if isinstance(value, float) and not math.isfinite(value):
                raise _fail(self.where, f"number {node.this} is not a finite float64")
        return node.copy()

    def parse_copy(self, node: exp.Expr, f: Function) -> exp.Expr:
        return node.copy()

    def parse_binary(self, node: exp.Expr, f: Function) -> exp.Expr:
        return type(node)(this=self.norm(node.this), expression=self.norm(node.expression))

    def parse_unary(self, node: exp.Expr, f: Function) -> exp.Expr:
        return type(node)(this=self.norm(node.this))

    def parse_is_null(self, node: exp.Expr, f: Function) -> exp.Expr:
        if not isinstance(node.expression, exp.Null):
            raise self.refuse(node, "only IS [NOT] NULL")
        return exp.Is(this=self.norm(node.this), expression=exp.Null())

    def parse_between(self, node: exp.Expr, f: Function) -> exp.Expr:
        if node.args.get("symmetric"):
            raise self.refuse(node)
        return exp.Between(this=self.norm(node.this), low=self.norm(node.args["low"]),
                           high=self.norm(node.args["high"]))

    def parse_in_list(self, node: exp.Expr, f: Function) -> exp.Expr:
        items = [self.norm(i) for i in node.expressions]
        if not items or not all(_constant(i) for i in items):
            raise self.refuse(node, "IN takes a list of literals")
        return exp.In(this=self.norm(node.this), expressions=items)

    def parse_if_(self, node: exp.Expr, f: Function) -> exp.Expr:
        if isinstance(node.parent, exp.Case):  # a CASE branch is read by parse_case
            raise self.refuse(node)
        n = self.norm
        return exp.Case(ifs=[exp.If(this=n(node.this), true=n(node.args["true"]))],
                        default=n(node.args["false"]) if node.args.get("false") else None)

    def parse_case(self, node: exp.Expr, f: Function) -> exp.Expr:
        n, subject = self.norm, node.this
        ifs = []
        for branch in node.args.get("ifs") or []:
            cond = n(branch.this)
            if subject is not None:  # simple CASE x WHEN v: x = v never matches NULL
                cond = exp.EQ(this=n(subject), expression=cond)
            ifs.append(exp.If(this=cond, true=n(branch.args["true"])))
        default = node.args.get("default")
        return exp.Case(ifs=ifs, default=n(default) if default is not None else None)

    def parse_variadic(self, node: exp.Expr, f: Function) -> exp.Expr:
        args = [node.this, *node.expressions]
        if not arity_ok(f, len(args)):
            raise self.refuse(node, "needs at least two arguments")
        return type(node)(this=self.norm(args[0]), expressions=[self.norm(a) for a in args[1:]])

    def parse_cast(self, node: exp.Expr, f: Function) -> exp.Expr:
        target = self.dtype(node.args["to"])
        inner = self.norm(node.this)
        if target in (DATE, TIMESTAMP) and isinstance(inner, exp.Literal) and inner.is_string:
            _temporal_literal(inner.this, target, self.where)  # validated now
        return exp.Cast(this=inner, to=_datatype(target))

    def parse_round(self, node: exp.Expr, f: Function) -> exp.Expr:
        digits = node.args.get("decimals")
        n_value = _constant(digits) if digits is not None else ("int", 0)
        if n_value is None or n_value[0] != "int" or not -15 <= n_value[1] <= 15:
            raise _fail(self.where, "ROUND(x, n) needs n to be an integer literal in "
                                    f"[-15, 15], got {digits.sql() if digits else ''}")
        return exp.Round(this=self.norm(node.this), decimals=exp.Literal.number(n_value[1]))

    def parse_extract(self, node: exp.Expr, f: Function) -> exp.Expr:
        part = node.this.name.upper()
        if part not in _PARTS:
            weekday = "DOW" in part or "DAYOFWEEK" in part
            hint = "use ISODOW: 1 = Monday ... 7 = Sunday" if weekday else ""
            raise _unsupported(self.where, f"EXTRACT({part} FROM ...)", hint)
        return exp.Extract(this=exp.var(part), expression=self.norm(node.expression))

    def parse_concat(self, node: exp.Expr, f: Function) -> exp.Expr:
        parts = [self.norm(a) for a in node.expressions]
        if not arity_ok(f, len(parts)):
            raise self.refuse(node, "needs at least two arguments")
        out = parts[0]
        for part_ in parts[1:]:
            out = exp.DPipe(this=out, expression=part_)
        return out

    def parse_substring(self, node: exp.Expr, f: Function) -> exp.Expr:
        if node.args.get("start") is None:
            raise self.refuse(node, "SUBSTR(s, start[, length])")
        length = node.args.get("length")
        return exp.Substring(this=self.norm(node.this), start=self.norm(node.args["start"]),
                             length=self.norm(length) if length is not None else None)

    def parse_time_diff(self, node: exp.Expr, f: Function) -> exp.Expr:
        if not arity_ok(f, len(node.expressions)):
            raise self.refuse(node)
        return exp.Anonymous(this=f.call, expressions=[self.norm(a) for a in node.expressions])

    def parse_bucket(self, node: exp.Expr, f: Function) -> exp.Expr:
        if not arity_ok(f, len(node.expressions)):
            raise self.refuse(node)
        return self.bucket(self.norm(node.expressions[0]), node.expressions[1:])

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


check_rules(_Normalizer, "parse_", "parse")
