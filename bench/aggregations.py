"""Benchmark of windowed aggregations on DuckDB: ``fsql run`` against a naive range join.

Data: ``bench/generate_events.py`` (events and spine per shape ``uniform``/``zipf`` and size
``small`` = 1M events x 100k spine rows, ``full`` = 10M x 1M). Features: the view ``txn`` of
``bench/agg_features`` (service ``agg_bench``: count(*), sum, avg, max of amount over
10m/24h/7d/30d, count_distinct(merchant_id) over 7d, last(amount) over 30d; 18 features).

Every measurement is one subprocess that writes the training set to Parquet, timed by wall
clock; its peak RSS and CPU time come from ``os.wait4`` (that child's own rusage). Methods:

- ``fsql``: the CLI, ``python -m fsql.cli run ... --out X.parquet`` (what a user runs);
- ``naive``: each spine row joined to its key's events in the longest window, GROUP BY spine
  row, one ``FILTER (WHERE ts > t - w)`` aggregate per feature, built from the same
  ``Aggregate`` definitions (same semantics: (t - w, t], NULL inputs ignored, counts 0 on empty
  windows, last = greatest (ts, created NULL-oldest, value) among non-NULL values, NULL key or
  time -> NULL); 15-minute timeout by default;
- ``naive_chunked``: the naive join on 5,000 spine rows per query (bounded memory): only the
  equality reference when ``naive`` does not finish (zipf), never timed against fsql;
- ``fsql_sql``: fsql's compiled query (``fsql.engines.runner.training_set_sql``) run by this
  script's worker (no CLI, no summary pass);
- ``fsql_4gb``: the CLI with ``--memory-limit 4GB`` (DuckDB spills past it; without a limit
  it may use up to 80% of RAM, and does).

The worker loads the spine into a temp table (file order = rowid order) and runs
``COPY (query) TO out (FORMAT parquet)``, as fsql's runner does.

    python bench/generate_events.py --sizes small,full
    python bench/aggregations.py --sizes small,full --runs 2
    python bench/aggregations.py --sizes small --profile zipf   # one feature at a time

On the ``--check`` sizes (default ``small``) every output is compared with the naive join's,
row for row in spine order, floats to 1e-9 relative.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate_events  # noqa: E402

REPO = HERE / "agg_features"
SERVICE = "agg_bench"
VIEW = "txn"
NAIVE_TIMEOUT = 900.0
NAIVE_CHUNK = 5_000  # spine rows per query of naive_chunked
NAIVE_MEMORY_LIMIT = "12GB"
FSQL_TIMEOUT = 1800.0
REL_TOLERANCE = 1e-9
TARGET_SECONDS = 60.0
TARGET_RSS_GIB = 6.0
TARGET_SPEEDUP = 20.0
_CREATED_NULL = "'-infinity'::TIMESTAMPTZ"  # a NULL created time is the oldest


# -- the naive range join --------------------------------------------------------------------
def selected_aggregates(features: str) -> tuple[str, list[Any]]:
    """(source path, the ``Aggregate`` objects of ``features``: a service name or
    ``view:feature,...``) as the repository defines them (for the naive join)."""
    from fsql.repo import Repo

    repo = Repo.load(REPO)
    view = repo.views[VIEW]
    if features in repo.services:
        names = [n for p in repo.services[features].features for n in p.feature_names]
    else:
        names = [item.split(":", 1)[1] for item in features.split(",") if item]
    assert view.source.path is not None
    path = Path(view.source.path)
    return str(path if path.is_absolute() else (REPO / path).resolve()), [
        view.field(n) for n in names]


def _interval(window: timedelta) -> str:
    return f"INTERVAL '{window // timedelta(microseconds=1)} microseconds'"


def naive_sql(source: str, aggregates: Sequence[Any], rows: tuple[int, int] | None = None) -> str:
    """The naive range join over temp table ``spine`` and the events file ``source``; with
    ``rows`` = (first, end), only those spine rows (by rowid), each with its rowid ``rid``."""
    windows = [a.window for a in aggregates]
    longest = None if None in windows else max(windows)
    in_join = "e.event_ts <= s.event_timestamp"
    if longest is not None:
        in_join += f" AND e.event_ts > s.event_timestamp - {_interval(longest)}"
    inner: list[str] = []
    outer: list[str] = []
    for agg in aggregates:
        conds = []
        if agg.window is not None and agg.window != longest:
            conds.append(f"e.event_ts > s.event_timestamp - {_interval(agg.window)}")
        value = "1" if agg.column is None else f"e.{agg.column}"
        if agg.function == "count":
            call = "count(*)" if agg.column is None else f"count({value})"
        elif agg.function == "count_distinct":
            call = f"count(DISTINCT {value})"
        elif agg.function in ("sum", "min", "max"):
            call = f"{agg.function}({value})"
        elif agg.function == "avg":
            call = f"avg({value})"
        elif agg.function in ("first", "last"):
            conds.append(f"{value} IS NOT NULL")
            pick = "arg_max" if agg.function == "last" else "arg_min"
            call = f"{pick}({value}, (e.event_ts, e.created, {value}))"
        else:
            raise NotImplementedError(agg.function)
        if conds:
            call += f" FILTER (WHERE {' AND '.join(conds)})"
        if agg.function == "avg":
            call = f"CAST({call} AS DOUBLE)"
        name = f'"{agg.name}"'
        inner.append(f"{call} AS {name}")
        result = f"coalesce(g.{name}, 0)" if agg.function.startswith("count") else f"g.{name}"
        outer.append(f"CASE WHEN sp.user_id IS NULL OR sp.event_timestamp IS NULL THEN NULL "
                     f"ELSE {result} END AS {name}")
    chunk = "" if rows is None else f" WHERE rowid >= {rows[0]} AND rowid < {rows[1]}"
    drop = "rid, rid_" if rows is None else "rid_"  # a chunk keeps its rowid ``rid``
    return f"""
