"""How the warehouse plans grow with one hot key: count_distinct on BigQuery and Snowflake.

    python bench/hot_key.py                      # 10k, 100k, 1M events on one key
    python bench/hot_key.py --sizes 10k,100k --runs 2

One entity key holds N events (values from 1,000 distinct ints, timestamps over 30 days) and
1,000 spine rows; the view counts distinct values over 1 day. fsql compiles the view for
BigQuery and for Snowflake twice: with the dialect's plan (islands: running counts partitioned
by key, O(n log n)) and with the range join the dialects used before (each spine row joined to
its events in the window: quadratic in events per key). Neither warehouse runs here, so each
query is transpiled to DuckDB by sqlglot and timed on DuckDB: the curve, not the absolute
figure, is the point. The results of both plans are compared row for row. Prints a table.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources

import duckdb
import sqlglot

from fsql import Aggregate, Entity, FeatureView, Repo, Source
from fsql.plan.nodes import SpineRef
from fsql.sql.compiler import render_plan
from fsql.sql.dialect import load_dialect

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SPINE_ROWS = 1_000


def _dialect(name: str, plan: str | None):  # type: ignore[no-untyped-def]
    text = resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text()
    if plan is not None:
        text = text.replace('count_distinct = "islands"', f'count_distinct = "{plan}"')
    return load_dialect(text, where=f"{name}.toml")


def _tables(con: duckdb.DuckDBPyConnection, n: int) -> None:
    span_us = 30 * 86_400 * 1_000_000
    con.execute(f"""
        CREATE OR REPLACE TABLE events AS
        SELECT 1::BIGINT AS user_id,
               make_timestamp((i * {span_us} // {n})::BIGINT) AS ts,
               ((i * 7919) % 1000)::BIGINT AS merchant_id
        FROM range({n}) t(i)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE spine AS
        SELECT i::BIGINT AS spine_id, 1::BIGINT AS user_id,
               make_timestamp((i * {span_us} // {SPINE_ROWS})::BIGINT) AS event_timestamp
        FROM range({SPINE_ROWS}) t(i)""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    user = Entity("user", join_keys=["user_id"])
    events = Source("events", table="events", timestamp_field="ts",
                    schema={"user_id": "int64", "ts": "timestamp", "merchant_id": "int64"})
    view = FeatureView("activity", entities=[user], source=events, features=[
        Aggregate("merchant_id", "count_distinct", window="1d", name="merchants_1d")])
    repo = Repo.from_objects([view])
    spine = SpineRef("table", "spine", columns=("spine_id", "user_id", "event_timestamp"))
    plan = repo.plan([view], spine)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    print(f"{'dialect':<10} {'events':>9} {'plan':<8} {'seconds':>8}  growth")
    for dialect_name in ("bigquery", "snowflake"):
        previous: dict[str, float] = {}
        for size in args.sizes.split(","):
            n = SIZES[size]
            _tables(con, n)
            results = {}
            for label, override in (("islands", None), ("join", "join")):
                sql = render_plan(plan, _dialect(dialect_name, override))
                duck = sqlglot.transpile(sql, read=dialect_name, write="duckdb")[0]
                best = float("inf")
                for _ in range(args.runs):
                    started = time.perf_counter()
                    results[label] = con.execute(duck).fetchall()
                    best = min(best, time.perf_counter() - started)
                growth = f"x{best / previous[label]:.1f}" if label in previous else ""
                previous[label] = best
                print(f"{dialect_name:<10} {n:>9} {label:<8} {best:>8.2f}  {growth}", flush=True)
            assert results["islands"] == results["join"], "plans disagree"


if __name__ == "__main__":
    main()
