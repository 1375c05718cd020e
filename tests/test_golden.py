"""Golden cases: compiled SQL equals the reviewed text, parses back, and executes to the
oracle's rows (DuckDB here; BigQuery and Snowflake engines in test_golden_engines.py)."""

from __future__ import annotations

import pytest
import sqlglot

from fsql.checks.golden import unified_diff
from tests.engines import Result
from tests.engines.duckdb_engine import DuckDBEngine
from tests.golden_support import DIALECTS, GoldenCase, assert_result_matches, cases

CASES = cases()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_sql_matches_golden(case: GoldenCase, dialect: str, update_golden: bool) -> None:
    path = case.path / f"{dialect}.sql"
    sql = case.sql(dialect)
    if update_golden:
        path.write_text(sql)
    assert path.exists(), f"{path} missing: run pytest --update-golden and review the diff"
    committed = path.read_text()
    assert sql == committed, (f"{path} differs from fsql's output; review and --update-golden:\n"
                              + unified_diff(f"{case.name}/{dialect}.sql", committed, sql))
    sqlglot.parse_one(path.read_text(), dialect=dialect)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_expected_is_the_oracle(case: GoldenCase, update_golden: bool) -> None:
    if update_golden:
        case.write_expected()
    oracle_result = Result(columns=list(case.output_dtypes), rows=case.oracle_rows())
    assert_result_matches(oracle_result, case.expected(), case.output_dtypes)


@pytest.mark.parametrize("time_zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_duckdb_golden_executes_to_expected(case: GoldenCase, time_zone: str) -> None:
    sql = (case.path / "duckdb.sql").read_text()
    result = DuckDBEngine(time_zone=time_zone).run(sql, case.tables)
    assert_result_matches(result, case.expected(), case.output_dtypes)
