"""Materialization on DuckDB: a full run of the two snapshot views of ``bench/features``
against a hand-written ``CREATE TABLE AS`` of the same latest rows, then an incremental run
after appending 1% new rows (half of them late: an old event time, a new created time), and
DuckDB's ``MERGE INTO`` against ``INSERT ... ON CONFLICT`` + ``DELETE`` for the same upsert;
then the same full and incremental runs of the Zipf aggregation view ``txn`` of
``bench/agg_features`` (24 windowed aggregates, 10m to 30d, over 1M / 10M events).

    python bench/generate.py --sizes 100k,1m          # 1M / 10M rows per view, ~100k keys
    python bench/generate_events.py --shapes zipf --sizes small,full
    python bench/materialize.py --sizes 100k,1m [--check]

Every measurement is one subprocess (wall time and peak RSS from ``os.wait4``). ``--check``
also compares the incremental table with a full refresh at the same end, row for row.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DAY_US = 86_400 * 1_000_000
BASE_US = 1_704_067_200_000_000
END_US = BASE_US + 90 * DAY_US
HOUR_US = 3_600 * 1_000_000
VIEWS = {  # view: (file stem, key, features, ttl days)
    "user_stats": ("view_a", "user_id", ["a_amount", "a_count", "a_category", "a_flag",
                                         "a_score"], 30),
    "merchant_stats": ("view_b", "merchant_id", ["b_rating", "b_txn_count", "b_country",
                                                 "b_is_online", "b_risk"], 7),
}


AGG_DATA = {"100k": "zipf-small", "1m": "zipf-full"}  # the aggregation data of each size
AGG_VIEW = ("txn", "events", "user_id", 30)  # view, file stem, key, longest window (days)


def _iso(us: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us / 1e6)) + "Z"


def measure(args: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS GiB, stdout) of one subprocess."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out}\n{err}")
    return wall, usage.ru_maxrss / 2**20, out


def make_repo(work: Path, data: Path) -> Path:
    """A copy of bench/features whose sources are files of ``work`` (so rows can be added)."""
    repo = work / "repo"
    (repo / "src").mkdir(parents=True, exist_ok=True)
    for stem, *_ in VIEWS.values():
        target = repo / "src" / f"{stem}.parquet"
        if not target.exists():
            shutil.copy(data / f"{stem}.parquet", target)
    text = (HERE / "features" / "features.py").read_text()
    (repo / "features.py").write_text(text.replace(
        'DATA = os.environ.get("FSQL_BENCH_DATA", "../data/100k")', 'DATA = "src"'))
    return repo


def append_one_percent(repo: Path, stem: str, key: str, ttl_days: int, seed: int) -> int:
    """Add 1% rows to a source: half new (event time in the next hour), half late (an event
    time inside the TTL before the end, created after every existing row)."""
    path = repo / "src" / f"{stem}.parquet"
    table = pq.read_table(path)
    rng = np.random.default_rng(seed)
    n = table.num_rows // 100
    picks = table.take(pa.array(rng.integers(0, table.num_rows, n)))
    half = n // 2
    event = np.concatenate([
        END_US + rng.integers(1, HOUR_US, half),
        END_US - rng.integers(1, ttl_days * DAY_US, n - half)])
    # Rows land in created-time order: after every row already there (the generated data
    # holds rows created days after their event time).
    latest_created = pa.compute.max(table.column("created_ts")).cast(pa.int64()).as_py()
    created = latest_created + 1 + rng.integers(0, HOUR_US, n)
    ts_type = table.schema.field("event_ts").type
    picks = picks.set_column(picks.schema.get_field_index("event_ts"), "event_ts",
                             pa.array(event, pa.int64()).cast(ts_type))
    picks = picks.set_column(picks.schema.get_field_index("created_ts"), "created_ts",
                             pa.array(created, pa.int64()).cast(
                                 table.schema.field("created_ts").type))
    pq.write_table(pa.concat_tables([table, picks]), path, row_group_size=131_072)
    return n


def handwritten_ctas(repo: Path, view: str, out: Path) -> str:
    """The hand-written baseline: the latest visible row per key inside the TTL, full-tie
    rule as fsql's (event time, created NULL oldest, features NULL lowest), as a table."""
    stem, key, features, ttl = VIEWS[view]
    order = ", ".join(["event_ts DESC", "created_ts DESC NULLS LAST",
                       *(f"{f} DESC NULLS LAST" for f in features)])
    sql = (f"CREATE TABLE {view}_hw AS SELECT {key}, {', '.join(features)}, event_ts "
           f"FROM read_parquet('{repo / 'src' / (stem + '.parquet')}') WHERE {key} IS NOT NULL "
           f"AND epoch_us(event_ts) <= {END_US} AND epoch_us(event_ts) > {END_US - ttl * DAY_US} "
           f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) = 1")
    return textwrap.dedent(f"""
        import time
        import duckdb
        started = time.perf_counter()
        con = duckdb.connect({str(out)!r})
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute({sql!r})
        con.close()
        print(time.perf_counter() - started)
    """)


