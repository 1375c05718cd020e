"""``avg`` of floats with infinities follows IEEE 754 on every engine: an infinity among finite
values is that infinity, +inf with -inf is NaN, a NaN is NaN (docs/semantics.md, "Floats").
BigQuery's AVG keeps a running mean, which gives NaN for +inf and 0.5 (found by a longer run
of the differential property); fsql takes such an average from the IEEE sum there."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fsql import Aggregate, Entity, FeatureView, Repo, Source, oracle
from fsql.plan.nodes import SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.engines import Engine, TableData
from tests.engines.duckdb_engine import DuckDBEngine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.postgres_engine import PostgresEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.scenarios import Scenario
from tests.test_properties import assert_engine_equals_oracle

T0 = datetime(2024, 1, 1, tzinfo=UTC)
GROUPS = {  # key: the values of its events
    1: [0.5, math.inf],
    2: [-math.inf, 2.0, 3.0],
    3: [math.inf, -math.inf],
    4: [math.nan, math.inf],
    5: [1e308, 1e308, math.inf],
    6: [1e308, 1e308, 3.0],
    7: [1.0, 2.0, None],
    8: [math.inf, math.inf],
}
ENGINES: dict[str, Callable[[], Engine]] = {
    "duckdb": DuckDBEngine,
    "bigquery": lambda: ZetaSQLEngine(default_time_zone="America/New_York"),
    "snowflake": FakesnowEngine,
    "postgres": lambda: PostgresEngine(time_zone="Asia/Kolkata"),
}


def scenario(window: str | None) -> Scenario:
    """Each key's events a minute apart before T0; spine rows at T0 and two hours later (a
    1h window then holds nothing)."""
    source = Source("events", table="events", timestamp_field="ts",
                    schema={"user_id": "int64", "ts": "timestamp", "x": "float64"})
    view = FeatureView("v", entities=[Entity("user", join_keys=["user_id"])], source=source,
                       features=[Aggregate("x", "avg", window=window, name="x_avg")])
    events = [(key, T0 - timedelta(minutes=i + 1), value)
              for key, values in GROUPS.items() for i, value in enumerate(values)]
    spine = [(i, key, at, 0) for i, (key, at) in enumerate(
        (key, at) for key in GROUPS for at in (T0, T0 + timedelta(hours=2)))]
    tables = {
        "events": TableData([("user_id", "int64"), ("ts", "timestamp"), ("x", "float64")],
                            events),
        "spine": TableData([("spine_id", "int64"), ("user_id", "int64"),
                            ("event_timestamp", "timestamp"), ("label", "int64")], spine),
    }
    repo = Repo.from_objects([view])
    ref = SpineRef("table", "spine", "event_timestamp",
                   columns=("spine_id", "user_id", "event_timestamp", "label"))
    return Scenario(repo, tables, repo.plan([view], ref, full_names=True))


@pytest.mark.engine
@pytest.mark.parametrize("window", [None, "1h"])
@pytest.mark.parametrize("dialect", list(ENGINES))
def test_avg_with_infinities_equals_the_oracle(dialect: str, window: str | None) -> None:
    case = scenario(window)
    target = get_dialect(dialect)
    sql = render(compile_plan(case.plan, target), target)
    engine = ENGINES[dialect]()
    assert_engine_equals_oracle(lambda: engine.run(sql, case.tables), case)


def test_the_oracle_takes_the_ieee_average() -> None:
    case = scenario(None)
    got = {r["user_id"]: r["v__x_avg"] for r in oracle.evaluate(
        case.plan, case.spine_dicts(), case.source_dicts()) if r["event_timestamp"] == T0}
    assert got[1] == math.inf and got[2] == -math.inf and got[8] == math.inf
    assert math.isnan(got[3]) and math.isnan(got[4])
    assert got[5] == math.inf and got[6] == pytest.approx(1e308 / 3 * 2)
    assert got[7] == 1.5
