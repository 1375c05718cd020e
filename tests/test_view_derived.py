"""Derived features listed in a FeatureView: definition errors, request forms, names, and
inputs the request did not select (computed, not output)."""

from __future__ import annotations

import pandas as pd
import pytest

from fsql import (
    Aggregate,
    DefinitionError,
    Derived,
    Entity,
    FeatureService,
    FeatureView,
    Field,
    Repo,
    Source,
)
from fsql.plan.nodes import SpineRef

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts")


def _view() -> FeatureView:
    return FeatureView("activity", entities=[user], source=events, features=[
        Aggregate("amount", "sum", window="1d", dtype="float64"),
        Aggregate("*", "count", window="1d"),
        Derived("avg_1d", "amount_sum_1d / NULLIF(count_1d, 0)"),
    ])


def test_a_view_derived_may_read_only_its_view() -> None:
    with pytest.raises(DefinitionError, match=r"Derived 'ratio'.*reads \['amount'\].*"
                                              r"FeatureService"):
        FeatureView("v", entities=[user], source=events, features=[
            Field("balance", "float64"), Derived("ratio", "amount / balance")])


def test_a_view_needs_a_field_or_aggregate_and_unique_names() -> None:
    with pytest.raises(DefinitionError, match="at least one Field or Aggregate"):
        FeatureView("v", entities=[user], source=events, features=[Derived("one", "1")])
    with pytest.raises(DefinitionError, match=r"duplicate feature names \['balance'\]"):
        FeatureView("v", entities=[user], source=events, features=[
            Field("balance", "float64"), Derived("balance", "balance * 2")])


SPINE = SpineRef("table", "spine", "event_timestamp",
                 columns=("user_id", "event_timestamp", "amount"))


@pytest.mark.parametrize("request_", ["activity:avg_1d", ["activity:avg_1d"]])
def test_requesting_only_the_derived_computes_its_inputs_hidden(request_: object) -> None:
    view = _view()
    plan = Repo.from_objects([view]).plan(request_, SPINE)
    assert plan.output_names == ("avg_1d",)
    assert plan.hidden_names == ("__fsql_activity__amount_sum_1d", "__fsql_activity__count_1d")
    (derived,) = plan.derived
    assert derived.column("count_1d") == "__fsql_activity__count_1d"


def test_full_names_prefix_a_view_derived_like_its_other_features() -> None:
    view = _view()
    plan = Repo.from_objects([view]).plan([view], SPINE, full_names=True)
    assert plan.output_names == ("activity__amount_sum_1d", "activity__count_1d",
                                 "activity__avg_1d")
    assert plan.hidden_names == ()
    assert plan.derived[0].column("count_1d") == "activity__count_1d"


def test_view_and_service_derived_run_end_to_end_with_hidden_inputs() -> None:
    view = _view()
    service = FeatureService("svc", [view[["avg_1d"]], Derived("double_avg", "avg_1d * 2")])
    repo = Repo.from_objects([view, service])
    ts = pd.Timestamp("2024-01-02", tz="UTC")
    events_df = pd.DataFrame({"user_id": [1, 1, 2], "ts": [ts - pd.Timedelta("1h")] * 3,
                              "amount": [2.0, 4.0, None]})
    spine = pd.DataFrame({"user_id": [1, 2, 3], "event_timestamp": [ts] * 3})
    from fsql.engines.runner import connect, training_set_sql

    con = connect()
    con.register("events", events_df)
    sql, names = training_set_sql(repo, "svc", con, spine)
    assert names == ("avg_1d", "double_avg")
    cursor = con.execute(sql)
    out = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
    assert list(out.columns) == ["user_id", "event_timestamp", "avg_1d", "double_avg"]
    assert out["avg_1d"].tolist()[:1] == [3.0] and out["double_avg"].tolist()[:1] == [6.0]
    assert out["avg_1d"].isna().tolist()[1:] == [True, True]  # no amounts; no events
