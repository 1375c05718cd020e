"""Derived expressions on BigQuery's engine (GoogleSQL reference implementation) and on
Snowflake's (fakesnow): every representative expression of tests/test_expressions.py, over the
hand-picked edge rows and over generated rows, equals fsql's Python evaluation value for value.

fakesnow runs Snowflake SQL on DuckDB (via sqlglot), so it proves that the Snowflake SQL is
accepted and means what DuckDB means; where real Snowflake differs from DuckDB, the test at the
bottom asserts that the emitted Snowflake tree carries fsql's explicit guard instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

from fsql.dialect import get_dialect
from fsql.expressions import EvaluationError, evaluate, parse_expression, to_sql
from tests.engines import TableData
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.zetasql_engine import EngineError, ZetaSQLEngine
from tests.test_expressions import EDGE_ROWS, ROWS, SQL_DTYPES, assert_engine_matches

pytestmark = pytest.mark.engine

# One query per batch of rows; ~0.2 s (GoogleSQL) and ~0.5 s (fakesnow) each with ~130 columns.
# Derandomized: the same examples every run, so an engine failure reproduces.
ENGINE_SETTINGS = settings(deadline=None, derandomize=True, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("time_zone", ["UTC", "America/Los_Angeles"])
def test_edge_rows_on_googlesql(time_zone: str) -> None:
    # A non-UTC default time zone must change nothing (EXTRACT, DATE(ts), TIMESTAMP(date)).
    assert_engine_matches(ZetaSQLEngine(default_time_zone=time_zone), EDGE_ROWS)


@settings(ENGINE_SETTINGS, max_examples=15)
@given(rows=ROWS)
def test_random_rows_on_googlesql(rows: list[dict[str, Any]]) -> None:
    assert_engine_matches(ZetaSQLEngine(default_time_zone="America/New_York"), rows)


def test_edge_rows_on_fakesnow() -> None:
    assert_engine_matches(FakesnowEngine(), EDGE_ROWS)


@settings(ENGINE_SETTINGS, max_examples=8)
@given(rows=ROWS)
def test_random_rows_on_fakesnow(rows: list[dict[str, Any]]) -> None:
    assert_engine_matches(FakesnowEngine(), rows)


@pytest.mark.parametrize(("text", "inputs"), [
    ("a * b", {"a": 2**62, "b": 4}), ("a + b", {"a": 2**63 - 1, "b": 1}),
    ("CAST(x AS int64)", {"x": 1e19}), ("CAST(s AS int64)", {"s": "99999999999999999999"}),
])
def test_overflow_is_an_error_on_googlesql_too(text: str, inputs: dict[str, Any]) -> None:
    e = parse_expression(text, where="Derived 'x'")
    with pytest.raises(EvaluationError):
        evaluate(e, inputs)
    dtypes = {k: {int: "int64", float: "float64", str: "string"}[type(v)]
              for k, v in inputs.items()}
    sql = exp.select(to_sql(e, get_dialect("bigquery"), exp.column, input_dtypes=dtypes)).from_(
        "t").sql("bigquery")
    with pytest.raises(EngineError, match="OUT_OF_RANGE"):
        ZetaSQLEngine().run(sql, {"t": TableData(list(dtypes.items()), [list(inputs.values())])})


# What fakesnow cannot show, because DuckDB runs it: each row is (expression, a fragment the
# Snowflake SQL must contain, why).
SNOWFLAKE_GUARDS = [
    # Snowflake raises on x / 0 (fakesnow: inf) and divides NUMBERs into a NUMBER with its own
    # scale (fakesnow: DOUBLE). https://docs.snowflake.com/en/sql-reference/operators-arithmetic
    ("a / b", "CAST(a AS DOUBLE) / NULLIF(CAST(b AS DOUBLE), 0)"),
    ("a % b", "a % NULLIF(b, 0)"),
    # `/` on NUMBER rounds to scale 6, so TRUNC(x / y) could round up: divide the exact
    # multiple instead (fakesnow divides in DOUBLE).
    ("SECONDS_BETWEEN(ts, ts2)", "CAST(((DATE_PART(EPOCH_MICROSECOND, ts2) - DATE_PART("
                                 "EPOCH_MICROSECOND, ts)) - (DATE_PART(EPOCH_MICROSECOND, ts2) - "
                                 "DATE_PART(EPOCH_MICROSECOND, ts)) % 1000000) / 1000000 AS "
                                 "DECIMAL(38, 0))"),
    # Snowflake's DAYOFWEEK follows the WEEK_START session parameter (fakesnow ignores it).
    ("EXTRACT(ISODOW FROM ts)", "DATE_PART(DAYOFWEEKISO, ts)"),
    # TO_TIMESTAMP_NTZ with a format: no TIMESTAMP_INPUT_FORMAT or TIMESTAMP_TYPE_MAPPING.
    ("TIMESTAMP '2024-03-10 02:30:00'", "TO_TIMESTAMP_NTZ('2024-03-10 02:30:00.000000', "
                                        "'yyyy-mm-DD hh24:mi:ss.ff6')"),
    # Snowflake's own LEAST is NULL-propagating too, but fsql does not depend on it.
    ("LEAST(a, b)", "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE LEAST(a, b) END"),
    # ROUND(FLOAT, n) is never delegated (Snowflake documents FLOAT rounding as inexact).
    ("ROUND(f, 2)", "CAST(134217729.0e0 AS DOUBLE) * ABS(f)"),
]


@pytest.mark.parametrize(("text", "fragment"), SNOWFLAKE_GUARDS)
def test_snowflake_sql_carries_guards_fakesnow_cannot_check(text: str, fragment: str) -> None:
    d = get_dialect("snowflake")
    sql = to_sql(parse_expression(text, where="x"), d, exp.column,
                 input_dtypes=SQL_DTYPES).sql(dialect=d.sqlglot)
    assert fragment in sql
