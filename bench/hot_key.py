"""How the warehouse plans grow with one hot key: count_distinct and first/last on BigQuery,
Snowflake and Postgres.

    python bench/hot_key.py                                  # 10k, 100k, 1M events on one key
    python bench/hot_key.py --functions first_last --sizes 10k,100k --runs 2
    python bench/hot_key.py --functions first_last --engines googlesql,fakesnow --sizes 10k

One entity key holds N events (timestamps over 30 days, values from 1,000 distinct ints; every
17th amount NULL) and 1,000 spine rows. ``count_distinct``: the distinct merchants over 1 day.
``first_last``: first and last amount over 1 day and the lifetime last. fsql compiles the view
for each dialect twice: with the dialect's plan (islands for count_distinct, navigation for
first/last: O(n log n) per key) and with the range join the dialects used before (each spine
row joined to its events in the window: quadratic in events per key).

Engines: ``duckdb`` (default) transpiles each dialect's SQL to DuckDB with sqlglot and times it
there (no warehouse runs here; the curve, not the absolute figure, is the point); ``googlesql``
runs the BigQuery SQL on GoogleSQL's reference evaluator and ``fakesnow`` the Snowflake SQL
(tests/engines/; load time excluded where the engine allows, see the notes printed). The
results of both plans are compared row for row. Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import sqlglot

from fsql import Aggregate, Entity, FeatureView, Repo, Source
from fsql.plan.nodes import PointInTimePlan, SpineRef
from fsql.sql.compiler import render_plan
from fsql.sql.dialect import Dialect, load_dialect

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SPINE_ROWS = 1_000
SPAN_US = 30 * 86_400 * 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# function group -> the plan setting it measures: (the dialect file's key, its shipped plan)
FUNCTIONS = {
    "count_distinct": (("count_distinct",), "islands"),
    "first_last": (("first", "last"), "navigation"),
}
DIALECTS = {"count_distinct": ("bigquery", "snowflake"),
            "first_last": ("bigquery", "snowflake", "postgres")}
ENGINE_DIALECT = {"googlesql": "bigquery", "fakesnow": "snowflake"}


def _dialect(name: str, keys: tuple[str, ...], plan: str) -> Dialect:
    text = resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text()
    for key in keys:
        shipped = [line for line in text.splitlines() if line.startswith(f"{key} = ")]
        assert len(shipped) == 1, (name, key)
        text = text.replace(shipped[0], f'{key} = "{plan}"')
    return load_dialect(text, where=f"{name}.toml")


def _event(i: int, n: int) -> tuple[int, int, int, float | None]:
    """(user_id, ts in epoch micros, merchant_id, amount) of event ``i`` of ``n``."""
    amount = None if i % 17 == 0 else ((i * 7919) % 1000) / 10
    return 1, i * SPAN_US // n, (i * 7919) % 1000, amount


def _tables(con: duckdb.DuckDBPyConnection, n: int) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE events AS
        SELECT 1::BIGINT AS user_id,
               make_timestamp((i * {SPAN_US} // {n})::BIGINT) AS ts,
               ((i * 7919) % 1000)::BIGINT AS merchant_id,
               CASE WHEN i % 17 <> 0 THEN ((i * 7919) % 1000) / 10 END::DOUBLE AS amount
        FROM range({n}) t(i)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE spine AS
        SELECT i::BIGINT AS spine_id, 1::BIGINT AS user_id,
               make_timestamp((i * {SPAN_US} // {SPINE_ROWS})::BIGINT) AS event_timestamp
        FROM range({SPINE_ROWS}) t(i)""")


