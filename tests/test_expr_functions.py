"""The derived-expression language as one table (fsql/expr/functions.py): every walk
dispatches through it, every entry is exercised by the shared cases of test_expressions.py,
a walk missing a rule fails at once, and a new function is one entry (shown end to end with
SIGN: parsed, typed, evaluated in Python and executed on DuckDB against a hand computation)."""

from __future__ import annotations

import doctest
import math
from types import ModuleType

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from fsql.errors import CompileError, DefinitionError
from fsql.expr import core, functions, parse, to_python
from fsql.expr import types as expr_types
from fsql.expr.functions import FUNCTIONS, Function, Signature, check_rules, function_of
from fsql.expr.parse import INPUT_DIALECT, SUPPORTED, _Normalizer, parse_expression
from fsql.expr.to_python import _Py, evaluate
from fsql.expr.types import _Typer, result_dtype
from fsql.sql import expressions
from fsql.sql.dialect import get_dialect
from fsql.sql.expressions import _Sql, to_sql
from tests.test_expressions import CASES

WALKS = [(_Normalizer, "parse_", "parse"), (_Typer, "type_", "type"), (_Py, "py_", "python"),
         (_Sql, "sql_", "sql")]


def test_each_node_class_and_call_is_declared_once() -> None:
    keys = [("call", f.call) if f.call else ("node", node) for f in FUNCTIONS
            for node in (f.nodes if not f.call else (None,))]
    assert len(keys) == len(set(keys))
    assert all(f.nodes for f in FUNCTIONS)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_every_function_is_listed_in_supported(f: Function) -> None:
    spelled = {"column names": "column names", "literals": "literals", "TRUE/FALSE": "literals",
               "NULL": "literals", "unary -": "-", "IF": "IF/IIF"}.get(f.name, f.name)
    assert spelled in SUPPORTED


def test_every_function_of_the_table_is_exercised_by_the_shared_cases() -> None:
    """CASES (run on every engine by test_expressions_engines.py) reach each entry: those the
    core tree keeps through its typed walks, IF/CONCAT/BUCKET through parsing."""
    core: set[str] = set()
    written: set[str] = set()
    for text in CASES:
        for node in parse_expression(text, where="x").tree.walk():
            f = function_of(node)
            branch = type(node) is exp.If and isinstance(node.parent, exp.Case)
            if f is not None and not branch:  # a CASE's branches are read by its rules
                core.add(f.name)
        for node in sqlglot.parse_one(text, read=INPUT_DIALECT).walk():
            f = function_of(node)
            if f is not None:
                written.add(f.name)
    assert {f.name for f in FUNCTIONS if f.type is not None} == core
    assert {f.name for f in FUNCTIONS if f.type is None} <= written - core


@pytest.mark.parametrize(("walker", "prefix", "column"), WALKS)
def test_each_walk_has_every_rule_the_table_names(walker: type, prefix: str,
                                                  column: str) -> None:
    check_rules(walker, prefix, column)  # also run at import; here it must pass
    rules = {getattr(f, column) for f in FUNCTIONS} - {None}
    assert all(callable(getattr(walker, prefix + r)) for r in rules)


def test_a_walk_missing_a_rule_fails_naming_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = Function("SIGN", "unary", "fixed", "strict", "no_such_rule", nodes=(exp.Sign,))
    monkeypatch.setattr(functions, "FUNCTIONS", (*FUNCTIONS, extra))
    with pytest.raises(CompileError, match="_Sql has no sql_no_such_rule for the sql rule of "
                                           "SIGN"):
        check_rules(_Sql, "sql_", "sql")


def test_subclasses_are_other_constructs() -> None:
    # exact classes: CONCAT_WS (a ConcatWs, a subclass of Concat) is not CONCAT with its
    # separator as the first part, and TRY_CAST is not CAST
    with pytest.raises(DefinitionError, match=r"CONCAT_WS\(\) is not supported"):
        parse_expression("CONCAT_WS(',', a, b)", where="x")
    with pytest.raises(DefinitionError, match="TRY_CAST is not supported"):
        parse_expression("TRY_CAST(a AS int64)", where="x")


def _sign(a: float) -> float:
    return float((a > 0) - (a < 0))


def test_a_new_function_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGN(x) of a float64 from one entry that reuses existing rules: refused before, then
    parsed, typed, evaluated and compiled, its DuckDB result equal to Python's and to the
    hand computation."""
    with pytest.raises(DefinitionError, match="SIGN"):
        parse_expression("SIGN(x)", where="x")
    entry = functions._unary("SIGN", exp.Sign, type="fixed", python="strict", sql="same",
                             op=_sign, signature=Signature(("float64",), functions.FLOAT64,
                                                           functions.FLOAT64))
    monkeypatch.setitem(functions._BY_NODE, exp.Sign, entry)
    e = parse_expression("SIGN(x) * 2", where="x")
    assert str(result_dtype(e, {"x": "float64"})) == "float64"
    values = [-2.5, -0.0, 0.0, 3.0, None]
    want = [None if v is None else 2.0 * math.copysign(1.0, v) * (v != 0) for v in values]
    python = [evaluate(e, {"x": v}, dtypes={"x": "float64"}) for v in values]
    sql = to_sql(e, get_dialect("duckdb"), exp.column, input_dtypes={"x": "float64"}).sql("duckdb")
    inputs = ", ".join(f"({i}, CAST({'NULL' if v is None else repr(v)} AS DOUBLE))"
                       for i, v in enumerate(values))
    rows = duckdb.sql(f"SELECT {sql} FROM (VALUES {inputs}) AS t(i, x) ORDER BY i").fetchall()
    assert python == want
    assert [r[0] for r in rows] == want
    with pytest.raises(DefinitionError, match="expected float64, got string"):
        result_dtype(parse_expression("SIGN(s)", where="x"), {"s": "string"})


@pytest.mark.parametrize("module", [core, functions, parse, expr_types, to_python, expressions],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0