WITH e AS (
  SELECT user_id, event_ts, coalesce(created_ts, {_CREATED_NULL}) AS created, amount,
         merchant_id
  FROM read_parquet('{_escape(source)}')
  WHERE user_id IS NOT NULL AND event_ts IS NOT NULL
), g AS (
  SELECT s.rid, {', '.join(inner)}
  FROM (SELECT rowid AS rid, user_id, event_timestamp FROM spine{chunk}) AS s
  JOIN e ON e.user_id = s.user_id AND {in_join}
  GROUP BY s.rid
)
SELECT sp.* EXCLUDE ({drop}), {', '.join(outer)}
FROM (SELECT *, rowid AS rid, NULL AS rid_ FROM spine{chunk}) AS sp LEFT JOIN g ON g.rid = sp.rid
ORDER BY sp.rid"""


def naive_chunked(con: Any, source: str, aggregates: Sequence[Any], chunk: int) -> str:
    """The naive join run on ``chunk`` spine rows at a time into temp table ``naive_result``
    (bounded memory: the equality reference where one query would not fit); returns the query
    that reads the result in spine order."""
    row = con.execute("SELECT count(*) FROM spine").fetchone()
    assert row is not None
    for first in range(0, int(row[0]), chunk):
        sql = naive_sql(source, aggregates, (first, first + chunk))
        verb = "CREATE TEMP TABLE naive_result AS" if first == 0 else "INSERT INTO naive_result"
        con.execute(f"{verb} {sql}")
    return "SELECT * EXCLUDE (rid) FROM naive_result ORDER BY rid"


ALL_METHODS = ("fsql", "fsql_4gb", "naive", "naive_chunked", "fsql_sql")


# -- the worker (one measurement, in its own process) ---------------------------------------
def worker(method: str, data_dir: Path, out: Path, features: str, sql_out: Path | None) -> int:
    """Run one method, write ``out``, print ``{"seconds": ...}`` on stdout."""
    started = time.perf_counter()
    from fsql.engines.runner import connect

    con = connect()
    spine = data_dir / "spine.parquet"
    if method in ("naive", "naive_chunked"):
        # Bounded, so that a naive join on skewed keys cannot take the machine's memory from
        # concurrent jobs (DuckDB's default is 80% of RAM); it spills to a temp directory.
        con.execute(f"SET memory_limit = '{NAIVE_MEMORY_LIMIT}'")
        con.execute("CREATE TEMP TABLE spine AS SELECT * FROM read_parquet(?)", [str(spine)])
        if method == "naive":
            sql = naive_sql(*selected_aggregates(features))
        else:
            sql = naive_chunked(con, *selected_aggregates(features), NAIVE_CHUNK)
    elif method == "fsql_sql":
        from fsql.engines.runner import training_set_sql
        from fsql.repo import Repo

        sql, _ = training_set_sql(Repo.load(REPO), features, con, spine)
    else:
        raise ValueError(f"unknown method {method!r}")
    if sql_out is not None:
        sql_out.write_text(sql)
    con.execute(f"COPY ({sql}) TO '{_escape(str(out))}' (FORMAT parquet)")
    print(json.dumps({"seconds": time.perf_counter() - started}))
    return 0


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _last_line(err: Exception) -> str:
    """The last non-empty line of an error (a child's traceback ends with the exception)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else repr(err)


# -- measuring -------------------------------------------------------------------------------
def measure(cmd: Sequence[str], env: dict[str, str], timeout: float,
            cwd: Path | None = None) -> tuple[float, float, float, str]:
    """Run ``cmd`` in ``cwd``; return (wall s, CPU s (user + system), peak RSS GiB, stdout).

    Raises TimeoutError after ``timeout`` seconds (the child is killed) and RuntimeError when
    the child fails."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr, cwd=cwd)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise TimeoutError(f"did not finish in {timeout / 60:.0f} min")
            time.sleep(0.05)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        text = stdout.read().decode()
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**20, text


def command(method: str, data_dir: Path, out: Path, features: str) -> list[str]:
    """The subprocess command line of one measurement."""
    if method in ("fsql", "fsql_4gb"):
        limit = ["--memory-limit", "4GB"] if method == "fsql_4gb" else []
        return [sys.executable, "-m", "fsql.cli", "run", "--repo", str(REPO),
                "--features", features, "--spine", str(data_dir / "spine.parquet"),
                "--out", str(out), "--no-progress", *limit]
    return [sys.executable, str(Path(__file__).resolve()), "--worker", method,
            "--data-dir", str(data_dir), "--out", str(out), "--features", features]


def inner_seconds(method: str, stdout: str) -> float:
    """The seconds the child reports for its own work (fsql: run_to_file's summary)."""
    if method in ("fsql", "fsql_4gb"):
        found = re.search(r"features, ([0-9.]+) s", stdout)
        return float(found.group(1)) if found else float("nan")
    return float(json.loads(stdout.strip().splitlines()[-1])["seconds"])


# -- equality --------------------------------------------------------------------------------
def compare(reference: Path, other: Path) -> str:
    """'equal' when both files hold the same rows in the same order with the same schema;
    DOUBLE columns may differ by ``REL_TOLERANCE`` relative."""
    import duckdb

    con = duckdb.connect()

    def schema(path: Path) -> list[tuple[str, str]]:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        return [(r[0], r[1]) for r in rows]

    columns = schema(reference)
    if columns != schema(other):
        return f"SCHEMA DIFFERS: {columns} vs {schema(other)}"
    checks = []
    for name, dtype in columns:
        a, b = f'a."{name}"', f'b."{name}"'
        same = f"{a} IS NOT DISTINCT FROM {b}"
        if dtype in ("DOUBLE", "FLOAT"):
            same += f" OR abs({a} - {b}) <= {REL_TOLERANCE} * greatest(abs({a}), abs({b}))"
        checks.append(f"count_if(NOT coalesce({same}, false))")
        if dtype in ("DOUBLE", "FLOAT"):
            checks.append(f"max(abs({a} - {b}) / nullif(greatest(abs({a}), abs({b})), 0))")
    query = (f"SELECT count(*), count(a.file_row_number), count(b.file_row_number), "
             f"{', '.join(checks)} "
             "FROM read_parquet(?, file_row_number = true) AS a "
             "FULL JOIN read_parquet(?, file_row_number = true) AS b USING (file_row_number)")
    row = con.execute(query, [str(reference), str(other)]).fetchone()
    assert row is not None
    total, in_ref, in_other, *rest = row
    mismatches: list[str] = []
    max_rel = 0.0
    values = iter(rest)
    for name, dtype in columns:
        bad = next(values)
        if dtype in ("DOUBLE", "FLOAT"):
            max_rel = max(max_rel, next(values) or 0.0)
        if bad:
            mismatches.append(f"{name}: {bad} rows")
    if in_ref != in_other or in_ref != total:
        return f"DIFFERENT: {in_ref} vs {in_other} rows"
    if mismatches:
        return "DIFFERENT: " + "; ".join(mismatches)
    return (f"equal ({total:,} rows x {len(columns)} columns, row for row in spine order; "
            f"largest relative float difference {max_rel:.1e})")


# -- report ----------------------------------------------------------------------------------
@dataclass
class Result:
    """The runs of one method on one (shape, size)."""

    shape: str
    size: str
    method: str
    seconds: list[float] = field(default_factory=list)
    inner_seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_gib: list[float] = field(default_factory=list)
    failure: str = ""


def speedup(result: Result, naive: Result | None) -> str:
    """naive's wall seconds / this method's (minimums), or a lower bound when naive timed out."""
    if naive is None or not result.seconds or result.method == "naive":
        return "-"
    if naive.seconds:
        return f"{min(naive.seconds) / min(result.seconds):.1f}x"
    if naive.failure.startswith("did not finish"):
        return f"> {NAIVE_TIMEOUT / min(result.seconds):.1f}x"
    return "-"


def _find(results: list[Result], r: Result, method: str) -> Result | None:
    return next((n for n in results if n.method == method and n.shape == r.shape
                 and n.size == r.size), None)


def table(results: list[Result]) -> str:
    """The figures table (markdown); ratios of minimum wall times."""
    lines = ["| shape | size | method | runs | seconds min | seconds max | CPU s min "
             "| peak RSS GiB max | ratio naive s / method s | fsql s / method s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if not r.seconds:
            lines.append(f"| {r.shape} | {r.size} | {r.method} | 0 | {r.failure} | | | | | |")
            continue
        fsql = _find(results, r, "fsql")
        vs_fsql = (f"{min(fsql.seconds) / min(r.seconds):.1f}x"
                   if fsql is not None and fsql.seconds and r.method != "fsql" else "-")
        lines.append(
            f"| {r.shape} | {r.size} | {r.method} | {len(r.seconds)} | {min(r.seconds):.1f} | "
            f"{max(r.seconds):.1f} | {min(r.cpu_seconds):.1f} | {max(r.rss_gib):.2f} | "
            f"{speedup(r, _find(results, r, 'naive'))} | {vs_fsql} |"
            + (f" {r.failure}" if r.failure else ""))
    return "\n".join(lines)


def targets(results: list[Result]) -> list[str]:
    """The issue's targets for fsql (with and without a memory limit), each PASS or MISS."""
    lines = []
    for r in results:
        if r.method not in ("fsql", "fsql_4gb"):
            continue
        naive = _find(results, r, "naive")
        label = f"{r.shape}-{r.size} {r.method}"
        if not r.seconds:
            lines.append(f"MISS {label}: failed: {r.failure}")
            continue
        best, worst, worst_rss = min(r.seconds), max(r.seconds), max(r.rss_gib)
        if r.shape == "zipf" and r.size == "full":
            lines.append(f"{'PASS' if worst < TARGET_SECONDS else 'MISS'} {label}: "
                         f"{best:.1f}-{worst:.1f} s (target < {TARGET_SECONDS:.0f} s)")
            lines.append(f"{'PASS' if worst_rss < TARGET_RSS_GIB else 'MISS'} {label}: "
                         f"peak RSS {worst_rss:.2f} GiB (target < {TARGET_RSS_GIB:.0f} GiB)")
            if naive is not None:
                dnf = not naive.seconds and naive.failure.startswith("did not finish")
                ok = dnf or (bool(naive.seconds)
                             and min(naive.seconds) / best >= TARGET_SPEEDUP)
                lines.append(f"{'PASS' if ok else 'MISS'} {label}: {speedup(r, naive)} vs "
                             f"naive (target >= {TARGET_SPEEDUP:.0f}x or naive did not "
                             "finish in 15 min)")
        if r.shape == "uniform" and naive is not None and naive.seconds:
            ok = worst <= min(naive.seconds)
            lines.append(f"{'PASS' if ok else 'MISS'} {label}: {best:.1f}-{worst:.1f} s vs "
                         f"naive {min(naive.seconds):.1f} s (target: never slower)")
    return lines


def run_matrix(args: argparse.Namespace, methods: list[str]) -> list[Result]:
    """Measure every (size, shape, method), ``args.runs`` times, interleaved."""
    results: list[Result] = []
    data = args.data.resolve()
    for size in args.sizes.split(","):
        for shape in args.shapes.split(","):
            data_dir = generate_events.generate(data, shape, generate_events.SIZES[size])
            out_dir = data_dir / "out"
            out_dir.mkdir(exist_ok=True)
            env = {**os.environ, "FSQL_AGG_DATA": str(data_dir)}
            by_method = {m: Result(shape, size, m) for m in methods}
            for run in range(args.runs):
                for method in methods:  # interleaved, so load changes hit every method alike
                    res = by_method[method]
                    if res.failure or (method == "naive" and run >= args.naive_runs):
                        continue
                    out = out_dir / f"{method}.parquet"
                    out.unlink(missing_ok=True)
                    timeout = args.naive_timeout if method == "naive" else args.timeout
                    try:
                        # cwd: an in-memory DuckDB spills to ./.tmp; keep it out of the repo.
                        wall, cpu, rss, stdout = measure(
                            command(method, data_dir, out, args.features), env, timeout,
                            cwd=data_dir)
                    except (TimeoutError, RuntimeError) as err:
                        res.failure = _last_line(err)
                        print(f"{shape}-{size} run {run + 1} {method}: FAILED {err}",
                              flush=True)
                        continue
                    res.seconds.append(wall)
                    res.inner_seconds.append(inner_seconds(method, stdout))
                    res.rss_gib.append(rss)
                    res.cpu_seconds.append(cpu)
                    print(f"{shape}-{size} run {run + 1} {method}: {wall:.2f} s wall, "
                          f"{res.inner_seconds[-1]:.2f} s in-process, {cpu:.1f} s CPU, "
                          f"{rss:.2f} GiB peak RSS", flush=True)
            results += by_method.values()
            check(args, shape, size, data_dir, env, methods, by_method)
            print(flush=True)
    return results


def check(args: argparse.Namespace, shape: str, size: str, data_dir: Path, env: dict[str, str],
          methods: list[str], by_method: dict[str, Result]) -> None:
    """Compare every output with a reference and print the verdicts.

    On the ``--check`` sizes the reference is the naive join's output; when the naive join did
    not finish, ``naive_chunked`` (the same query on 5,000 spine rows at a time, so that it fits
    in memory) is run once, untimed, as the reference. On other sizes outputs are compared with
    fsql's."""
    out_dir = data_dir / "out"
    ok = {m for m in methods if (out_dir / f"{m}.parquet").exists() and not by_method[m].failure}
    if size in args.check.split(","):
        reference = "naive"
        if "naive" not in ok:
            reference = "naive_chunked"
            out = out_dir / "naive_chunked.parquet"
            if out.exists():
                print(f"{shape}-{size}: the naive join did not finish; reference: the existing "
                      f"{out} (delete it to recompute)", flush=True)
            else:
                print(f"{shape}-{size}: the naive join did not finish; running naive_chunked "
                      "as the reference", flush=True)
                try:
                    wall, _, rss, _ = measure(command(reference, data_dir, out, args.features),
                                              env, args.reference_timeout, cwd=data_dir)
                    print(f"{shape}-{size} naive_chunked: {wall:.1f} s, {rss:.2f} GiB peak RSS",
                          flush=True)
                except (TimeoutError, RuntimeError) as err:
                    print(f"{shape}-{size} naive_chunked: FAILED {_last_line(err)}; no check")
                    return
    elif "fsql" in ok:
        reference = "fsql"
    else:
        return
    print(f"\nequality check, {shape}-{size} (each output vs {reference}'s):")
    for method in methods:
        if method != reference and method in ok:
            verdict = compare(out_dir / f"{reference}.parquet", out_dir / f"{method}.parquet")
            print(f"  {method:<22} {verdict}", flush=True)


def profile(args: argparse.Namespace) -> int:
    """Time fsql's compiled query (worker ``fsql_sql``) on one feature at a time."""
    _, aggregates = selected_aggregates(args.features)
    data = args.data.resolve()
    for size in args.sizes.split(","):
        for shape in args.profile.split(","):
            data_dir = generate_events.generate(data, shape, generate_events.SIZES[size])
            env = {**os.environ, "FSQL_AGG_DATA": str(data_dir)}
            out = data_dir / "out" / "profile.parquet"
            out.parent.mkdir(exist_ok=True)
            print(f"\n| {shape}-{size} feature | method | seconds | CPU s | peak RSS GiB |")
            print("|---|---|---|---|---|")
            for agg in aggregates:
                for method in args.methods.split(","):
                    cmd = command(method, data_dir, out, f"{VIEW}:{agg.name}")
                    timeout = args.naive_timeout if method == "naive" else args.timeout
                    try:
                        wall, cpu, rss, _ = measure(cmd, env, timeout, cwd=data_dir)
                        print(f"| {agg.name} | {method} | {wall:.1f} | {cpu:.1f} | "
                              f"{rss:.2f} |", flush=True)
                    except (TimeoutError, RuntimeError) as err:
                        print(f"| {agg.name} | {method} | {_last_line(err)} | | |",
                              flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=generate_events.DEFAULT_DATA,
                        help="data directory of bench/generate_events.py (default: bench/data)")
    parser.add_argument("--sizes", default="small,full", help="small, full (default: both)")
    parser.add_argument("--shapes", default="uniform,zipf", help="uniform, zipf (default: both)")
    parser.add_argument("--runs", type=int, default=2, help="runs per method (default: 2)")
    parser.add_argument("--naive-runs", type=int, default=1,
                        help="runs of the naive join (default: 1)")
    parser.add_argument("--methods", default="fsql,naive",
                        help=f"comma-separated among {', '.join(ALL_METHODS)} "
                        "(default: fsql,naive)")
    parser.add_argument("--features", default=SERVICE,
                        help=f"service or view:feature list (default: {SERVICE})")
    parser.add_argument("--check", default="small",
                        help="sizes whose outputs are compared with the naive join's")
    parser.add_argument("--timeout", type=float, default=FSQL_TIMEOUT,
                        help=f"seconds before an fsql run is abandoned ({FSQL_TIMEOUT:.0f})")
    parser.add_argument("--reference-timeout", type=float, default=FSQL_TIMEOUT,
                        help="seconds for naive_chunked, the equality reference when the naive "
                        f"join does not finish ({FSQL_TIMEOUT:.0f})")
    parser.add_argument("--naive-timeout", type=float, default=NAIVE_TIMEOUT,
                        help=f"seconds before the naive join is abandoned ({NAIVE_TIMEOUT:.0f})")
    parser.add_argument("--profile", metavar="SHAPES",
                        help="instead: time --methods on one feature at a time on these shapes")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sql-out", type=Path, help="worker: also write the query here")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data_dir, args.out, args.features, args.sql_out)
    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}")
    if args.profile:
        return profile(args)
    results = run_matrix(args, methods)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"({os.cpu_count()} CPUs)\n")
    print(table(results))
    print()
    print("\n".join(targets(results)))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
