"""Every golden executes on BigQuery's engine (GoogleSQL reference implementation), on
Snowflake's (fakesnow through the real connector) and on a real PostgreSQL server (psycopg) and
equals expected.csv, value for value."""

from __future__ import annotations

import pytest

from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.postgres_engine import PostgresEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.golden_support import GoldenCase, assert_result_matches, cases

pytestmark = pytest.mark.engine
CASES = cases()


@pytest.mark.parametrize("time_zone", ["UTC", "America/Los_Angeles"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bigquery_golden_on_googlesql(case: GoldenCase, time_zone: str) -> None:
    sql = (case.path / "bigquery.sql").read_text()
    result = ZetaSQLEngine(default_time_zone=time_zone).run(sql, case.tables)
    assert_result_matches(result, case.expected(), case.output_dtypes)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_snowflake_golden_on_fakesnow(case: GoldenCase) -> None:
    sql = (case.path / "snowflake.sql").read_text()
    result = FakesnowEngine().run(sql, case.tables)
    assert_result_matches(result, case.expected(), case.output_dtypes)


@pytest.mark.parametrize("time_zone", ["UTC", "America/Los_Angeles"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_postgres_golden_on_postgres(case: GoldenCase, time_zone: str) -> None:
    # The session TimeZone must change nothing; the database's ICU collation neither.
    sql = (case.path / "postgres.sql").read_text()
    result = PostgresEngine(time_zone=time_zone).run(sql, case.tables)
    assert_result_matches(result, case.expected(), case.output_dtypes)
