"""The sub-quadratic aggregation plans (fsql/sql/running.py) at a size that exercises them:
a hot key with thousands of events (so windows cover blocks of many levels), ties, NULL
inputs, ``where=`` filters, boundary instants and every window from 1 µs to the lifetime,
checked against the oracle on DuckDB under both cuts."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fsql import Aggregate, Entity, FeatureView, Source
from fsql.plan.nodes import AggregationLookup, SpineRef
from fsql.repo import Repo
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.engines import Engine, TableData
from tests.engines.duckdb_engine import DuckDBEngine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.postgres_engine import PostgresEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.golden_support import assert_result_matches
from tests.scenarios import Scenario
from tests.test_properties import expected_rows

BASE = datetime(2024, 3, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
WINDOWS = [timedelta(microseconds=1), SECOND, timedelta(minutes=7), timedelta(hours=1),
           timedelta(days=1), None]


def _data(seed: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Events (key 1 hot: ~1,300 events on a 1-second grid, many ties) and a spine whose
    times sit on event instants, one microsecond off, and between them."""
    rng = random.Random(seed)
    events = []
    for n in range(1500):
        user = 1 if n < 1300 else rng.choice([2, 3, None])
        ts = BASE + rng.randrange(0, 3600) * SECOND
        created = None if rng.random() < 0.3 else ts + rng.choice([0, 1, 5]) * SECOND
        amount = None if rng.random() < 0.1 else rng.choice([-2.5, 0.25, 1.0, 3.75, 1e6])
        qty = None if rng.random() < 0.1 else rng.randrange(-5, 50)
        merchant = None if rng.random() < 0.1 else rng.choice(["m1", "m2", "m3", "m4", "m5"])
        events.append((user, ts, created, amount, qty, merchant))
    spine = []
    for n in range(60):
        anchor = rng.choice(events)[1]
        nudge = timedelta(microseconds=rng.choice([0, 0, -1, 1, 500_000]))
        spine.append((n, rng.choice([1, 1, 1, 2, 3, 4, None]), anchor + nudge, n % 2))
    spine.append((60, 1, None, 0))
    return events, spine


def _scenario(seed: int, cut: str) -> Scenario:
    events, spine = _data(seed)
    user = Entity("user", join_keys=["user_id"])
    source = Source("events", table="events", timestamp_field="ts",
                    created_timestamp_field="created")
    features = []
    for w in WINDOWS:
        label = "life" if w is None else str(int(w.total_seconds() * 1e6))
        features += [
            Aggregate("*", "count", window=w, name=f"n_{label}"),
            Aggregate("amount", "count", window=w, name=f"amount_n_{label}"),
            Aggregate("qty", "sum", window=w, dtype="int64", name=f"qty_sum_{label}"),
            Aggregate("amount", "avg", window=w, name=f"amount_avg_{label}"),
            Aggregate("amount", "min", window=w, dtype="float64", name=f"amount_min_{label}"),
            Aggregate("qty", "max", window=w, dtype="int64", default=-1, name=f"qty_max_{label}"),
            Aggregate("merchant", "count_distinct", window=w, name=f"merchants_{label}"),
            Aggregate("amount", "first", window=w, dtype="float64", name=f"amount_first_{label}"),
            Aggregate("merchant", "last", window=w, dtype="string", name=f"merchant_last_{label}"),
            Aggregate("amount", "sum", window=w, dtype="float64", where="qty > 10",
                      name=f"big_amount_sum_{label}"),
        ]
    view = FeatureView("txn", entities=[user], source=source, features=features)
    tables = {
        "events": TableData(
            columns=[("user_id", "int64"), ("ts", "timestamp"), ("created", "timestamp"),
                     ("amount", "float64"), ("qty", "int64"), ("merchant", "string")],
            rows=events,
        ),
        "spine": TableData(
            columns=[("spine_id", "int64"), ("user_id", "int64"),
                     ("event_timestamp", "timestamp"), ("label", "int64")],
            rows=spine,
        ),
    }
    ref = SpineRef("table", "spine", "event_timestamp",
                   columns=("spine_id", "user_id", "event_timestamp", "label"))
    plan = Repo.from_objects([view]).plan([view], ref, cut=cut)
    return Scenario(repo=Repo.from_objects([view]), tables=tables, plan=plan)


@pytest.mark.parametrize("cut", ["inclusive", "exclusive"])
@pytest.mark.parametrize("seed", [1, 2])
def test_duckdb_plans_equal_oracle_on_a_hot_key(seed: int, cut: str) -> None:
    scenario = _scenario(seed, cut)
    dialect = get_dialect("duckdb")
    plans = {dialect.aggregation_plans[a.function] for a in scenario.plan.lookups[0].outputs}
    assert {"running", "islands", "blocks", "asof"} <= plans
    sql = render(compile_plan(scenario.plan, dialect), dialect)
    result = DuckDBEngine().run(sql, scenario.tables)
    rows, dtypes = expected_rows(scenario)
    assert_result_matches(result, rows, dtypes)
    # The hot key's windows span many events: the blocks reach high levels.
    counts = [r[list(dtypes).index("n_3600000000")] for r in rows]
    assert max(c for c in counts if c is not None) > 400


@pytest.mark.engine
@pytest.mark.parametrize("cut", ["inclusive", "exclusive"])
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "postgres"])
def test_warehouse_first_last_equal_oracle_on_a_hot_key(dialect: str, cut: str) -> None:
    """first/last (the navigation plan) of the hot key, every window from 1 µs to the
    lifetime, on each warehouse's engine."""
    scenario = _scenario(1, cut)
    lookup = scenario.plan.lookups[0]
    assert isinstance(lookup, AggregationLookup)
    outputs = tuple(a for a in lookup.outputs if a.function in ("first", "last"))
    plan = dataclasses.replace(scenario.plan, lookups=(dataclasses.replace(lookup,
                                                                           outputs=outputs),))
    scenario = dataclasses.replace(scenario, plan=plan)
    target = get_dialect(dialect)
    assert {target.aggregation_plans[a.function] for a in outputs} == {"navigation"}
    engines: dict[str, Callable[[], Engine]] = {
        "bigquery": ZetaSQLEngine, "snowflake": FakesnowEngine, "postgres": PostgresEngine}
    sql = render(compile_plan(scenario.plan, target), target)
    result = engines[dialect]().run(sql, scenario.tables)
    rows, dtypes = expected_rows(scenario)
    assert_result_matches(result, rows, dtypes)
