"""``fsql run --target snowflake://...`` on fakesnow's server: seconds per spine size.

    python bench/snowflake_target.py                      # spines of 1,000 and 10,000 rows
    python bench/snowflake_target.py --sizes 500,5000 --runs 2

The repository of tests/materialize_support.py (a snapshot view and an aggregation view), its
sources loaded into fakesnow's server (tests/engines/fakesnow_server.py) as tables of 20 rows
per user, and a local Parquet spine of N rows over N/10 users. Each run goes through the real
snowflake-connector-python: the spine uploaded to a TEMPORARY table (one JSON literal per
450 KB of rows), the training-set query, the Arrow fetch. Prints, per size, the seconds of
the upload alone and of the whole training set (the fastest of ``--runs``), and the growth
against the first size. fakesnow is DuckDB behind a sqlglot translation and an HTTP server
on this machine: the figures measure fsql's client path on it, not Snowflake's speed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.engines

from fsql.engines import snowflake  # noqa: E402
from fsql.engines.credentials import Credentials  # noqa: E402
from fsql.repo import Repo  # noqa: E402
from tests.engines import TableData  # noqa: E402
from tests.engines.fakesnow_engine import load_statements  # noqa: E402
from tests.engines.fakesnow_server import FakesnowServer  # noqa: E402
from tests.materialize_support import make_repo, t, write_table  # noqa: E402

SERVICE = ('\nfrom fsql import FeatureService\n'
           'svc = FeatureService("svc", features=[snap, activity])\n')
SPINE = pa.schema([("bank", pa.int64()), ("branch", pa.string()), ("user_id", pa.int64()),
                   ("event_timestamp", pa.timestamp("us", tz="UTC"))])


def _sources(users: int) -> dict[str, TableData]:
    snap = [[u, str(u % 7), t(10 * i), t(10 * i + 1), float(i), i, f"l{i}"]
            for u in range(users) for i in range(20)]
    events = [[u, t(10 * i + 5), float(u + i)] for u in range(users) for i in range(20)]
    return {
        "DB.SC.snap": TableData([("bank", "int64"), ("branch", "string"), ("ts", "timestamp"),
                                 ("created", "timestamp"), ("score", "float64"),
                                 ("n", "int64"), ("label", "string")], snap),
        "DB.SC.events": TableData([("user_id", "int64"), ("ts", "timestamp"),
                                   ("amount", "float64")], events)}


def _spine(rows: int) -> list[dict[str, Any]]:
    users = max(rows // 10, 1)
    return [{"bank": i % users, "branch": str(i % users % 7), "user_id": i % users,
             "event_timestamp": t(i % 200)} for i in range(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="spine rows, comma-separated")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (fastest shown)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    server = FakesnowServer()
    try:
        con = snowflake.connection("fakesnow", database="DB", schema="SC", options={
            "host": server.host, "port": str(server.port), "protocol": "http"},
            credentials=Credentials("bench", {"user": "fake", "password": "x"}))
        cursor = con.cursor()
        for statement in load_statements(_sources(max(sizes) // 10))[:-1]:
            cursor.execute(statement)
        with tempfile.TemporaryDirectory() as tmp:
            root = make_repo(Path(tmp) / "repo", SERVICE)
            repo = Repo.load(root)
            first = None
            print(f"{'spine rows':>10}  {'upload s':>9}  {'total s':>8}  growth")
            for size in sizes:
                rows = _spine(size)
                path = root / f"spine_{size}.parquet"
                write_table(path, SPINE, rows)
                table = pa.Table.from_pylist(rows, schema=SPINE)
                upload = total = float("inf")
                for run in range(args.runs):
                    started = time.perf_counter()
                    snowflake.upload(con, f"bench_{size}_{run}", table)
                    upload = min(upload, time.perf_counter() - started)
                    started = time.perf_counter()
                    result, _ = snowflake.training_set(repo, "svc", str(path), con=con)
                    total = min(total, time.perf_counter() - started)
                    assert result.num_rows == size
                first = first or total
                print(f"{size:>10}  {upload:>9.2f}  {total:>8.2f}  {total / first:.1f}x")
        con.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()
