"""Derived expressions (fsql/expr/): parse errors, Python evaluation on hand-derived
values, the emitted SQL per dialect, and a differential property test against DuckDB.

The same representative expressions run on BigQuery's and Snowflake's engines in
tests/test_expressions_engines.py, which imports the helpers below.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.expr.parse import EvaluationError, Expression, MissingInputError, parse_expression
from fsql.expr.to_python import compile_python, evaluate
from fsql.expr.types import result_dtype
from fsql.sql.dialect import get_dialect
from fsql.sql.expressions import to_sql
from tests.engines import Result, TableData
from tests.engines.duckdb_engine import DuckDBEngine

UTC = dt.UTC
WHERE = "Derived 'x' (features.py:3)"


def parse(text: str) -> Expression:
    return parse_expression(text, where=WHERE)


# ------------------------------------------------------------------------------------------
# Shared fixtures: input columns, representative expressions, rows, batch runner
# ------------------------------------------------------------------------------------------

COLUMNS: dict[str, str] = {
    "i1": "int64", "i2": "int64", "k": "int64", "big": "int64",
    "f1": "float64", "f2": "float64", "huge": "float64", "d1": "decimal(18,2)",
    "d2": "decimal(18,2)",
    "s1": "string", "s2": "string", "n1": "string", "b1": "bool", "b2": "bool",
    "t1": "timestamp", "t2": "timestamp", "day": "date",
}

# Every operator and function of the subset appears at least once.
CASES: list[str] = [
    # arithmetic, NULL propagation, division by zero, int/decimal/float mixing
    "i1 + i2 * k", "i1 - i2", "-i1", "-f1", "-d1", "d1 + d2", "d1 - i1", "d1 * d2", "i1 * d1",
    "f1 + d1", "f1 * i1", "i1 / i2", "f1 / f2", "d1 / i2", "(i1 + f1) / 2", "i1 / NULLIF(k, 0)",
    "i1 % k", "big % 1000",
    # comparisons and logic (three-valued)
    "i1 < i2", "f1 >= d1", "i1 = f1", "big = CAST(big AS float64)", "big > i1", "s1 <> s2",
    "s1 < s2", "t1 <= t2", "day = DATE '2024-03-10'", "b1 = b2", "i1 BETWEEN k AND i2",
    "f1 NOT BETWEEN -1 AND 2.5", "k IN (0, 1, NULL)", "k NOT IN (2, 3)", "s1 IN ('a', 'é')",
    "i1 IS NULL", "d1 IS NOT NULL", "b1 AND b2", "b1 OR b2", "NOT b1", "b1 AND NOT (i1 > 0)",
    "COALESCE(b1, FALSE) OR b2 = TRUE",
    # conditionals
    "CASE WHEN i1 > 0 THEN 'pos' WHEN i1 < 0 THEN 'neg' ELSE 'zero' END",
    "CASE k WHEN 1 THEN f1 WHEN 2 THEN i1 END", "IF(b1, i1, f1)", "IIF(b2, d1, NULL)",
    "COALESCE(i1, i2, k)", "COALESCE(s1, s2, 'none')", "NULLIF(i1, i2)", "NULLIF(s1, '')",
    # numeric functions
    "ABS(i1)", "ABS(d1)", "ABS(f1)", "ROUND(f1)", "ROUND(f1, 2)", "ROUND(f1, -1)", "ROUND(d1)",
    "ROUND(d1, 1)", "ROUND(i1, -2)", "FLOOR(f1)", "CEIL(f1)", "FLOOR(d1)", "CEIL(d1)",
    "FLOOR(i1)", "LN(f1)", "EXP(f1)", "SQRT(f1)", "SQRT(i1)", "POWER(f1, f2)", "POWER(i1, 2)",
    "LEAST(i1, i2, k)", "GREATEST(f1, d1)", "LEAST(t1, t2)", "GREATEST(s1, s2)",
    # casts
    "CAST(f1 AS int64)", "CAST(d1 AS int64)", "CAST(f1 AS decimal(18,2))", "CAST(i1 AS float64)",
    "CAST(d1 AS float64)", "CAST(d1 AS decimal(18,1))", "CAST(i1 AS decimal(20,2))",
    "CAST(n1 AS int64)", "CAST(n1 AS float64)", "CAST(n1 AS decimal(24,2))",
    "CAST(i1 AS string)", "CAST(big AS string)", "CAST(b1 AS string)", "CAST(b1 AS int64)",
    "CAST(k AS bool)", "CAST(day AS timestamp)", "CAST(t1 AS date)",
    # time
    "EXTRACT(YEAR FROM t1)", "EXTRACT(MONTH FROM t1)", "EXTRACT(DAY FROM t1)",
    "EXTRACT(HOUR FROM t1)", "EXTRACT(MINUTE FROM t1)", "EXTRACT(SECOND FROM t1)",
    "EXTRACT(ISODOW FROM t1)", "EXTRACT(ISODOW FROM day)", "EXTRACT(YEAR FROM day)",
    "SECONDS_BETWEEN(t1, t2)", "MINUTES_BETWEEN(t1, t2)", "HOURS_BETWEEN(t2, t1)",
    "DAYS_BETWEEN(t1, t2)", "DAYS_BETWEEN(day, t1)", "t1 >= TIMESTAMP '2024-03-10 02:30:00'",
    "TIMESTAMP '2024-03-10 10:00:00.5'",
    # strings
    "LENGTH(s1)", "LOWER(s1)", "UPPER(s2)", "s1 || s2", "CONCAT(s1, '-', s2)", "s1 || NULL",
    "SUBSTR(s1, k)", "SUBSTR(s1, k, i2)", "SUBSTR(s2, 2, 3)",
    # bucketing
    "BUCKET(i1, 18, 26, 36, 51)", "BUCKET(f1, -1.5, 0, 2.5)",
    # bare NULLs take the type their context asks for (BigQuery types NULL as INT64)
    "NULL || s1", "SUBSTR(NULL, 1)", "LN(NULL)", "NULL / i1", "NULL % k", "LEAST(NULL, i1)",
    "COALESCE(ROUND(NULL), 1)", "EXTRACT(HOUR FROM NULL)", "SECONDS_BETWEEN(NULL, t1)",
    "CAST(NULL AS int64)", "IF(NULL, 1, 2)", "NULL IN (1, 2)",
    # float64 extremes (huge: up to the largest float64 and subnormals; only where no
    # warehouse may overflow)
    "ROUND(huge, -3)", "ROUND(huge, 3)", "ROUND(huge)", "huge / f2", "f1 / huge", "-huge",
    "FLOOR(huge)", "huge >= f1", "LN(huge)", "SQRT(huge)", "EXP(huge)", "CAST(huge AS bool)",
    # a realistic feature
    "CASE WHEN d1 / NULLIF(d2, 0) > 1.5 THEN 'spike' ELSE 'normal' END",
]

HALVES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.675, 1.005, 0.125, -0.125, 0.285, -2.675]
FLOATS = [0.0, -0.0, 1.0, -1.0, 3.0, 709.0, 710.0, 1e15 + 0.5, 4503599627370497.0, -1e-7,
          0.49999999999999994, 123.456, -150.0, 1250.0]
STRINGS = ["", "a", "é", "Z", "abc", "héllo😀", "a b", "ÉCOLE", "-", "é", "zz"]
NUMBER_TEXT = ["12", "-3", "+7", "007", " 7", "7 ", "1.5", "-1.255", "1.255", "1e3", "-2.5e-3",
               ".5", "5.", "0x1F", "1_000", "abc", "", "inf", "nan", "12345678.125",
               "9223372036854775807", "1.2345678901"]
HUGE = [1e300, -1.5e305, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324,
        2.225073858507e-311, 2.0**53 + 2, 4503599627370497.5, 1e20 + 65536, -0.0, 709.78]
DST_TIMESTAMPS = [  # US spring forward (10:00 UTC), US fall back (09:00 UTC), EU (01:00 UTC)
    dt.datetime(2024, 3, 10, 9, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 3, 10, 10, 0, tzinfo=UTC), dt.datetime(2024, 3, 10, 10, 30, tzinfo=UTC),
    dt.datetime(2024, 11, 3, 8, 30, tzinfo=UTC), dt.datetime(2024, 11, 3, 9, 30, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC), dt.datetime(2024, 3, 31, 1, 0, 1, tzinfo=UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def _edge_rows() -> list[dict[str, Any]]:
    """Hand-picked rows: NULLs everywhere, zeros, negative halves, large ints, DST instants."""
    rows: list[dict[str, Any]] = [dict.fromkeys(COLUMNS)]
    for i, f in enumerate(HALVES + FLOATS):
        rows.append({
            "i1": [0, 1, -1, 1250, -1250, 1249, 18, 25, 26, 36, 51, -7, 7, 999_999][i % 14],
            "i2": [0, 2, -3, 3, 10, None][i % 6], "k": [0, 1, 2, -1, 3, -2, 5, None][i % 8],
            "big": [2**63 - 1, -(2**63) + 1, 2**53 + 1, 0, None, -(2**53) - 1][i % 6],
            "f1": f,
            "f2": [0.5, 2.0, -1.0, 0.0, 3.0, 400.0, 1 / 3, -2.2e-311, 5e-324, None][i % 10],
            "huge": HUGE[i % len(HUGE)],
            "d1": [Decimal("-2.50"), Decimal("1.25"), Decimal("-1.25"), Decimal("0.05"),
                   Decimal("0"), Decimal("999999.99"), None][i % 7],
            "d2": [Decimal("0"), Decimal("0.10"), Decimal("-3.33"), Decimal("2.00"), None][i % 5],
            "s1": STRINGS[i % len(STRINGS)], "s2": [None, *STRINGS][(i * 3) % 12],
            "n1": NUMBER_TEXT[i % len(NUMBER_TEXT)],
            "b1": [True, False, None][i % 3], "b2": [None, True, False][(i // 3) % 3],
            "t1": DST_TIMESTAMPS[i % len(DST_TIMESTAMPS)],
            "t2": DST_TIMESTAMPS[(i * 7 + 3) % len(DST_TIMESTAMPS)],
            "day": [dt.date(2024, 3, 10), dt.date(1969, 12, 31), dt.date(2024, 2, 29), None][i % 4],
        })
    return rows


EDGE_ROWS = _edge_rows()


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


_TIMESTAMPS = st.one_of(
    st.sampled_from(DST_TIMESTAMPS),
    st.builds(lambda base, us: base + dt.timedelta(microseconds=us), st.sampled_from(
        DST_TIMESTAMPS), st.integers(-3 * 86_400_000_000, 3 * 86_400_000_000)),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1), timezones=st.just(UTC)),
)
_DECIMALS = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False)
ROW = st.fixed_dictionaries({
    "i1": _maybe(st.one_of(st.integers(-60, 60), st.integers(-10**6, 10**6))),
    "i2": _maybe(st.integers(-10**6, 10**6)), "k": _maybe(st.integers(-3, 6)),
    "big": _maybe(st.integers(-(2**63) + 1, 2**63 - 1)),
    "f1": _maybe(st.one_of(st.sampled_from(HALVES + FLOATS),
                           st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
                           st.integers(-4000, 4000).map(lambda n: n / 2))),
    "f2": _maybe(st.one_of(st.sampled_from([0.0, 0.5, 2.0, -1.0, 3.0, 400.0, 5e-324]),
                           st.floats(-50, 50, allow_nan=False))),
    "huge": _maybe(st.one_of(st.sampled_from(HUGE),
                             st.floats(allow_nan=False, allow_infinity=False))),
    "d1": _maybe(st.one_of(_DECIMALS, st.sampled_from([Decimal("-2.50"), Decimal("1.25"),
                                                       Decimal("-0.05")]))),
    "d2": _maybe(_DECIMALS),
    "s1": _maybe(st.text(alphabet="abzAZ é😀-", max_size=6)),
    "s2": _maybe(st.text(alphabet="abzAZ é😀-", max_size=6)),
    "n1": _maybe(st.one_of(st.sampled_from(NUMBER_TEXT), st.from_regex(
        r"[+-]?[0-9]{1,6}(\.[0-9]{1,4})?", fullmatch=True))),
    "b1": _maybe(st.booleans()), "b2": _maybe(st.booleans()),
    "t1": _maybe(_TIMESTAMPS), "t2": _maybe(_TIMESTAMPS),
    "day": _maybe(st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1))),
})
ROWS = st.lists(ROW, min_size=1, max_size=25)


def table(rows: Sequence[Mapping[str, Any]]) -> dict[str, TableData]:
    """The rows as one table ``inputs`` with an ``id`` column giving their order."""
    columns = [("id", "int64"), *COLUMNS.items()]
    data = [(i, *(row[c] for c in COLUMNS)) for i, row in enumerate(rows)]
    return {"inputs": TableData(columns=columns, rows=data)}


@cache
def batch_sql(dialect: str) -> str:
    """``SELECT <expr_0> AS r0, ... FROM inputs ORDER BY id`` in the dialect: one query per
    batch of rows (the BigQuery and Snowflake engines cost 0.1-0.3 s a query)."""
    d = get_dialect(dialect)
    columns = [exp.alias_(to_sql(parse(text), d, exp.column, input_dtypes=COLUMNS), f"r{i}")
               for i, text in enumerate(CASES)]
    return exp.select(*columns).from_("inputs").order_by("id").sql(dialect=d.sqlglot)


@cache
def compiled() -> list[Any]:
    return [compile_python(parse(text), COLUMNS) for text in CASES]


def same(expected: Any, actual: Any) -> bool:
    """Equal values of the same kind; floats to 1e-9 relative."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(expected, actual, rel_tol=1e-9)
    if isinstance(expected, int):
        return type(actual) is int and expected == actual
    if isinstance(expected, Decimal):
        return isinstance(actual, Decimal) and expected == actual
    return type(expected) is type(actual) and expected == actual