UPSERT = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
method, share = sys.argv[2], float(sys.argv[3])
con.execute("CREATE TEMP TABLE new AS SELECT * REPLACE (a_amount + 1 AS a_amount) "
            "FROM user_stats_latest WHERE hash(user_id) % 10000 < " + str(int(share * 10000)))
con.execute("ALTER TABLE new ADD COLUMN absent BOOLEAN DEFAULT false")
con.execute("UPDATE new SET absent = true WHERE user_id % 50 = 0")
cols = [r[0] for r in con.execute("DESCRIBE user_stats_latest").fetchall()]
data = [c for c in cols if c != "user_id"]
started = time.perf_counter()
con.execute("BEGIN")
if method == "merge":
    con.execute("MERGE INTO user_stats_latest AS t USING new AS n ON t.user_id = n.user_id "
                "WHEN MATCHED AND n.absent THEN DELETE "
                "WHEN MATCHED AND NOT n.absent AND n.feature_timestamp >= t.feature_timestamp "
                "THEN UPDATE SET " + ", ".join(f"{c} = n.{c}" for c in data) +
                " WHEN NOT MATCHED AND NOT n.absent THEN INSERT (" + ", ".join(cols) +
                ") VALUES (" + ", ".join(f"n.{c}" for c in cols) + ")")
else:
    con.execute("DELETE FROM user_stats_latest t USING new n WHERE t.user_id = n.user_id "
                "AND n.absent")
    con.execute("INSERT INTO user_stats_latest SELECT " + ", ".join(cols) + " FROM new "
                "WHERE NOT absent ON CONFLICT (user_id) DO UPDATE SET " +
                ", ".join(f"{c} = excluded.{c}" for c in data) +
                " WHERE excluded.feature_timestamp >= user_stats_latest.feature_timestamp")
con.execute("COMMIT")
print(time.perf_counter() - started)
"""


def fsql(repo: Path, store: str, end_us: int, *extra: str, views: str = ",".join(VIEWS)
         ) -> list[str]:
    return [sys.executable, "-m", "fsql.cli", "materialize", "--repo", str(repo), "--views",
            views, "--end", _iso(end_us), "--target", f"duckdb:///{store}", *extra]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def differing_rows(repo: Path, view: str, left: str, right: str) -> int:
    """Keys of ``view``'s latest table whose rows differ between two stores (floats to 1e-9
    relative: sums add the rows in another order; ``materialized_at`` and a merging view's
    settle point aside: they say when a key was last written), plus keys in one only."""
    def rows(store: str) -> tuple[list[str], dict[object, tuple[object, ...]]]:
        con = duckdb.connect(str(repo / store), read_only=True)
        cursor = con.execute(f"SELECT * FROM {view}_latest")
        names = [d[0] for d in cursor.description]
        return names, {r[0] if len(keys) == 1 else tuple(r[:len(keys)]): r
                       for r in cursor.fetchall()}

    keys = [VIEWS[view][1]] if view in VIEWS else [AGG_VIEW[2]]
    names, a = rows(left)
    _, b = rows(right)
    skip = {"materialized_at", "__fsql_se", "__fsql_sw"}
    wanted = [i for i, n in enumerate(names) if n not in skip]
    return len(set(a) ^ set(b)) + sum(
        1 for k in set(a) & set(b) if not all(_same(a[k][i], b[k][i]) for i in wanted))


def reports(output: str) -> list[str]:
    """``fsql materialize``'s per-view lines (not DuckDB's progress bar)."""
    return [line for line in output.splitlines() if " -> " in line]


def run_aggregation(size: str, data_root: Path, work_root: Path, check: bool
                    ) -> list[dict[str, object]]:
    """The Zipf aggregation view: a full run, +1% rows (half late), an incremental run."""
    view, stem, key, window_days = AGG_VIEW
    data = data_root / "agg" / AGG_DATA[size]
    work = work_root / f"agg-{size}"
    if work.exists():
        shutil.rmtree(work)
    repo = work / "repo"
    (repo / "src").mkdir(parents=True)
    shutil.copy(data / f"{stem}.parquet", repo / "src" / f"{stem}.parquet")
    text = (HERE / "agg_features" / "features.py").read_text()
    (repo / "features.py").write_text(text.replace(
        'DATA = os.environ.get("FSQL_AGG_DATA", "../data/agg/uniform-small")', 'DATA = "src"'))
    n_rows = pq.read_metadata(repo / "src" / f"{stem}.parquet").num_rows
    rows: list[dict[str, object]] = []
    wall, rss, out = measure(fsql(repo, "full.duckdb", END_US, "--full-refresh", views=view))
    full_s = view_seconds(out)[view]
    rows.append({"size": AGG_DATA[size], "step": f"full {view}", "wall_s": wall, "rss_gib": rss,
                 f"{view}_s": full_s, "rows_per_s": n_rows / full_s})
    added = append_one_percent(repo, stem, key, window_days, seed=7)
    shutil.copy(repo / "full.duckdb", repo / "inc.duckdb")
    wall_inc, rss_inc, out_inc = measure(fsql(repo, "inc.duckdb", END_US + HOUR_US, views=view))
    inc_s = view_seconds(out_inc)[view]
    rows.append({"size": AGG_DATA[size], "step": f"incremental 1% {view}", "wall_s": wall_inc,
                 "rss_gib": rss_inc, f"{view}_s": inc_s, "rows_added": added,
                 "vs_full": inc_s / full_s, "report": reports(out_inc)})
    if check:
        measure(fsql(repo, "check.duckdb", END_US + HOUR_US, "--full-refresh", views=view))
        rows.append({"size": AGG_DATA[size], "step": f"check incremental == full refresh {view}",
                     "differing_rows": differing_rows(repo, view, "inc.duckdb", "check.duckdb")})
    return rows


def view_seconds(output: str) -> dict[str, float]:
    """Per-view seconds from ``fsql materialize``'s report lines."""
    out = {}
    for line in output.splitlines():
        if " -> " in line and " s, " in line:
            out[line.split(" -> ")[0]] = float(line.split(" deleted, ")[1].split(" s")[0])
    return out


