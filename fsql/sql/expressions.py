"""Derived expressions lowered to a dialect's sqlglot tree: the rules of
:mod:`fsql.expr.parse` written out explicitly wherever a warehouse's native behaviour
differs (templates of ``[expressions]`` in ``dialects/<name>.toml``)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import cast

from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import CompileError
from fsql.expr.core import (
    _EXP_MAX,
    _EXP_ZERO,
    _FLOAT_MAX,
    _NUMBER_PATTERNS,
    _SPLITTER,
    _UNITS,
    ANY,
    DATE,
    FLOAT64,
    INPUT_DIALECT,
    INT64,
    NULL,
    STRING,
    TIMESTAMP,
    Expression,
    _constant,
    _digits,
    _fail,
    _round_limit,
    _split,
    _temporal_literal,
)
from fsql.expr.functions import Function, check_rules, function_of
from fsql.expr.types import _cast_kind, _Typer
from fsql.sql.dialect import Dialect, paren

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
        f = function_of(node)
        if f is None or f.sql is None:
            raise CompileError(f"internal: no SQL rule for {type(node).__name__}")
        rule: Callable[[exp.Expr, Function, DType], exp.Expr] = getattr(self, "sql_" + f.sql)
        return rule(node, f, self.t.type(node))

    def strings(self, node: exp.Expr) -> bool:
        """Whether an operand of ``node`` is a string (ordered by code point, see below)."""
        return STRING in (self.t.type(x) for x in node.iter_expressions())

    def sql_column(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return self.resolve(node.name)

    def sql_literal(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        const = _constant(node)
        if const is not None and const[0] == "float":
            return self.cast(_lit(const[1]), FLOAT64)
        if const is not None and const[0] == "int" and self.spec["integer_literal_cast"]:
            # DuckDB types 5 as INTEGER (32-bit): 2000000000 * 3 would overflow.
            # https://duckdb.org/docs/stable/sql/data_types/literal_types
            return self.cast(node.copy(), INT64)
        return node.copy()

    def sql_same(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        """The same node over the lowered operands (the native form is the rule)."""
        return type(node)(**{k: self(v) if isinstance(v, exp.Expr) else v
                             for k, v in node.args.items()})

    def sql_div(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # `/` is float64 everywhere and x / 0 is NULL: BigQuery raises on 0 and Snowflake
        # both raises and returns NUMBER with its own scale, so both operands become float64
        # and the divisor goes through NULLIF.
        # https://cloud.google.com/bigquery/docs/reference/standard-sql/operators
        # https://docs.snowflake.com/en/sql-reference/operators-arithmetic
        # A divisor so small that the quotient would overflow counts as 0 too (BigQuery
        # raises "double overflow", the others return inf).
        # (Only a float64 divisor can be that small: |int64| <= 9.2e18, |decimal| >= 1e-38.)
        a, b = self.float_of(node.this), self.float_of(node.expression)
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

    def sql_mod(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # BigQuery MOD raises on 0; DuckDB 2 raises too
        return exp.Mod(this=self(node.this), expression=exp.Nullif(
            this=self(node.expression), expression=exp.Literal.number(0)))

    def sql_mul(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        if ty.name != "decimal" or not self.spec["decimal_product_widen"]:
            return self.sql_same(node, f, ty)
        # DuckDB computes DECIMAL(18,2) * DECIMAL(18,2) as DECIMAL(18,4) and overflows past
        # 1e14: widen one decimal operand to 38 digits first.
        # https://duckdb.org/docs/stable/sql/data_types/numeric#fixed-point-decimals
        a, b = node.this, node.expression
        if self.t.type(a).name != "decimal":
            a, b = b, a
        wide = DType("decimal", 38, self.t.type(a).scale)
        return exp.Mul(this=_paren(self.cast(self(a), wide)), expression=self(b))

    def nan_compared(self, node: exp.Expr) -> exp.Expr | None:
        """A comparison with a float64 operand where NaN does not compare as in IEEE 754."""
        if not self.spec["nan_compares_greatest"] or FLOAT64 not in (
                self.t.type(node.this), self.t.type(node.expression)):
            return None
        # Comparisons with NaN follow IEEE 754, as in Python and BigQuery: false, and
        # true for <>. DuckDB and Snowflake order NaN above every number and equal to
        # itself, so a NaN operand is decided explicitly (a NULL operand stays NULL).
        # https://duckdb.org/docs/stable/sql/data_types/numeric#floating-point-types
        a, b = self(node.this), self(node.expression)
        pairs = [(x, operand) for x, operand in ((a, node.this), (b, node.expression))
                 if _constant(operand) is None]  # a number literal is neither NULL nor NaN
        nan = exp.or_(*[self.d.is_nan(x) for x, operand in pairs
                        if self.t.type(operand) == FLOAT64])
        null = exp.or_(*[exp.Is(this=x.copy(), expression=exp.null()) for x, _ in pairs])
        return _case((null, exp.null()), (nan, exp.Boolean(this=type(node) is exp.NEQ)),
                     default=type(node)(this=a, expression=b))

    def sql_equality(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        """``=`` and ``<>``."""
        return self.nan_compared(node) or self.sql_same(node, f, ty)

    def sql_ordering(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        """``< <= > >=``; strings ordered by code point: each operand goes through the
        dialect's ``string_order`` (Postgres: COLLATE "C")."""
        nan = self.nan_compared(node)
        if nan is not None:
            return nan
        if not self.strings(node):
            return self.sql_same(node, f, ty)
        return type(node)(this=self.d.wrap("string_order", self(node.this)),
                          expression=self.d.wrap("string_order", self(node.expression)))

    def sql_between(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        x = self(node.this)
        if self.strings(node):  # the operand's collation orders both bounds
            x = self.d.wrap("string_order", x)
        return exp.Between(this=x, low=self(node.args["low"]), high=self(node.args["high"]))

    def sql_in_list(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return exp.In(this=self(node.this), expressions=[self(x) for x in node.expressions])

    def sql_case(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        default = node.args.get("default")
        return _case(*((self(b.this), self(b.args["true"])) for b in node.args["ifs"]),
                     default=self(default) if default is not None else None)

    def sql_coalesce(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return exp.Coalesce(this=self(node.this), expressions=[self(x) for x in node.expressions])

    def sql_nullif(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return exp.Nullif(this=self(node.this), expression=self(node.expression))

    def sql_least_greatest(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # NULL if any argument is NULL (BigQuery and Snowflake natively; DuckDB ignores
        # NULLs), so the NULL check is explicit and the inner call sees no NULL. Strings are
        # ordered by code point (``string_order``).
        # https://docs.snowflake.com/en/sql-reference/functions/least
        # https://duckdb.org/docs/stable/sql/functions/numeric#leastx1-x2-
        args = [self(node.this), *(self(x) for x in node.expressions)]
        ordered = [self.d.wrap("string_order", a) for a in args] if self.strings(node) else args
        inner = type(node)(this=ordered[0], expressions=ordered[1:],
                           ignore_nulls=self.spec["least_greatest_ignore_nulls"])
        any_null = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
        return _case((any_null, exp.Null()), default=inner)

    def sql_cast(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return self.lower_cast(cast(exp.Cast, node), ty)

    def sql_floor_ceil(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # BigQuery's FLOOR(INT64) is a FLOAT64: integers are returned as they are.
        self.known(node.this, f"{cast(exp.Func, node).sql_name()}()")
        return self(node.this) if ty == INT64 else type(node)(this=self(node.this))

    def sql_round(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        return self.lower_round(self(node.this), self.known(node.this, "ROUND()"),
                                _digits(node))

    def sql_guarded_math(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # The guard sits in the argument, so no engine evaluates LN(0), SQRT(-1) or an
        # overflowing EXP (BigQuery raises, DuckDB returns -inf/NaN/inf).
        x = self.float_of(node.this)
        zero = exp.Literal.number(0)
        ok: dict[type[exp.Expr], exp.Expr] = {
            exp.Ln: exp.GT(this=x, expression=zero), exp.Sqrt: exp.GTE(this=x, expression=zero),
            exp.Exp: exp.LTE(this=x, expression=_lit(_EXP_MAX))}
        out = type(node)(this=_case((ok[type(node)], x.copy())))
        if type(node) is exp.Exp and self.spec["float_underflow_raises"]:
            # Postgres raises where exp() underflows to 0 (EXP(-800) in a sigmoid).
            return _case((exp.LT(this=x.copy(), expression=_lit(_EXP_ZERO)),
                          self.cast(_lit(0.0), FLOAT64)), default=out)
        return out

    def sql_pow(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        x, y = self.float_of(node.this), self.float_of(node.expression)
        return exp.Pow(this=_case((self.pow_ok(x, y), x.copy())), expression=y.copy())

    def sql_extract(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        part, arg = node.this.name, node.expression
        kind = "date" if self.known(arg, "EXTRACT") == DATE else "timestamp"
        if part == "ISODOW":
            return _template(self.d, f"isodow_{kind}", x=self(arg))
        return _template(self.d, f"extract_{kind}", part=part, x=self(arg))

    def sql_time_diff(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
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

    def sql_substring(self, node: exp.Expr, f: Function, ty: DType) -> exp.Expr:
        # 1-based; start < 1 or length < 0 give NULL (the warehouses disagree on them, and
        # BigQuery raises on a negative length), guarded inside the arguments.
        zero = exp.Literal.number(0)
        start = self(node.args["start"])
        parts: dict[str, exp.Expr] = {"this": self(node.this), "start": _case(
            (exp.GTE(this=start, expression=exp.Literal.number(1)), start.copy()))}
        if node.args.get("length") is not None:
            length = self(node.args["length"])
            parts["length"] = _case((exp.GTE(this=length, expression=zero), length.copy()))
        for key in ("start", "length"):  # Postgres: substr(text, integer, integer)
            if key in parts:
                parts[key] = self.d.wrap("substr_argument", parts[key])
        return exp.Substring(**parts)

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


def to_sql(expr: Expression, dialect: Dialect, resolve: Callable[[str], exp.Expr], *,
           input_dtypes: Mapping[str, DType | str] | None = None) -> exp.Expr:
    """A sqlglot tree computing ``expr`` on ``dialect``; each column becomes ``resolve(name)``.

    ``input_dtypes`` gives the dtypes of the referenced columns. Most of the language compiles
    the same for every dtype, but ROUND, CAST, FLOOR/CEIL, EXTRACT and the *_BETWEEN functions
    do not (``CAST(x AS int64)`` rounds first only for a float or decimal ``x``; BigQuery's
    ROUND(INT64) is a FLOAT64): for a column missing from ``input_dtypes`` those raise
    CompileError instead of guessing. Given dtypes also catch type errors and widen DuckDB's
    decimal products, so pass every dtype you know.

    >>> from fsql.expr.parse import parse_expression
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


check_rules(_Sql, "sql_", "sql")