def assert_engine_matches(engine: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run every case on ``engine`` over ``rows`` and compare each value with evaluate()."""
    result: Result = engine.run(batch_sql(engine.dialect), table(rows))
    assert len(result.rows) == len(rows)
    mismatches = []
    for i, text in enumerate(CASES):
        fn = compiled()[i]
        for row, got in zip(rows, result.rows, strict=True):
            want = fn(row)
            if not same(want, got[i]):
                mismatches.append(f"{text!r} on {row}: python {want!r}, {engine.dialect} "
                                  f"{got[i]!r}")
    assert not mismatches, "\n".join(mismatches[:20])


# ------------------------------------------------------------------------------------------
# Parse errors: each names the construct and the definition
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "construct"), [
    ("RAND()", "RAND() is not supported in derived expressions"),
    ("NOW()", "NOW() is not supported"),
    ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP() is not supported"),
    ("SUM(amount)", "aggregate SUM() is not supported"),
    ("SUM(amount) OVER ()", "a window function (OVER) is not supported"),
    ("amount LIKE 'a%'", "LIKE is not supported"),
    ("(SELECT 1)", "a subquery is not supported"),
    ("t.amount", "t.amount is not supported"),
    ("amount // 2", "integer division // is not supported"),
    ("LOG(amount)", "LOG() is not supported"),
    ("YEAR(ts)", "YEAR() is not supported"),
    ("EXTRACT(dow FROM ts)", "EXTRACT(DOW FROM ...) is not supported in derived expressions "
                              "(use ISODOW: 1 = Monday ... 7 = Sunday)"),
    ("EXTRACT(epoch FROM ts)", "EXTRACT(EPOCH FROM ...) is not supported"),
    ("amount AS x", "an alias is not supported"),
    ("TRY_CAST(a AS int64)", "TRY_CAST is not supported"),
    ("ts + INTERVAL 1 DAY", "INTERVAL is not supported"),
    ("x IS TRUE", "x IS TRUE is not supported"),
    ("x[1]", "subscript [] is not supported"),
    ("my_udf(x)", "MY_UDF() is not supported"),
    ("FLOOR(x, 2)", "FLOOR() is not supported"),
    ("a IN (b, 1)", "IN takes a list of literals"),
    ("COALESCE(a)", "needs at least two arguments"),
    ("$1", "a query parameter is not supported"),
])
def test_unsupported_constructs_name_the_construct_and_the_definition(text: str,
                                                                      construct: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse(text)
    message = str(info.value)
    assert message.startswith(WHERE + ": ")
    assert construct in message
    assert "supported: column names" in message


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "must be a non-empty SQL string"),
    ("1 +", "cannot parse '1 +'"),
    ("a; b", "must be exactly one expression"),
    ("ROUND(x, y)", "ROUND(x, n) needs n to be an integer literal in [-15, 15]"),
    ("ROUND(x, 16)", "ROUND(x, n) needs n to be an integer literal"),
    ("BUCKET(x, 3, 1)", "BUCKET edges must be strictly increasing"),
    ("BUCKET(x, y)", "BUCKET(x, e1, ..., en) needs numeric literal edges"),
    ("99999999999999999999", "is not an int64 or a float64"),
    ("DATE '2024-13-01'", "date literal '2024-13-01' must be 'YYYY-MM-DD'"),
    ("TIMESTAMP '2024-01-01 00:00:00+02'", "timestamp literal"),
    ("CAST(x AS INTEGER)", "CAST to INT is not supported; cast to int64, float64"),
    ("CAST(x AS FLOAT)", "CAST to REAL is not supported"),  # DuckDB: FLOAT is 32-bit
])
def test_invalid_expressions_are_definition_errors(text: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse(text)
    assert str(info.value).startswith(WHERE + ": ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(("text", "dtypes", "fragment"), [
    ("s + 1", {"s": "string"}, "expected int64 or decimal or float64, got string in s + 1"),
    ("s = 1", {"s": "string"}, "cannot combine string, int64 in s = 1"),
    ("NOT a", {"a": "int64"}, "expected bool, got int64"),
    ("ts < day", {"ts": "timestamp", "day": "date"}, "cannot combine timestamp, date"),
    ("a * b", {"a": "decimal(18,6)", "b": "decimal(18,6)"}, "decimal product has scale 12 > 9"),
    ("CAST(f AS string)", {"f": "float64"}, "CAST from float64 to string is not supported; "
                                            "warehouses format these differently"),
    ("CAST(s AS timestamp)", {"s": "string"}, "CAST from string to timestamp is not supported"),
    ("EXTRACT(HOUR FROM day)", {"day": "date"}, "a date has no HOUR"),
    ("i % f", {"i": "int64", "f": "float64"}, "expected int64, got float64"),
    ("NULL", {}, "is always NULL; CAST(NULL AS <dtype>)"),
    ("COALESCE(NULL, NULL)", {}, "is always NULL"),
])
def test_type_errors_name_the_definition(text: str, dtypes: dict[str, str], fragment: str) -> None:
    with pytest.raises(DefinitionError) as info:
        result_dtype(parse(text), dtypes)
    assert str(info.value).startswith(WHERE + ": ")
    assert fragment in str(info.value)


def test_unknown_input_is_a_missing_input_error() -> None:
    e = parse("amount / avg_amount")
    with pytest.raises(MissingInputError) as info:
        result_dtype(e, {"amount": "float64"})
    assert isinstance(info.value, KeyError) and isinstance(info.value, DefinitionError)
    assert str(info.value) == f"{WHERE}: unknown input 'avg_amount'; known: amount"
    with pytest.raises(MissingInputError, match="missing input 'avg_amount'; the expression "
                                                 "reads amount, avg_amount"):
        evaluate(e, {"amount": 1.0})
    with pytest.raises(MissingInputError, match="missing input 'avg_amount'"):
        compile_python(e, {"amount": "float64", "avg_amount": "float64"})({"amount": 1.0})


def test_references_in_first_use_order_and_normalized_tree() -> None:
    e = parse("IF(b > 0, c || a, CONCAT(a, b_name, \"Mixed Case\"))")
    assert e.references == ("b", "c", "a", "b_name", "Mixed Case")
    assert e.text == "IF(b > 0, c || a, CONCAT(a, b_name, \"Mixed Case\"))"
    assert isinstance(e.tree, exp.Case)  # IF is normalized to CASE, CONCAT to ||
    assert not list(e.tree.find_all(exp.Concat))
    assert e.where == WHERE


# ------------------------------------------------------------------------------------------
# Result types
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("i / i", "float64"), ("d / d", "float64"), ("i + i", "int64"), ("i + d", "decimal(22,2)"),
    ("d + d", "decimal(19,2)"), ("d * d", "decimal(36,4)"), ("i * d", "decimal(37,2)"),
    ("i + f", "float64"), ("d - f", "float64"), ("i % i", "int64"), ("-d", "decimal(18,2)"),
    ("ROUND(f, 2)", "float64"), ("ROUND(d)", "decimal(17,0)"), ("ROUND(d, 1)", "decimal(18,1)"),
    ("ROUND(d, 5)", "decimal(18,2)"), ("ROUND(i, -2)", "int64"), ("FLOOR(d)", "decimal(17,0)"),
    ("CEIL(i)", "int64"), ("SQRT(i)", "float64"), ("CAST(s AS decimal(10,2))", "decimal(10,2)"),
    ("CASE WHEN b THEN 1 ELSE 2.5 END", "float64"), ("COALESCE(i, d)", "decimal(21,2)"),
    ("LEAST(i, f)", "float64"), ("NULLIF(s, 'x')", "string"), ("BUCKET(i, 1, 2)", "string"),
    ("EXTRACT(ISODOW FROM ts)", "int64"), ("DAYS_BETWEEN(day, ts)", "int64"),
    ("i > 2 AND s IS NULL", "bool"), ("TIMESTAMP '2024-01-01'", "timestamp"),
    ("CAST(NULL AS string)", "string"), ("s || NULL", "string"),
])
def test_result_dtype(text: str, expected: str) -> None:
    dtypes = {"i": "int64", "f": "float64", "d": "decimal(18,2)", "s": "string", "b": "bool",
              "ts": "timestamp", "day": "date"}
    assert str(result_dtype(parse(text), dtypes)) == expected
    assert result_dtype(parse(text), {k: DType(v) if "(" not in v else DType(
        "decimal", 18, 2) for k, v in dtypes.items()}) == result_dtype(parse(text), dtypes)


# ------------------------------------------------------------------------------------------
# Python evaluation on hand-derived values
# ------------------------------------------------------------------------------------------

def ev(text: str, **inputs: Any) -> Any:
    return evaluate(parse(text), inputs)


@pytest.mark.parametrize(("text", "inputs", "expected"), [
    # division: always float, x / 0 is NULL, NULL propagates
    ("a / b", {"a": 5, "b": 2}, 2.5), ("a / b", {"a": 1, "b": 0}, None),
    ("a / b", {"a": 0, "b": 0}, None), ("a / b", {"a": -1.0, "b": -0.0}, None),
    ("a / b", {"a": None, "b": 2}, None), ("a / b", {"a": Decimal("1.50"), "b": 3}, 0.5),
    ("amount / NULLIF(avg, 0)", {"amount": 10.0, "avg": 4.0}, 2.5),
    ("amount / NULLIF(avg, 0)", {"amount": 10.0, "avg": 0.0}, None),
    # modulo: sign of the dividend, % 0 is NULL
    ("a % b", {"a": -7, "b": 3}, -1), ("a % b", {"a": 7, "b": -3}, 1),
    ("a % b", {"a": 7, "b": 0}, None),
    # rounding: halves away from zero
    ("ROUND(x)", {"x": 2.5}, 3.0), ("ROUND(x)", {"x": -2.5}, -3.0), ("ROUND(x)", {"x": 0.5}, 1.0),
    ("ROUND(x)", {"x": 1.5}, 2.0), ("ROUND(x)", {"x": -0.5}, -1.0),
    ("ROUND(x)", {"x": 0.49999999999999994}, 0.0),
    ("ROUND(x, 2)", {"x": 2.675}, 2.67), ("ROUND(x, 2)", {"x": -2.675}, -2.67),
    ("ROUND(x, 2)", {"x": 1.005}, 1.0), ("ROUND(x, 2)", {"x": 0.125}, 0.13),
    ("ROUND(x, 2)", {"x": -0.125}, -0.13), ("ROUND(x, -2)", {"x": -150.0}, -200.0),
    ("ROUND(x, -2)", {"x": 1234.5678}, 1200.0), ("ROUND(x, 1)", {"x": 4503599627370497.0},
                                                  4503599627370497.0),
    ("ROUND(x, -2)", {"x": 1250}, 1300), ("ROUND(x, -2)", {"x": -1250}, -1300),
    ("ROUND(x, -2)", {"x": 1249}, 1200), ("ROUND(x, 3)", {"x": 7}, 7),
    ("ROUND(x)", {"x": Decimal("-2.5")}, Decimal("-3")),
    ("ROUND(x, 1)", {"x": Decimal("1.25")}, Decimal("1.3")),
    ("ROUND(x, 1)", {"x": Decimal("-1.25")}, Decimal("-1.3")),
    # casts
    ("CAST(x AS int64)", {"x": 2.5}, 3), ("CAST(x AS int64)", {"x": -2.5}, -3),
    ("CAST(x AS int64)", {"x": 0.5}, 1), ("CAST(x AS int64)", {"x": Decimal("-2.5")}, -3),
    ("CAST(x AS decimal(5,2))", {"x": 2.675}, Decimal("2.67")),
    ("CAST(x AS decimal(5,1))", {"x": Decimal("-1.25")}, Decimal("-1.3")),
    ("CAST(s AS int64)", {"s": "12"}, 12), ("CAST(s AS int64)", {"s": "+7"}, 7),
    ("CAST(s AS int64)", {"s": " 12"}, None), ("CAST(s AS int64)", {"s": "0x1F"}, None),
    ("CAST(s AS int64)", {"s": "1.5"}, None), ("CAST(s AS int64)", {"s": ""}, None),
    ("CAST(s AS float64)", {"s": "1e3"}, 1000.0), ("CAST(s AS float64)", {"s": ".5"}, None),
    ("CAST(s AS float64)", {"s": "inf"}, None),
    ("CAST(s AS decimal(5,2))", {"s": "1.255"}, Decimal("1.26")),
    ("CAST(s AS decimal(5,2))", {"s": "-1.255"}, Decimal("-1.26")),
    ("CAST(s AS decimal(5,2))", {"s": "1.2345678901"}, None),
    ("CAST(b AS int64)", {"b": True}, 1), ("CAST(i AS bool)", {"i": 0}, False),
    ("CAST(i AS string)", {"i": -12}, "-12"), ("CAST(b AS string)", {"b": False}, "false"),
    # three-valued logic
    ("a AND b", {"a": None, "b": False}, False), ("a AND b", {"a": None, "b": True}, None),
    ("a OR b", {"a": None, "b": True}, True), ("a OR b", {"a": None, "b": False}, None),
    ("NOT a", {"a": None}, None), ("x IN (1, NULL)", {"x": 3}, None),
    ("x IN (1, NULL)", {"x": 1}, True), ("x NOT IN (1, NULL)", {"x": 3}, None),
    ("x IN (1, 2)", {"x": None}, None), ("x BETWEEN l AND 1", {"x": 2, "l": None}, False),
    ("x BETWEEN l AND 1", {"x": 0, "l": None}, None), ("x IS NULL", {"x": None}, True),
    ("CASE WHEN c THEN 'y' ELSE 'n' END", {"c": None}, "n"),
    ("CASE x WHEN 1 THEN 'one' END", {"x": None}, None),
    ("CASE x WHEN NULL THEN 'null' ELSE 'other' END", {"x": None}, "other"),
    ("COALESCE(a, b, 3)", {"a": None, "b": None}, 3), ("NULLIF(a, 1)", {"a": 1}, None),
    ("NULLIF(a, b)", {"a": 1, "b": None}, 1),
    ("LEAST(a, b, 3)", {"a": 1, "b": None}, None), ("GREATEST(a, b)", {"a": 1, "b": 2.5}, 2.5),
    ("IF(c, 1, 2.5)", {"c": True}, 1.0),
    # strings
    ("a || b", {"a": "x", "b": None}, None), ("CONCAT(a, '-', b)", {"a": "x", "b": "y"}, "x-y"),
    ("LENGTH(s)", {"s": "héllo😀"}, 6), ("UPPER(s)", {"s": "école"}, "ÉCOLE"),
    ("SUBSTR(s, 2, 3)", {"s": "abcdef"}, "bcd"), ("SUBSTR(s, 2)", {"s": "abc"}, "bc"),
    ("SUBSTR(s, 0, 2)", {"s": "abc"}, None), ("SUBSTR(s, 1, -1)", {"s": "abc"}, None),
    ("SUBSTR(s, 5, 1)", {"s": "abc"}, ""), ("SUBSTR(s, 2, 1)", {"s": "😀é"}, "é"),
    # math domains give NULL
    ("LN(x)", {"x": 0}, None), ("SQRT(x)", {"x": -1}, None), ("EXP(x)", {"x": 1000}, None),
    ("POWER(x, y)", {"x": 0, "y": -1}, None), ("POWER(x, y)", {"x": -8.0, "y": 1 / 3}, None),
    ("POWER(x, y)", {"x": 10, "y": 400}, None), ("POWER(x, y)", {"x": -2, "y": 3}, -8.0),
    ("POWER(x, y)", {"x": 0, "y": 0}, 1.0), ("SQRT(x)", {"x": 16}, 4.0),
    # bucket labels
    ("BUCKET(age, 18, 26, 36)", {"age": 17}, "<18"),
    ("BUCKET(age, 18, 26, 36)", {"age": 18}, "18-25"),
    ("BUCKET(age, 18, 26, 36)", {"age": 30}, "26-35"),
    ("BUCKET(age, 18, 26, 36)", {"age": 36}, "36+"),
    ("BUCKET(age, 18, 26, 36)", {"age": None}, None),
    ("BUCKET(age, 18, 19)", {"age": 18}, "18"),
    ("BUCKET(x, 0.5, 1.5)", {"x": 1.0}, "[0.5, 1.5)"),
    ("BUCKET(x, 0.5, 1.5)", {"x": 2}, ">=1.5"), ("BUCKET(x, -1, 0)", {"x": -1}, "-1"),
    ("CASE WHEN age < 26 THEN '18-25' WHEN age < 36 THEN '26-35' ELSE '36+' END",
     {"age": 35}, "26-35"),
])
def test_evaluate(text: str, inputs: dict[str, Any], expected: Any) -> None:
    assert same(expected, evaluate(parse(text), inputs))


def test_time_functions_use_utc_and_floor() -> None:
    sunday = dt.datetime(2024, 3, 10, 9, 30, tzinfo=UTC)  # 01:30 in Los Angeles
    assert ev("EXTRACT(HOUR FROM t)", t=sunday) == 9
    assert ev("EXTRACT(ISODOW FROM t)", t=sunday) == 7
    assert ev("EXTRACT(ISODOW FROM t)", t=sunday + dt.timedelta(days=1)) == 1
    assert ev("EXTRACT(HOUR FROM t)", t=dt.datetime(2024, 3, 10, 9, 30)) == 9  # naive = UTC
    paris = dt.timezone(dt.timedelta(hours=2))
    assert ev("EXTRACT(HOUR FROM t)", t=dt.datetime(2024, 6, 1, 12, 0, tzinfo=paris)) == 10
    assert ev("EXTRACT(SECOND FROM t)", t=dt.datetime(2024, 1, 1, 0, 0, 5, 900000)) == 5
    a = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert ev("SECONDS_BETWEEN(a, b)", a=a, b=a + dt.timedelta(seconds=1.5)) == 1
    assert ev("SECONDS_BETWEEN(a, b)", a=a, b=a - dt.timedelta(seconds=1.5)) == -2
    assert ev("MINUTES_BETWEEN(a, b)", a=a, b=a - dt.timedelta(microseconds=1)) == -1
    assert ev("DAYS_BETWEEN(d, t)", d=dt.date(2024, 1, 1),
              t=dt.datetime(2024, 1, 2, 23, 59, tzinfo=UTC)) == 1
    assert ev("DAYS_BETWEEN(t, d)", d=dt.date(2024, 1, 1),
              t=dt.datetime(2024, 1, 2, 0, 0, 1, tzinfo=UTC)) == -2
    assert ev("HOURS_BETWEEN(a, b)", a=a, b=None) is None
    assert ev("CAST(d AS timestamp)", d=dt.date(2024, 3, 10)) == dt.datetime(2024, 3, 10,
                                                                             tzinfo=UTC)
    assert ev("CAST(t AS date)", t=dt.datetime(2024, 3, 10, 23, 30, tzinfo=UTC)) == dt.date(
        2024, 3, 10)
    assert ev("TIMESTAMP '2024-03-10 02:30:00' < t", t=sunday) is True
    assert ev("TIMESTAMP '2024-03-10 02:30:00.25'") == dt.datetime(2024, 3, 10, 2, 30, 0, 250000,
                                                                   tzinfo=UTC)


def test_exact_decimals_and_typed_results() -> None:
    assert ev("a + b", a=Decimal("0.10"), b=Decimal("0.20")) == Decimal("0.30")
    assert ev("a * b", a=Decimal("0.10"), b=Decimal("0.20")) == Decimal("0.0200")
    product = ev("a * b", a=Decimal("99999999999999.99"), b=Decimal("99999999999999.99"))
    assert product == Decimal("9999999999999998000000000000.0001")
    assert isinstance(ev("CASE WHEN c THEN 1 ELSE 2.5 END", c=True), float)
    assert isinstance(ev("COALESCE(a, b)", a=1, b=Decimal("2.5")), Decimal)
    # int64 vs float64 compares as float64, as the warehouses do
    assert evaluate(parse("a = b"), {"a": 2**53 + 1, "b": float(2**53)}) is True


def test_evaluate_with_dtypes_checks_and_widens_inputs() -> None:
    e = parse("a + b")
    assert evaluate(e, {"a": 1, "b": 2}, dtypes={"a": "float64", "b": "int64"}) == 3.0
    assert isinstance(evaluate(e, {"a": 1, "b": 2}, dtypes={"a": "float64", "b": "int64"}),
                      float)
    with pytest.raises(EvaluationError, match="input 'a' = 'x' is not a float64"):
        evaluate(e, {"a": "x", "b": 2}, dtypes={"a": "float64", "b": "int64"})
    assert evaluate(parse("a + 1"), {"a": None}) is None  # untyped NULL input


@pytest.mark.parametrize(("text", "inputs"), [
    ("a * b", {"a": 2**62, "b": 4}), ("a + b", {"a": 2**63 - 1, "b": 1}),
    ("-a", {"a": -(2**63)}), ("ABS(a)", {"a": -(2**63)}),
    ("CAST(x AS int64)", {"x": 1e19}), ("CAST(s AS int64)", {"s": "99999999999999999999"}),
    ("CAST(x AS decimal(4,2))", {"x": 123.0}), ("ROUND(a, -1)", {"a": 2**63 - 1}),
])
def test_overflow_is_an_error_in_python_and_on_duckdb(text: str, inputs: dict[str, Any]) -> None:
    e = parse(text)
    with pytest.raises(EvaluationError):
        evaluate(e, inputs)
    assert issubclass(EvaluationError, ExecutionError)
    dtypes = {k: {int: "int64", float: "float64", str: "string"}[type(v)]
              for k, v in inputs.items()}
    sql = exp.select(to_sql(e, get_dialect("duckdb"), exp.column, input_dtypes=dtypes)).from_(
        "t").sql("duckdb")
    with pytest.raises(duckdb.Error):
        DuckDBEngine().run(sql, {"t": TableData(list(dtypes.items()), [list(inputs.values())])})


# ------------------------------------------------------------------------------------------
# Emitted SQL per dialect (expected forms as data)
# ------------------------------------------------------------------------------------------

SQL_FORMS: list[tuple[str, dict[str, str]]] = [
    ("a / b", {
        "duckdb": "CAST(a AS DOUBLE) / NULLIF(CAST(b AS DOUBLE), 0)",
        "bigquery": "CAST(a AS FLOAT64) / NULLIF(CAST(b AS FLOAT64), 0)",
        "snowflake": "CAST(a AS DOUBLE) / NULLIF(CAST(b AS DOUBLE), 0)"}),
    ("f / b", {"bigquery": "f / NULLIF(CAST(b AS FLOAT64), 0)"}),
    # a float divisor so small that the quotient would overflow counts as 0 (BigQuery raises)
    ("a / f", {"bigquery": "CAST(a AS FLOAT64) / NULLIF(CASE WHEN ABS(f) >= ABS(CAST(a AS "
                           "FLOAT64)) / CAST(1.7976931348623157e+308 AS FLOAT64) THEN f END, 0)"}),
    ("a % b", {"duckdb": "a % NULLIF(b, 0)", "bigquery": "MOD(a, NULLIF(b, 0))",
               "snowflake": "a % NULLIF(b, 0)"}),
    ("a + 1", {"duckdb": "a + CAST(1 AS BIGINT)", "bigquery": "a + 1", "snowflake": "a + 1"}),
    ("LEAST(a, b)", dict.fromkeys(
        ("duckdb", "bigquery", "snowflake"),
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE LEAST(a, b) END")),
    ("CAST(f AS int64)", {"duckdb": "CAST(ROUND(f) AS BIGINT)",
                          "bigquery": "CAST(ROUND(f) AS INT64)",
                          "snowflake": "CAST(ROUND(f) AS DECIMAL(38, 0))"}),
    ("d * e", {"duckdb": "CAST(d AS DECIMAL(38, 2)) * e", "bigquery": "d * e",
               "snowflake": "d * e"}),
    ("s || NULL", {"duckdb": "s || CAST(NULL AS TEXT)", "bigquery": "s || CAST(NULL AS STRING)",
                   "snowflake": "s || CAST(NULL AS VARCHAR)"}),
    ("EXTRACT(HOUR FROM ts)", {"duckdb": "EXTRACT(HOUR FROM ts)",
                               "bigquery": "EXTRACT(HOUR FROM DATETIME(ts, 'UTC'))",
                               "snowflake": "DATE_PART(HOUR, ts)"}),
    ("EXTRACT(ISODOW FROM ts)", {
        "duckdb": "EXTRACT(ISODOW FROM ts)",
        "bigquery": "MOD(EXTRACT(DAYOFWEEK FROM DATETIME(ts, 'UTC')) + 5, 7) + 1",
        "snowflake": "DATE_PART(DAYOFWEEKISO, ts)"}),
    ("CAST(day AS timestamp)", {"duckdb": "CAST(day AS TIMESTAMP)",
                                "bigquery": "TIMESTAMP(day, 'UTC')",
                                "snowflake": "CAST(day AS TIMESTAMPNTZ)"}),
    ("TIMESTAMP '2024-03-10 02:30:00'", {
        "duckdb": "CAST('2024-03-10 02:30:00.000000' AS TIMESTAMP)",
        "bigquery": "TIMESTAMP('2024-03-10 02:30:00.000000', 'UTC')",
        "snowflake": "TO_TIMESTAMP_NTZ('2024-03-10 02:30:00.000000', "
                     "'yyyy-mm-DD hh24:mi:ss.ff6')"}),
    ("CAST(s AS int64)", {
        "duckdb": "CASE WHEN REGEXP_FULL_MATCH(s, '^[+-]?[0-9]+$') THEN CAST(s AS BIGINT) END",
        "bigquery": "CASE WHEN REGEXP_CONTAINS(s, '^[+-]?[0-9]+$') THEN CAST(s AS INT64) END",
        "snowflake": "CASE WHEN REGEXP_LIKE(s, '^[+-]?[0-9]+$') THEN CAST(s AS DECIMAL(38, 0)) "
                     "END"}),
    ("SECONDS_BETWEEN(ts, ts2)", {
        "duckdb": "((EPOCH_US(ts2) - EPOCH_US(ts)) // 1000000) - CASE WHEN (EPOCH_US(ts2) - "
                  "EPOCH_US(ts)) % 1000000 < 0 THEN 1 ELSE 0 END",
        "bigquery": "(DIV((UNIX_MICROS(ts2) - UNIX_MICROS(ts)), 1000000)) - CASE WHEN "
                    "MOD(UNIX_MICROS(ts2) - UNIX_MICROS(ts), 1000000) < 0 THEN 1 ELSE 0 END"}),
    ("LN(f)", dict.fromkeys(("duckdb", "bigquery", "snowflake"),
                            "LN(CASE WHEN f > 0 THEN f END)")),
    ("ROUND(f)", dict.fromkeys(("duckdb", "bigquery", "snowflake"), "ROUND(f)")),
    ("SUBSTR(s, a, b)", {"bigquery": "SUBSTRING(s, CASE WHEN a >= 1 THEN a END, CASE WHEN b >= "
                                     "0 THEN b END)"}),
]
SQL_DTYPES = {"a": "int64", "b": "int64", "f": "float64", "d": "decimal(18,2)",
              "e": "decimal(18,2)", "s": "string", "ts": "timestamp", "ts2": "timestamp",
              "day": "date"}


@pytest.mark.parametrize(("text", "dialect", "expected"), [
    (text, dialect, sql) for text, forms in SQL_FORMS for dialect, sql in forms.items()])
def test_emitted_sql(text: str, dialect: str, expected: str) -> None:
    d = get_dialect(dialect)
    tree = to_sql(parse(text), d, exp.column, input_dtypes=SQL_DTYPES)
    assert tree.sql(dialect=d.sqlglot) == expected


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "snowflake"])
def test_float_round_with_digits_is_spelled_out(dialect: str) -> None:
    """ROUND(float, n != 0) never uses the warehouse's ROUND(x, n) (DuckDB: ROUND(2.675, 2) =
    2.68, BigQuery 2.67): FLOOR, a comparison with 0.5 and Dekker's exact product instead."""
    d = get_dialect(dialect)
    for text in ("ROUND(f, 2)", "ROUND(f, -1)", "CAST(f AS decimal(18,2))"):
        sql = to_sql(parse(text), d, exp.column, input_dtypes=SQL_DTYPES).sql(dialect=d.sqlglot)
        assert "ROUND(" not in sql
        assert "134217729.0e0" in sql and "FLOOR(" in sql


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "snowflake"])
def test_emitted_sql_reparses_and_uses_resolve(dialect: str) -> None:
    d = get_dialect(dialect)
    calls: list[str] = []

    def resolve(name: str) -> exp.Expression:
        calls.append(name)
        return exp.column(name, table="feat")

    for text in CASES:
        calls.clear()
        e = parse(text)
        sql = to_sql(e, d, resolve, input_dtypes=COLUMNS).sql(dialect=d.sqlglot)
        assert set(calls) == set(e.references)
        assert all(f"feat.{name}" in sql for name in e.references)
        sqlglot.parse_one(sql, read=d.sqlglot)  # valid syntax in the dialect


