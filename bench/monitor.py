"""Statistics and drift of 20 numeric features on DuckDB: ``fsql stats`` of a baseline table
then ``fsql drift`` of a shifted table against it (PSI over the baseline's deciles, mean,
NULL-rate and max changes), the same compiled queries the CLI runs.

    python bench/monitor.py --sizes 1m,10m [--features 20] [--threads 2]

Each size is one subprocess (wall time and peak RSS from ``os.wait4``, which includes the
tables); the two tables are made in DuckDB first (1% NULLs, a tenth of the features int64,
timed apart as ``tables s``: the bench's data, not the tool), then stats and drift are timed
separately (``cpu s``: the CPU time of both, all threads: steadier than wall time on a shared
machine), and the exact KS statistic of one feature (``fsql skew``'s sort of the union of both
samples) for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from sqlglot import exp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fsql.dtypes import DType  # noqa: E402
from fsql.monitor.compare import DEFAULTS, drift  # noqa: E402
from fsql.monitor.drift import ks_query  # noqa: E402
from fsql.monitor.run import compute  # noqa: E402
from fsql.monitor.side_by_side import run_side_by_side  # noqa: E402
from fsql.monitor.stats import StatsColumn, summary_aggregates  # noqa: E402
from fsql.sql.dialect import get_dialect  # noqa: E402
from fsql.sql.tree import aliased  # noqa: E402

SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: int, features: int,
           shift: float) -> list[StatsColumn]:
    columns, exprs = [], []
    for j in range(features):
        kind = "int64" if j % 10 == 9 else "float64"
        value = f"(hash(i, {j}) % 1000000) / 1000.0 + {shift * j}"
        if kind == "int64":
            value = f"CAST(hash(i, {j}) % 1000 AS BIGINT)"
        exprs.append(f"CASE WHEN hash(i, {j + 100}) % 100 = 0 THEN NULL ELSE {value} END "
                     f"AS f{j}")
        columns.append(StatsColumn(f"f{j}", DType(kind)))
    con.execute(f"CREATE TABLE {name} AS SELECT {', '.join(exprs)} FROM range({rows}) t(i)")
    return columns


def one(rows: int, features: int, threads: int, parts: bool) -> dict[str, float]:
    """Build the tables, then time stats of the baseline and drift of the current table."""
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    columns = _table(con, "baseline", rows, features, 0.0)
    _table(con, "current", rows, features, 0.01)
    t0, c0 = time.perf_counter(), time.process_time()
    report = compute(con, exp.to_table("baseline"), columns, label="baseline")
    t1, c1 = time.perf_counter(), time.process_time()
    result = drift(con, exp.to_table("current"), report.features,
                   {c.name: c.dtype for c in columns}, dict(DEFAULTS), label="current")
    t2, c2 = time.perf_counter(), time.process_time()
    query = ks_query(exp.to_table("baseline"), exp.to_table("current"), columns[0], columns[0],
                     get_dialect("duckdb"))
    ((d, _, _),) = con.execute(query.sql(dialect="duckdb")).fetchall()
    t3 = time.perf_counter()
    assert len(report.features) == features and result.metrics and d is not None
    if parts:  # what the statistics cost at least: the one pass, and a GROUP BY per feature
        summary = [aliased(exp.Count(this=exp.Star()), "total")]
        for i, column in enumerate(columns):
            summary += summary_aggregates(i, column, get_dialect("duckdb"))
        t4 = time.perf_counter()
        con.execute(exp.select(*summary).from_("baseline").sql(dialect="duckdb")).fetchall()
        t5, c5 = time.perf_counter(), time.process_time()
        histograms = []
        for column in columns:
            keep = f"{column.name} IS NOT NULL" + (f" AND NOT isnan({column.name})"
                                                    if column.dtype.name == "float64" else "")
            histograms.append(f"SELECT count(*) FROM (SELECT {column.name}, count(*) FROM "
                              f"baseline WHERE {keep} GROUP BY {column.name})")
        for query in histograms:
            con.execute(query).fetchall()
        t6, c6 = time.perf_counter(), time.process_time()
        # the floor of exact distinct counts: the same GROUP BYs side by side, one thread each
        run_side_by_side(con, histograms, threads)
        t7, c7 = time.perf_counter(), time.process_time()
        print(json.dumps({"summary_pass_s": round(t5 - t4, 2),
                          "histograms_s": round(t6 - t5, 2),
                          "histograms_cpu_s": round(c6 - c5, 2),
                          "histograms_side_by_side_s": round(t7 - t6, 2),
                          "histograms_side_by_side_cpu_s": round(c7 - c6, 2)}), file=sys.stderr)
    return {"tables_s": t0 - start, "stats_s": t1 - t0, "drift_s": t2 - t1, "ks_s": t3 - t2,
            "cpu_s": (c1 - c0) + (c2 - c1)}


def main() -> None:
    """Run each size in a subprocess and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parts", action="store_true",
                        help="also time the statistics' one pass over the rows and the GROUP "
                             "BY per feature alone, one after another on all threads and side "
                             "by side on one thread each (printed on stderr)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.features, args.threads, args.parts)))
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{args.threads} DuckDB threads")
    print(f"{'size':>5} {'features':>8} {'tables s':>8} {'stats s':>8} {'drift s':>8} "
          f"{'total s':>8} {'cpu s':>6} {'ks1 s':>6} {'peak RSS GiB':>12}")
    for size in args.sizes.split(","):
        proc = subprocess.Popen([sys.executable, __file__, "--one", str(SIZES[size]),
                                 "--features", str(args.features), "--threads",
                                 str(args.threads), *(["--parts"] if args.parts else [])],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"size {size} failed (status {status})")
        figures = json.loads(out)
        rss = usage.ru_maxrss / 1024 / 1024  # KiB -> GiB (Linux)
        print(f"{size:>5} {args.features:>8} {figures['tables_s']:8.2f} "
              f"{figures['stats_s']:8.2f} {figures['drift_s']:8.2f} "
              f"{figures['stats_s'] + figures['drift_s']:8.2f} {figures['cpu_s']:6.2f} "
              f"{figures['ks_s']:6.2f} "
              f"{rss:12.2f}", flush=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
