"""A 7-view service on GoogleSQL's reference evaluator: seconds per query.

    python bench/googlesql_service.py                 # the BigQuery SQL of this checkout
    python bench/googlesql_service.py --runs 2 --print-sql

The fraud example's data (examples/fraud/generate_data.py: 150 users, 30 merchants, 4,100
transactions over 30 days), and a request of 7 views over it: the example's user_profile,
user_risk, merchant_stats and user_activity, the profile again under a second name, and two
aggregation views of the transactions (per merchant: counts, sums, distinct users, last
amount; per user: first/last amount and merchant over 1 day, 7 days and the lifetime). The
spine is the first 361 transactions (exclusive cut, as the fraud service). The source tables
hold about 8,500 rows in all. fsql compiles the request for BigQuery; the query runs on the
GoogleSQL reference implementation (tests/engines/zetasql_engine.py) and is timed (the fastest
of ``--runs``; loading the rows into the request is included, about 0.1 s here). Prints the
seconds, the row count and the number of references to each base table and to the spine CTE.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.engines

from fsql import Aggregate, FeatureView, Repo  # noqa: E402
from fsql.plan.nodes import SpineRef  # noqa: E402
from tests.engines import TableData  # noqa: E402
from tests.engines.zetasql_engine import ZetaSQLEngine  # noqa: E402
from tests.table_reads import table_reads  # noqa: E402

SPINE_ROWS = 361


def _dtype(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind):
        return "int64"
    if pa.types.is_floating(kind):
        return "float64"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    return "string"


def _table(path: Path, limit: int | None = None) -> TableData:
    data = pq.read_table(path)
    if limit is not None:
        data = data.slice(0, limit)
    columns = [(f.name, _dtype(f.type)) for f in data.schema]
    return TableData(columns=columns, rows=[tuple(r.values()) for r in data.to_pylist()])


def build(directory: Path) -> tuple[Repo, list[Any], SpineRef, dict[str, TableData]]:
    """The repository, the 7 views, the spine and the tables (under their warehouse names)."""
    repo_dir = directory / "fraud"
    shutil.copytree(ROOT / "examples" / "fraud", repo_dir,
                    ignore=shutil.ignore_patterns("*.parquet", "*.sql", "__pycache__"))
    spec = importlib.util.spec_from_file_location("fraud_data", repo_dir / "generate_data.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(repo_dir / "data", users=150, merchants=30, transactions=4100, days=30)
    repo = Repo.load(repo_dir)
    transactions = repo.sources["transactions"]
    merchant_activity = FeatureView(
        "merchant_activity", entities=[repo.entities["merchant"]], source=transactions,
        features=[
            Aggregate("*", "count", window="1h", name="m_txn_1h"),
            Aggregate("*", "count", window="24h", name="m_txn_24h"),
            Aggregate("amount", "sum", window="24h", dtype="float64", name="m_amount_24h"),
            Aggregate("user_id", "count_distinct", window="7d", name="m_users_7d"),
            Aggregate("amount", "last", window="24h", dtype="float64", name="m_last_amount"),
        ])
    user_recent = FeatureView(
        "user_recent", entities=[repo.entities["user"]], source=transactions,
        features=[
            Aggregate("amount", "first", window="24h", dtype="float64", name="first_amount_24h"),
            Aggregate("amount", "last", window="24h", dtype="float64", name="last_amount_24h"),
            Aggregate("amount", "first", window="7d", dtype="float64", name="first_amount_7d"),
            Aggregate("merchant_id", "last", window="7d", dtype="int64",
                      name="last_merchant_7d"),
            Aggregate("amount", "last", dtype="float64", name="last_amount"),
        ])
    views = [repo.views["user_profile"], repo.views["user_risk"], repo.views["merchant_stats"],
             repo.views["user_activity"], repo.views["user_profile"].with_name("profile_again"),
             merchant_activity, user_recent]
    data = repo_dir / "data"
    tables = {source.table: _table(data / Path(source.path).name)
              for source in repo.sources.values() if source.table}
    tables["bench.spine"] = _table(data / "transactions.parquet", SPINE_ROWS)
    spine = SpineRef("table", "bench.spine",
                     columns=tuple(c for c, _ in tables["bench.spine"].columns))
    return repo, views, spine, tables


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--print-sql", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo, views, spine, tables = build(Path(tmp))
        sql = repo.compile(views, spine, dialect="bigquery", cut="exclusive", full_names=True)
    if args.print_sql:
        print(sql)
    source_rows = sum(len(t.rows) for name, t in tables.items() if name != "bench.spine")
    counts = table_reads(sql, "bigquery")
    base = {k: v for k, v in counts.items() if k in tables or k == "__fsql_spine"}
    print(f"7 views, {len(tables['bench.spine'].rows)} spine rows, {source_rows} source rows; "
          f"references: {base}", flush=True)
    engine = ZetaSQLEngine()
    best = float("inf")
    rows = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        rows = len(engine.run(sql, tables).rows)
        best = min(best, time.perf_counter() - started)
        print(f"run: {time.perf_counter() - started:.1f} s", flush=True)
    print(f"GoogleSQL: {best:.1f} s, {rows} rows")


if __name__ == "__main__":
    main()