@pytest.mark.parametrize("text", [
    "amount / NULLIF(avg_7d, 0)", "amount > 100 AND country IN ('US', 'CA')",
    "CASE WHEN age < 18 THEN '<18' ELSE '18+' END", "BUCKET(age, 18, 26)", "LEAST(a, b)",
    "COALESCE(s, NULL) || 'x'", "LN(x) + ABS(y)",
])
def test_to_sql_without_dtypes_compiles_type_independent_expressions(text: str) -> None:
    """Filters and most derived expressions compile the same for every dtype."""
    for dialect in ("duckdb", "bigquery", "snowflake"):
        d = get_dialect(dialect)
        untyped = to_sql(parse(text), d, exp.column).sql(dialect=d.sqlglot)
        sqlglot.parse_one(untyped, read=d.sqlglot)


@pytest.mark.parametrize(("text", "construct"), [
    ("ROUND(x, 2)", "ROUND()"), ("CAST(x AS int64)", "CAST"), ("FLOOR(x)", "FLOOR()"),
    ("EXTRACT(HOUR FROM ts)", "EXTRACT"), ("DAYS_BETWEEN(ts, day)", "DAYS_BETWEEN()"),
])
def test_to_sql_refuses_to_guess_a_dtype(text: str, construct: str) -> None:
    """BigQuery's ROUND(INT64) is a FLOAT64, CAST(float AS int) needs ROUND first, EXTRACT of a
    DATE cannot name a zone...: without the operand's dtype these raise, naming what to pass."""
    with pytest.raises(CompileError) as info:
        to_sql(parse(text), get_dialect("bigquery"), exp.column, input_dtypes={"day": "date"})
    message = str(info.value)
    assert message.startswith(WHERE + ": " + construct + " compiles differently for each dtype")
    assert "is unknown: declare it" in message and "Source(schema=" in message
    asked = message.split(", and the dtype of ")[1].split(" is unknown")[0]
    assert "day" not in asked  # known dtypes are not asked


# ------------------------------------------------------------------------------------------
# Differential: DuckDB against evaluate() (always run)
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("time_zone", ["UTC", "America/Los_Angeles"])
def test_edge_rows_on_duckdb(time_zone: str) -> None:
    started = time.perf_counter()
    assert_engine_matches(DuckDBEngine(time_zone=time_zone), EDGE_ROWS)
    assert time.perf_counter() - started < 30


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(rows=ROWS)
def test_random_rows_on_duckdb(rows: list[dict[str, Any]]) -> None:
    assert_engine_matches(DuckDBEngine(), rows)
