"""The runner's choice between the range join (light keys) and the sub-quadratic plans."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from fsql import Aggregate, Entity, FeatureView, Repo, Source
from fsql.engines.plan_choice import choose_plans
from fsql.engines.runner import SPINE_INPUT, connect, load_spine
from fsql.plan.nodes import AggregationLookup
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect

user = Entity("user", join_keys=["user_id"])
view = FeatureView("txn", entities=[user], source=Source("events", table="events",
                                                         timestamp_field="ts"), features=[
    Aggregate("*", "count", window="1h"),
    Aggregate("amount", "max", window="1h", dtype="float64"),
    Aggregate("amount", "last", window="1d", dtype="float64"),
])
BASE = pd.Timestamp("2024-01-01", tz="UTC")


def _tables(hot: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """100 keys with 5 events and 2 spine rows each; ``hot``: key 0 has 3,000 of each."""
    n_events = [3000 if hot and k == 0 else 5 for k in range(100)]
    n_spine = [3000 if hot and k == 0 else 2 for k in range(100)]
    events = pd.DataFrame([
        {"user_id": k, "ts": BASE + pd.Timedelta(seconds=7 * i), "amount": float(i % 13)}
        for k in range(100) for i in range(n_events[k])])
    spine = pd.DataFrame([
        {"user_id": k, "event_timestamp": BASE + pd.Timedelta(seconds=11 * i)}
        for k in range(100) for i in range(n_spine[k])])
    return events, spine


@pytest.mark.parametrize("hot", [False, True])
def test_light_keys_take_the_range_join_and_both_plans_agree(hot: bool) -> None:
    events, spine = _tables(hot)
    con = connect()
    con.register("events", events)
    ref = load_spine(con, spine, timestamp_column="event_timestamp")
    repo = Repo.from_objects([view])
    dialect = get_dialect("duckdb")
    plan = choose_plans(repo.plan([view], ref), con, SPINE_INPUT, dialect)
    (lookup,) = plan.lookups
    assert isinstance(lookup, AggregationLookup) and lookup.light is (not hot)
    results = []
    for light in (True, False):
        forced = replace(plan, lookups=(replace(lookup, light=light),))
        results.append(con.execute(render(compile_plan(forced, dialect), dialect)).fetchall())
    assert results[0] == results[1] and len(results[0]) == len(spine)
