"""Differential properties: generated scenarios run on BigQuery's and Snowflake's engines and on
PostgreSQL and equal the oracle (DuckDB's property, with more examples, is in
test_properties.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings

from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.engines import Engine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.postgres_engine import PostgresEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.scenarios import Scenario, scenarios
from tests.test_properties import assert_engine_equals_oracle

pytestmark = pytest.mark.engine


def _check(scenario: Scenario, dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    sql = render(compile_plan(scenario.plan, dialect), dialect)
    # BigQuery's engine runs under a non-UTC default time zone: no literal or conversion fsql
    # writes may depend on it.
    # Postgres runs under a non-UTC session TimeZone for the same reason.
    engines: dict[str, Callable[[], Engine]] = {
        "bigquery": lambda: ZetaSQLEngine(default_time_zone="America/New_York"),
        "snowflake": FakesnowEngine,
        "postgres": lambda: PostgresEngine(time_zone="Asia/Kolkata"),
    }
    engine = engines[dialect_name]()
    assert_engine_equals_oracle(lambda: engine.run(sql, scenario.tables), scenario)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_rows=10, max_spine=8))
def test_bigquery_equals_oracle(scenario: Scenario) -> None:
    _check(scenario, "bigquery")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_rows=10, max_spine=8))
def test_snowflake_equals_oracle(scenario: Scenario) -> None:
    _check(scenario, "snowflake")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_rows=10, max_spine=8))
def test_postgres_equals_oracle(scenario: Scenario) -> None:
    _check(scenario, "postgres")
