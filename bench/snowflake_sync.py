"""Sync from a Snowflake latest table into SQLite, through snowflake-connector-python against
fakesnow's server: the seconds of reading the table in batches (fsql.online.snowflake_latest)
and of the whole sync (batches + compare-and-set writes), per table size, and the growth.

fakesnow is DuckDB behind a sqlglot translation and an HTTP server on this machine: the
figures measure fsql's client path on it, not Snowflake's speed.

    PYTHONPATH=$PWD .venv/bin/python bench/snowflake_sync.py --sizes 20000,200000
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsql.engines import snowflake
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP
from fsql.materialize.run import layout_for
from fsql.materialize.targets import parse_url, snowflake_connection
from fsql.online import snowflake_latest
from fsql.online.from_latest import view_state
from fsql.online.stores import open_store
from fsql.online.sync import sync_view
from fsql.repo import Repo
from tests.engines.fakesnow_server import FakesnowServer
from tests.materialize_support import make_repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,200000", help="rows of the latest table")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="fsql-bench-sfsync-"))
    repo = Repo.load(make_repo(tmp / "repo"))
    layout = layout_for(repo, repo.views["activity"], "inclusive", dialect="snowflake")
    os.environ["SNOWFLAKE_PASSWORD"] = "x"  # fakesnow takes any
    server = FakesnowServer()
    results = []
    try:
        target = parse_url(f"snowflake://fake@fakesnow/DB/SC?warehouse=WH&host={server.host}"
                           f"&port={server.port}&protocol=http", root=tmp)
        con = snowflake_connection(target)
        con.cursor().execute("CREATE DATABASE IF NOT EXISTS DB")
        con.cursor().execute("CREATE SCHEMA IF NOT EXISTS DB.SC")
        start = datetime(2024, 1, 1, tzinfo=UTC)
        for n in sizes:
            columns: dict[str, list[object]] = {"user_id": list(range(n)),
                                                FEATURE_TIMESTAMP: [start + timedelta(seconds=i)
                                                                    for i in range(n)],
                                                CREATED_TIMESTAMP: [start] * n}
            for i, (name, dtype) in enumerate(layout.features):
                columns[name] = [k % 7 if str(dtype) == "int64" else k * (i + 0.5)
                                 for k in range(n)]
            snowflake.upload(con, f"DB.SC.{layout.name}", pa.table(columns), temporary=False)
            started = time.perf_counter()
            read = sum(1 for _ in snowflake_latest.latest_rows(con, target, layout))
            read_s = time.perf_counter() - started
            assert read == n, (read, n)
            store = open_store(f"sqlite:///{tmp / f'online_{n}.db'}", root=tmp)
            started = time.perf_counter()
            result = sync_view(store, "activity", view_state(layout, 1),
                               snowflake_latest.latest_rows(con, target, layout))
            sync_s = time.perf_counter() - started
            store.close()
            assert result.keys == n and result.written == n, result
            con.cursor().execute(f"DROP TABLE DB.SC.{layout.name}")
            results.append((n, read_s, sync_s))
        con.close()
    finally:
        server.close()
    print("| rows | read batches s | sync into SQLite s | rows/s (sync) |")
    print("|---:|---:|---:|---:|")
    for n, read_s, sync_s in results:
        print(f"| {n} | {read_s:.2f} | {sync_s:.2f} | {n / sync_s:,.0f} |")
    for (n0, r0, s0), (n1, r1, s1) in itertools.pairwise(results):
        print(f"{n1 / n0:g}x rows: read {r1 / r0:.1f}x slower, sync {s1 / s0:.1f}x slower")


if __name__ == "__main__":
    main()