def run_size(size: str, data_root: Path, work_root: Path, check: bool) -> list[dict[str, object]]:
    data = data_root / size
    work = work_root / size
    if work.exists():
        shutil.rmtree(work)
    repo = make_repo(work, data)
    rows: list[dict[str, object]] = []
    rows_per_view = pq.read_metadata(repo / "src" / "view_a.parquet").num_rows
    wall, rss, out = measure(fsql(repo, "full.duckdb", END_US, "--full-refresh"))
    per_view = view_seconds(out)
    rows.append({"size": size, "step": "full (2 views)", "wall_s": wall, "rss_gib": rss,
                 **{f"{v}_s": s for v, s in per_view.items()}})
    for view in VIEWS:
        script = handwritten_ctas(repo, view, work / f"hw_{view}.duckdb")
        # in-process seconds (connect, CTAS, close), as fsql's per-view seconds are: the
        # subprocess's wall time adds Python's and DuckDB's start-up
        wall_hw, rss_hw, out_hw = measure([sys.executable, "-c", script])
        rows.append({"size": size, "step": f"hand-written CTAS {view}", "wall_s": wall_hw,
                     "in_process_s": float(out_hw), "rss_gib": rss_hw,
                     "fsql_view_s": per_view[view],
                     "ratio": per_view[view] / float(out_hw)})
    added = {view: append_one_percent(repo, stem, key, ttl, seed=i)
             for i, (view, (stem, key, _, ttl)) in enumerate(VIEWS.items())}
    shutil.copy(repo / "full.duckdb", repo / "inc.duckdb")
    wall_inc, rss_inc, out_inc = measure(fsql(repo, "inc.duckdb", END_US + HOUR_US))
    rows.append({"size": size, "step": "incremental 1% (2 views)", "wall_s": wall_inc,
                 "rss_gib": rss_inc, **{f"{v}_s": s for v, s in view_seconds(out_inc).items()},
                 "rows_added": sum(added.values()), "vs_full": wall_inc / wall,
                 "report": reports(out_inc)})
    for method in ("merge", "on_conflict"):
        for share in (0.01, 1.0):
            target = work / f"upsert_{method}.duckdb"
            shutil.copy(repo / "full.duckdb", target)
            _, _, secs = measure([sys.executable, "-c", UPSERT, str(target), method, str(share)])
            rows.append({"size": size, "step": f"upsert {method} {share:.0%} of keys",
                         "in_process_s": float(secs)})
    if check:
        measure(fsql(repo, "check.duckdb", END_US + HOUR_US, "--full-refresh"))
        for view in VIEWS:
            rows.append({"size": size, "step": f"check incremental == full refresh {view}",
                         "differing_rows": differing_rows(repo, view, "inc.duckdb",
                                                          "check.duckdb")})
    rows.append({"size": size, "step": "source rows per view", "rows": rows_per_view})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--data", default=str(HERE / "data"))
    parser.add_argument("--work", default="/tmp/fsql_materialize_bench")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only", choices=("snapshot", "aggregation"),
                        help="run only the snapshot views or only the aggregation view")
    args = parser.parse_args()
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)
    for size in args.sizes.split(","):
        runs = [run_size, run_aggregation]
        if args.only:
            runs = [run_size if args.only == "snapshot" else run_aggregation]
        for run in runs:
            for row in run(size, Path(args.data), Path(args.work), args.check):
                print(json.dumps(row, default=str), flush=True)
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
