"""Property: on generated scenarios, DuckDB's result equals the oracle's, row for row."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings

from fsql import oracle
from fsql.errors import ExecutionError
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.engines import Result
from tests.engines.duckdb_engine import DuckDBEngine
from tests.golden_support import assert_result_matches, feature_dtypes
from tests.scenarios import Scenario, scenarios


def expected_rows(scenario: Scenario) -> tuple[list[tuple[object, ...]], dict[str, str]]:
    """Oracle rows in spine order (spine_id ascending = the SQL's row order)."""
    rows = oracle.evaluate(scenario.plan, scenario.spine_dicts(), scenario.source_dicts())
    dtypes = dict(scenario.tables["spine"].columns)
    dtypes.update(feature_dtypes(scenario.plan))
    return [tuple(r[c] for c in dtypes) for r in rows], dtypes


def assert_engine_equals_oracle(run: Callable[[], Result], scenario: Scenario) -> None:
    """The engine's rows equal the oracle's; where the oracle finds an int64 sum that does not
    fit, the engine's query must fail saying so (never a wrapped, rounded or float value)."""
    try:
        rows, dtypes = expected_rows(scenario)
    except ExecutionError as err:
        assert "overflows int64" in str(err)
        with pytest.raises(Exception, match=r"overflows int64"):
            run()
        return
    assert_result_matches(run(), rows, dtypes)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_duckdb_equals_oracle(scenario: Scenario) -> None:
    dialect = get_dialect("duckdb")
    sql = render(compile_plan(scenario.plan, dialect), dialect)
    assert_engine_equals_oracle(lambda: DuckDBEngine().run(sql, scenario.tables), scenario)
