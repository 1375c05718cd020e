"""``fsql backfill --target snowflake://...`` on fakesnow's server: seconds per grid size.

    python bench/snowflake_backfill.py                    # 8 and 80 grid times, 200 users
    python bench/snowflake_backfill.py --points 8,80 --users 500 --chunk 8

The repository of tests/materialize_support.py, its aggregation view ``activity`` (count,
sum and lifetime windows per user) over a source loaded into fakesnow's server
(tests/engines/fakesnow_server.py) with 20 events per user. Each size is a fresh backfill
(its own schema) through the real snowflake-connector-python: the printed script's
statements one by one, ``--chunk`` grid times per transaction. Prints, per grid size, the
chunks, the rows written, the seconds, rows per second and the growth against the first
size. fakesnow is DuckDB behind a sqlglot translation and an HTTP server on this machine: the
figures measure fsql's client path on it, not Snowflake's speed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.engines

from fsql.engines import snowflake  # noqa: E402
from fsql.engines.credentials import Credentials  # noqa: E402
from fsql.materialize.backfill_snowflake import backfill_in_snowflake  # noqa: E402
from fsql.repo import Repo  # noqa: E402
from tests.engines import TableData  # noqa: E402
from tests.engines.fakesnow_engine import load_statements  # noqa: E402
from tests.engines.fakesnow_server import FakesnowServer  # noqa: E402
from tests.materialize_support import make_repo, t  # noqa: E402

EVERY = timedelta(minutes=30)


def _events(schema: str, users: int) -> dict[str, TableData]:
    events = [[u, t(10 * i + 5), float(u + i)] for u in range(users) for i in range(20)]
    return {f"DB.{schema}.events": TableData([("user_id", "int64"), ("ts", "timestamp"),
                                              ("amount", "float64")], events)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="8,80", help="grid times, comma-separated")
    parser.add_argument("--users", type=int, default=200, help="entity keys")
    parser.add_argument("--chunk", type=int, default=8, help="grid times per transaction")
    args = parser.parse_args()
    sizes = [int(s) for s in args.points.split(",")]
    server = FakesnowServer()
    os.environ["SNOWFLAKE_PASSWORD"] = "x"  # fakesnow accepts any password
    try:
        con = snowflake.connection("fakesnow", database="DB", schema="SC", options={
            "host": server.host, "port": str(server.port), "protocol": "http"},
            credentials=Credentials("bench", {"user": "fake", "password": "x"}))
        with tempfile.TemporaryDirectory() as tmp:
            repo = Repo.load(make_repo(Path(tmp) / "repo"))
            first = None
            print(f"{'grid times':>10}  {'chunks':>6}  {'rows':>7}  {'seconds':>7}  "
                  f"{'rows/s':>7}  growth")
            for size in sizes:
                schema = f"BENCH_{size}"
                for statement in load_statements(_events(schema, args.users))[:-1]:
                    con.cursor().execute(statement)
                target = (f"snowflake://fake@fakesnow/DB/{schema}?host={server.host}"
                          f"&port={server.port}&protocol=http")
                done = backfill_in_snowflake(repo, view="activity", start=t(0),
                                             end=t(0) + EVERY * (size - 1), every=EVERY,
                                             target=target, chunk=args.chunk)
                assert done.points == size and done.chunks_skipped == 0
                first = first or done.seconds
                print(f"{size:>10}  {done.chunks_written:>6}  {done.rows:>7}  "
                      f"{done.seconds:>7.2f}  {done.rows / done.seconds:>7.0f}  "
                      f"{done.seconds / first:.1f}x")
        con.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()
