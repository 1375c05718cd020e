"""Sync from a BigQuery latest table into SQLite, through google-cloud-bigquery against a local
bqemulator: the seconds of reading the table in Arrow pages (fsql.online.bigquery_latest) and
of the whole sync (pages + compare-and-set writes), per table size, and the growth of each.

bqemulator is DuckDB behind a REST server, so the figures measure fsql's client path (pages
decoded from the REST JSON, rows encoded, written), not BigQuery's own speed.

    PYTHONPATH=$PWD .venv/bin/python bench/bigquery_sync.py --sizes 2000,20000
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsql.materialize import last_runs
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, LatestTable
from fsql.materialize.run import layout_for
from fsql.materialize.targets import parse_url
from fsql.online import bigquery_latest
from fsql.online.stores import ViewState, open_store
from fsql.online.sync import sync_view
from fsql.repo import Repo
from tests.engines.bqemulator_server import BigQueryEmulator
from tests.materialize_support import make_repo


def _layout(root: Path) -> LatestTable:
    """The activity view's layout (user_id key, five aggregates) of the test repository."""
    repo = Repo.load(make_repo(root))
    return layout_for(repo, repo.views["activity"], "inclusive", dialect="bigquery")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000", help="rows of the latest table")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="fsql-bench-bqsync-"))
    layout = _layout(tmp / "repo")
    server = BigQueryEmulator()
    try:
        bq = server.client()
        bq.create_dataset("bench")
        target = parse_url(f"bigquery://{server.project}/bench?api_endpoint={server.endpoint}",
                           root=tmp)
        results = []
        for n in sizes:
            table = f"`{server.project}.bench.{layout.name}`"
            values = ", ".join(
                f"{'MOD(x, 7)' if str(t) == 'int64' else f'x * {i + 0.5}'} AS {f}"
                for i, (f, t) in enumerate(layout.features))
            bq.query(
                f"CREATE OR REPLACE TABLE {table} AS SELECT x AS user_id, "
                f"TIMESTAMP_ADD(TIMESTAMP '2024-01-01', INTERVAL x SECOND) AS {FEATURE_TIMESTAMP}, "
                f"CAST(NULL AS TIMESTAMP) AS {CREATED_TIMESTAMP}, {values} "
                f"FROM UNNEST(GENERATE_ARRAY(1, {n})) AS x").result()
            client = last_runs.client_of(target)
            started = time.perf_counter()
            read = sum(1 for _ in bigquery_latest.latest_rows(client, target, layout))
            read_s = time.perf_counter() - started
            assert read == n, (read, n)
            store = open_store(f"sqlite:///{tmp / f'online_{n}.db'}", root=tmp)
            state = ViewState(layout.definition_hash, 1, tuple((k, str(t)) for k, t in layout.keys),
                              tuple((f, str(t)) for f, t in layout.features), layout.horizon_us,
                              layout.is_aggregation, layout.cut)
            started = time.perf_counter()
            result = sync_view(store, "activity", state,
                               bigquery_latest.latest_rows(client, target, layout))
            sync_s = time.perf_counter() - started
            store.close()
            client.close()
            assert result.keys == n and result.written == n, result
            results.append((n, read_s, sync_s))
    finally:
        server.close()
    print("| rows | read pages s | sync into SQLite s | rows/s (sync) |")
    print("|---:|---:|---:|---:|")
    for n, read_s, sync_s in results:
        print(f"| {n} | {read_s:.2f} | {sync_s:.2f} | {n / sync_s:,.0f} |")
    for (n0, r0, s0), (n1, r1, s1) in itertools.pairwise(results):
        print(f"{n1 / n0:g}x rows: read {r1 / r0:.1f}x slower, sync {s1 / s0:.1f}x slower")


if __name__ == "__main__":
    main()
