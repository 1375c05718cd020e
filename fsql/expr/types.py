"""Types of derived expressions: the dtype rules (int64 < decimal < float64, no implicit
mixing of other types) and the result dtype of an expression given its inputs' dtypes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlglot import exp

from fsql.dtypes import DType, parse_dtype
from fsql.errors import DefinitionError
from fsql.expr.core import (
    _DATE_PARTS,
    _MAX_DECIMAL_SCALE,
    ANY,
    BOOL,
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
    _missing,
)
from fsql.expr.functions import NUMERIC, Function, check_rules, function_of
from fsql.expr.parse import _Normalizer

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


def _sum_type(t: DType) -> DType:
    """The type of ``a + b`` for operands of common type ``t``."""
    if t.name == "decimal":
        return _decimal((t.precision or 0) - (t.scale or 0) + 1, t.scale or 0)
    return t


class _Typer:
    """Infers the dtype of every node of a core tree and the type each operand is used as:
    each function's ``type_<rule>`` of :data:`fsql.expr.functions.FUNCTIONS`."""

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
        f = function_of(node)
        if f is None or f.type is None:
            raise self.fail(node, f"internal: no type rule for {type(node).__name__}")
        rule: Callable[[exp.Expr, Function], DType] = getattr(self, "type_" + f.type)
        return rule(node, f)

    def type_column(self, node: exp.Expr, f: Function) -> DType:
        if node.name not in self.inputs:
            if self.unknown_ok:
                return ANY
            known = ", ".join(sorted(self.inputs)) or "none"
            raise _missing(self.where, f"unknown input {node.name!r}; known: {known}")
        return self.inputs[node.name]

    def type_literal(self, node: exp.Expr, f: Function) -> DType:
        const = _constant(node)
        assert const is not None  # a Literal, Boolean or Null always is one
        return {"int": INT64, "float": FLOAT64, "string": STRING, "bool": BOOL,
                "null": NULL}[const[0]]

    def type_fixed(self, node: exp.Expr, f: Function) -> DType:
        """Every operand one of the signature's kinds, read as its ``use`` type."""
        assert f.signature is not None
        for x in node.iter_expressions():
            self.expect(node, x, *f.signature.operands)
            self.use(x, f.signature.use)
        return f.signature.result

    def numeric_operands(self, node: exp.Expr) -> tuple[DType, DType, DType]:
        """The types of a binary operator's numeric operands, and their common type."""
        a, b = (self.expect(node, x, *NUMERIC) for x in (node.this, node.expression))
        return a, b, self.unify(node, [node.this, node.expression])

    def type_arith(self, node: exp.Expr, f: Function) -> DType:
        """``+ -``: a decimal result has one more integer digit."""
        return _sum_type(self.numeric_operands(node)[2])

    def type_product(self, node: exp.Expr, f: Function) -> DType:
        """``*``: a decimal product is exact, decimal(p1 + p2, s1 + s2)."""
        a, b, t = self.numeric_operands(node)
        if t.name != "decimal" or ANY in (a, b):
            return _sum_type(t)
        (p1, s1), (p2, s2) = _as_decimal(a if a != NULL else t), _as_decimal(
            b if b != NULL else t)
        if s1 + s2 > _MAX_DECIMAL_SCALE:
            raise self.fail(node, f"a decimal product has scale {s1 + s2} > "
                                  f"{_MAX_DECIMAL_SCALE} (BigQuery NUMERIC); ROUND or "
                                  "CAST an operand to fewer decimals or to float64")
        return _decimal(p1 + p2 - s1 - s2, s1 + s2)

    def type_same_numeric(self, node: exp.Expr, f: Function) -> DType:
        return self.expect(node, node.this, *NUMERIC)

    def type_compare(self, node: exp.Expr, f: Function) -> DType:
        """Comparisons, BETWEEN and IN: the operands unify, the result is a bool."""
        self.unify(node, list(node.iter_expressions()))
        return BOOL

    def type_is_null(self, node: exp.Expr, f: Function) -> DType:
        self.type(node.this)
        return BOOL

    def type_case(self, node: exp.Expr, f: Function) -> DType:
        for branch in node.args["ifs"]:
            self.expect(node, branch.this, "bool")
            self.use(branch.this, BOOL)
        results = [b.args["true"] for b in node.args["ifs"]]
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        return self.unify(node, results)

    def type_unify(self, node: exp.Expr, f: Function) -> DType:
        """COALESCE, NULLIF, LEAST, GREATEST: the common type of the arguments."""
        return self.unify(node, list(node.iter_expressions()))

    def type_cast(self, node: exp.Expr, f: Function) -> DType:
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

    def type_floor_ceil(self, node: exp.Expr, f: Function) -> DType:
        t = self.expect(node, node.this, *NUMERIC)
        return _decimal((t.precision or 0) - (t.scale or 0) + 1, 0) if t.name == "decimal" \
            else t

    def type_round(self, node: exp.Expr, f: Function) -> DType:
        t = self.expect(node, node.this, *NUMERIC)
        n = _digits(node)
        if t.name == "decimal" and n < (t.scale or 0):
            return _decimal((t.precision or 0) - (t.scale or 0) + 1, max(n, 0))
        return t

    def type_extract(self, node: exp.Expr, f: Function) -> DType:
        part = node.this.name
        t = self.expect(node, node.expression, "timestamp", "date")
        if t == DATE and part not in _DATE_PARTS:
            raise self.fail(node, f"a date has no {part}")
        if t == NULL:
            self.use(node.expression, TIMESTAMP)
        return INT64

    def type_time_diff(self, node: exp.Expr, f: Function) -> DType:
        """The *_between functions."""
        for x in node.expressions:
            if self.expect(node, x, "timestamp", "date") == NULL:
                self.use(x, TIMESTAMP)
        return INT64

    def type_substring(self, node: exp.Expr, f: Function) -> DType:
        self.expect(node, node.this, "string")
        self.use(node.this, STRING)
        for key in ("start", "length"):
            if node.args.get(key) is not None:
                self.expect(node, node.args[key], "int64")
                self.use(node.args[key], INT64)
        return STRING


def _cast_target(node: exp.Expr) -> DType:
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

    >>> from fsql.expr.parse import parse_expression
    >>> result_dtype(parse_expression("a / b", where="x"), {"a": "int64", "b": "int64"})
    DType(name='float64', precision=None, scale=None)
    """
    t = _Typer(expr, input_dtypes).root
    if t == NULL:
        raise _fail(expr.where, f"{expr.text!r} is always NULL; CAST(NULL AS <dtype>) to give it "
                                "a type")
    return t


check_rules(_Typer, "type_", "type")
