"""first/last with the navigation plan (fsql/sql/navigation.py) on every engine, against the
oracle: ties on (event ts, created ts) broken by the value (NaN greatest, strings by code
point, booleans false < true), NULL values and NULL created times, duplicate events, events and
windows meeting exactly at t - w and at t, events created after the spine time (with and
without the created cutoff), lifetime windows, several windows of one input, ``where=``,
empty inputs; under both cuts. BigQuery, Snowflake and Postgres use the plan as shipped; DuckDB
(whose shipped plan is ``asof``) runs it with a global sort and partitioned by key."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from sqlglot import exp

from fsql import Aggregate, Entity, FeatureView, Source
from fsql.plan.nodes import SpineRef
from fsql.repo import Repo
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import Dialect, get_dialect, load_dialect
from fsql.sql.tree import SPINE
from tests.engines import Engine, TableData
from tests.engines.duckdb_engine import DuckDBEngine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.postgres_engine import PostgresEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.scenarios import Scenario
from tests.test_properties import assert_engine_equals_oracle

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)
H = timedelta(hours=1)
US = timedelta(microseconds=1)
NAN = math.nan

EVENT_COLUMNS = [("user_id", "int64"), ("ts", "timestamp"), ("created", "timestamp"),
                 ("amount", "float64"), ("tag", "string"), ("flag", "bool"),
                 ("seen", "timestamp"), ("qty", "int64")]
EVENTS: list[tuple[object, ...]] = [
    # user 1: three events at T0, two of them tied on (ts, created): the value decides.
    (1, T0, None, 1.0, "b", True, T0, 5),
    (1, T0, T0, 2.0, "a", False, T0 + H, 3),
    (1, T0, T0, NAN, "B", True, T0 - H, 3),
    (1, T0 + H / 2, None, None, None, None, None, None),  # NULL values are ignored
    # exactly at t - w of the spine rows at T0 + 2h, twice (duplicates)
    (1, T0 + H, T0 + H, -0.0, "é", False, T0, 8),
    (1, T0 + H, T0 + H, -0.0, "é", False, T0, 8),
    # exactly at the spine time T0 + 2h, created an hour after it
    (1, T0 + 2 * H, T0 + 3 * H, 7.0, "z", True, T0 + 2 * H, 12),
    (1, T0 + 2 * H + US, None, -math.inf, "Z", False, T0, 1),
    (1, T0 + 3 * H, T0 + 2 * H, math.inf, "", None, T0, 20),
    # user 2: only NULL values; user 4: one event long before the spine
    (2, T0, None, None, None, None, None, None),
    (4, T0 - 30 * H, None, 4.0, "q", True, T0, 40),
    (None, T0, None, 9.0, "n", True, T0, 9),  # a NULL key is never visible
    (1, None, None, 9.0, "n", True, T0, 9),  # a NULL time neither
]
SPINE_COLUMNS = [("spine_id", "int64"), ("user_id", "int64"), ("event_timestamp", "timestamp")]
SPINE_ROWS: list[tuple[object, ...]] = [
    (0, 1, T0 - US), (1, 1, T0), (2, 1, T0 + US), (3, 1, T0 + H), (4, 1, T0 + H + US),
    (5, 1, T0 + 2 * H), (6, 1, T0 + 2 * H), (7, 1, T0 + 2 * H + US), (8, 1, T0 + 3 * H),
    (9, 1, T0 + 10 * H), (10, 2, T0 + H), (11, 3, T0 + H), (12, 4, T0), (13, None, T0 + H),
    (14, 1, None),
]


def _features() -> list[Aggregate]:
    out = []
    for window, label in ((US, "1us"), (H, "1h"), (2 * H, "2h"), (None, "life")):
        out += [
            Aggregate("amount", "first", window=window, dtype="float64",
                      name=f"amount_first_{label}"),
            Aggregate("amount", "last", window=window, dtype="float64",
                      name=f"amount_last_{label}"),
            Aggregate("tag", "first", window=window, dtype="string", name=f"tag_first_{label}"),
            Aggregate("tag", "last", window=window, dtype="string", name=f"tag_last_{label}"),
            Aggregate("flag", "first", window=window, dtype="bool", name=f"flag_first_{label}"),
            Aggregate("flag", "last", window=window, dtype="bool", default=False,
                      name=f"flag_last_{label}"),
        ]
    out += [
        Aggregate("seen", "last", window=H, dtype="timestamp", name="seen_last_1h"),
        Aggregate("qty", "first", window=2 * H, dtype="int64", default=-1, where="qty > 4",
                  name="big_qty_first_2h"),
        Aggregate("qty", "last", dtype="int64", where="qty > 4", name="big_qty_last"),
    ]
    return out


def _scenario(cut: str, *, created_cutoff: bool = False, events: bool = True,
              spine: bool = True, only: str | None = None) -> Scenario:
    user = Entity("user", join_keys=["user_id"])
    source = Source("events", table="events", timestamp_field="ts",
                    created_timestamp_field="created")
    features = [f for f in _features() if only is None or f.function == only]
    view = FeatureView("txn", entities=[user], source=source, features=features)
    tables = {
        "events": TableData(columns=EVENT_COLUMNS, rows=EVENTS if events else []),
        "spine": TableData(columns=SPINE_COLUMNS, rows=SPINE_ROWS if spine else []),
    }
    ref = SpineRef("table", "spine", "event_timestamp", columns=tuple(c for c, _ in SPINE_COLUMNS))
    repo = Repo.from_objects([view])
    plan = repo.plan([view], ref, cut=cut, created_cutoff=created_cutoff)
    return Scenario(repo=repo, tables=tables, plan=plan)


def _navigation(name: str, *, partitioned: bool | None = None) -> Dialect:
    """The shipped dialect with first/last on the navigation plan."""
    text = resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text()
    for function in ("first", "last"):
        for plan in ("asof", "join", "frames"):
            text = text.replace(f'{function} = "{plan}"', f'{function} = "navigation"')
    dialect = load_dialect(text, where=f"{name}.toml")
    if partitioned is not None:
        dialect = dataclasses.replace(dialect, running_partitioned=partitioned)
    return dialect


CASES = [
    pytest.param(cut, options, id=f"{cut}-{label}")
    for cut in ("inclusive", "exclusive")
    for label, options in (
        ("all", {}),
        ("last-only", {"only": "last"}),  # one probe per spine row: no pivot
        ("first-only", {"only": "first"}),
        ("created-cutoff", {"created_cutoff": True}),
        ("no-events", {"events": False}),
        ("no-spine", {"spine": False}),
    )
]


def _run(dialect: Dialect, engine: Engine, scenario: Scenario) -> None:
    sql = render(compile_plan(scenario.plan, dialect), dialect)
    assert_engine_equals_oracle(lambda: engine.run(sql, scenario.tables), scenario)


@pytest.mark.parametrize("partitioned", [False, True], ids=["global-sort", "partitioned"])
@pytest.mark.parametrize(("cut", "options"), CASES)
def test_duckdb_navigation_equals_oracle(cut: str, options: dict[str, object],
                                         partitioned: bool) -> None:
    scenario = _scenario(cut, **options)  # type: ignore[arg-type]
    _run(_navigation("duckdb", partitioned=partitioned), DuckDBEngine(), scenario)


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "postgres"])
@pytest.mark.parametrize(("cut", "options"), CASES)
def test_warehouse_first_last_equal_oracle(dialect: str, cut: str,
                                           options: dict[str, object]) -> None:
    engines: dict[str, Callable[[], Engine]] = {
        "bigquery": lambda: ZetaSQLEngine(default_time_zone="America/Los_Angeles"),
        "snowflake": FakesnowEngine,
        "postgres": lambda: PostgresEngine(time_zone="Asia/Kolkata"),
    }
    scenario = _scenario(cut, **options)  # type: ignore[arg-type]
    _run(get_dialect(dialect), engines[dialect](), scenario)


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "postgres"])
def test_warehouses_use_no_range_join_for_first_last(dialect: str) -> None:
    """The shipped plan is navigation: no join of spine rows to events (the range join was
    quadratic in events per key), the spine read once, the events once."""
    d = get_dialect(dialect)
    assert d.aggregation_plans["first"] == d.aggregation_plans["last"] == "navigation"
    tree = compile_plan(_scenario("inclusive").plan, d)
    ctes = {cte.alias: cte.this for cte in tree.find_all(exp.CTE)}
    # BigQuery and Snowflake: a link of the chain (fsql/sql/aggregation.py link_cte).
    nav = ctes.get("__fsql_txn_nav") or ctes["__fsql_txn_link"]
    tables = [t.name for t in nav.find_all(exp.Table)]
    assert sorted(tables) == sorted([SPINE, "__fsql_txn_src"]), tables
    for join in nav.find_all(exp.Join):  # the probes' VALUES list; the link's union
        assert not isinstance(join.this, exp.Table), join.sql(dialect=d.sqlglot)
        on = join.args.get("on")
        # The link's FULL JOIN on a row id the events do not have: no event matches a row.
        assert on is None or {c.name for c in on.find_all(exp.Column)} == {
            "__fsql_rid", "__fsql_none"}, join.sql(dialect=d.sqlglot)
    assert not any(name.startswith("__fsql_txn_rank") or name == "__fsql_txn_groups"
                   for name in ctes)