def _table_data(n: int) -> dict[str, object]:
    from tests.engines import TableData

    def stamp(us: int) -> datetime:
        return EPOCH + timedelta(microseconds=us)

    events = [(u, stamp(ts), m, a) for u, ts, m, a in (_event(i, n) for i in range(n))]
    spine = [(i, 1, stamp(i * SPAN_US // SPINE_ROWS)) for i in range(SPINE_ROWS)]
    return {
        "events": TableData(columns=[("user_id", "int64"), ("ts", "timestamp"),
                                     ("merchant_id", "int64"), ("amount", "float64")],
                            rows=events),
        "spine": TableData(columns=[("spine_id", "int64"), ("user_id", "int64"),
                                    ("event_timestamp", "timestamp")], rows=spine),
    }


def _plan(function: str) -> PointInTimePlan:
    user = Entity("user", join_keys=["user_id"])
    events = Source("events", table="events", timestamp_field="ts",
                    schema={"user_id": "int64", "ts": "timestamp", "merchant_id": "int64",
                            "amount": "float64"})
    features = {
        "count_distinct": [Aggregate("merchant_id", "count_distinct", window="1d",
                                     name="merchants_1d")],
        "first_last": [Aggregate("amount", "first", window="1d", name="amount_first_1d"),
                       Aggregate("amount", "last", window="1d", name="amount_last_1d"),
                       Aggregate("amount", "last", name="amount_last")],
    }[function]
    view = FeatureView("activity", entities=[user], source=events, features=features)
    repo = Repo.from_objects([view])
    spine = SpineRef("table", "spine", columns=("spine_id", "user_id", "event_timestamp"))
    return repo.plan([view], spine)


def _timed(run: Callable[[], list[tuple[object, ...]]], runs: int
           ) -> tuple[float, list[tuple[object, ...]]]:
    best, rows = float("inf"), []
    for _ in range(runs):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return best, rows


def _on_duckdb(args: argparse.Namespace, function: str) -> None:
    keys, shipped = FUNCTIONS[function]
    plan = _plan(function)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own plans (running counts, ASOF) give the rows every dialect's must equal, also
    # where the range join is skipped.
    native = render_plan(plan, load_dialect(
        resources.files("fsql.dialects").joinpath("duckdb.toml").read_text(), where="duckdb"))
    reference: dict[int, list[tuple[object, ...]]] = {}
    for dialect_name in DIALECTS[function]:
        previous: dict[str, float] = {}
        for size in args.sizes.split(","):
            n = SIZES[size]
            _tables(con, n)
            if n not in reference:
                reference[n] = con.execute(native).fetchall()
            results = {}
            for label in (shipped, "join"):
                sql = render_plan(plan, _dialect(dialect_name, keys, label))
                duck = sqlglot.transpile(sql, read=dialect_name, write="duckdb")[0]
                if label == "join" and n > args.join_limit:
                    print(f"{function:<14} {dialect_name:<10} {'duckdb':<9} {n:>9} {label:<10} "
                          f"{'skipped':>8}  (--join-limit)", flush=True)
                    continue
                best, results[label] = _timed(lambda duck=duck: con.execute(duck).fetchall(),
                                              args.runs)
                growth = f"x{best / previous[label]:.1f}" if label in previous else ""
                previous[label] = best
                print(f"{function:<14} {dialect_name:<10} {'duckdb':<9} {n:>9} {label:<10} "
                      f"{best:>8.2f}  {growth}", flush=True)
            assert results[shipped] == reference[n], "the plan disagrees with DuckDB's"
            if len(results) == 2:
                assert results[shipped] == results["join"], "plans disagree"


def _on_engine(args: argparse.Namespace, function: str, engine_name: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.engines
    from tests.engines.fakesnow_engine import FakesnowEngine
    from tests.engines.zetasql_engine import ZetaSQLEngine

    dialect_name = ENGINE_DIALECT[engine_name]
    keys, shipped = FUNCTIONS[function]
    plan = _plan(function)
    engine = ZetaSQLEngine() if engine_name == "googlesql" else FakesnowEngine(timeout=1800)
    for size in args.engine_sizes.split(","):
        n = SIZES[size]
        tables = _table_data(n)
        results = {}
        for label in (shipped, "join"):
            sql = render_plan(plan, _dialect(dialect_name, keys, label))
            if label == "join" and n > args.join_limit:
                print(f"{function:<14} {dialect_name:<10} {engine_name:<9} {n:>9} {label:<10} "
                      f"{'skipped':>8}  (--join-limit)", flush=True)
                continue
            try:
                best, rows = _timed(
                    lambda sql=sql, tables=tables: engine.run(sql, tables).rows,  # type: ignore[misc]
                    args.runs)
            except Exception as err:  # the engine's limits (memory, time) are a result here
                print(f"{function:<14} {dialect_name:<10} {engine_name:<9} {n:>9} {label:<10} "
                      f"{'failed':>8}  {type(err).__name__}: {str(err)[:80]}", flush=True)
                continue
            results[label] = rows
            print(f"{function:<14} {dialect_name:<10} {engine_name:<9} {n:>9} {label:<10} "
                  f"{best:>8.2f}  (load included)", flush=True)
        if len(results) == 2:
            assert results[shipped] == results["join"], "plans disagree"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--functions", default="count_distinct,first_last")
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--engines", default="duckdb",
                        help="duckdb (transpiled), googlesql, fakesnow")
    parser.add_argument("--engine-sizes", default="10k",
                        help="sizes for googlesql and fakesnow")
    parser.add_argument("--join-limit", type=int, default=10**7,
                        help="skip the range join above this many events")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"{'function':<14} {'dialect':<10} {'engine':<9} {'events':>9} {'plan':<10} "
          f"{'seconds':>8}  growth")
    for function in args.functions.split(","):
        for engine in args.engines.split(","):
            if engine == "duckdb":
                _on_duckdb(args, function)
            else:
                _on_engine(args, function, engine)


if __name__ == "__main__":
    main()
