"""Benchmark of the point-in-time join: ``fsql run`` against hand-written DuckDB queries.

Every measurement is one subprocess that writes the training set to Parquet, timed by wall
clock; its peak RSS comes from ``os.wait4`` (that child's own rusage). Methods:

- ``fsql``: the CLI, ``python -m fsql.cli run ... --out X.parquet`` (what a user runs);
- ``fsql_sql``: fsql's compiled query run by this script's worker (no CLI, no summary pass);
- ``hw_*``: hand-written queries with the same semantics (bench/handwritten.py).

The worker loads the spine into a temp table (file order = rowid order) and runs
``COPY (query) TO out (FORMAT parquet)``, as fsql's runner does.

    python bench/generate.py --sizes 100k,1m
    python bench/pit_join.py --sizes 100k,1m --runs 2
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import handwritten  # noqa: E402

REPO = HERE / "features"
SERVICE = "pit_bench"
FSQL_METHODS = ("fsql", "fsql_sql")
DEFAULT_METHODS = (*FSQL_METHODS, *handwritten.METHODS)
TTL_SECONDS = {"view_a": generate.TTL_A_US // 1_000_000, "view_b": generate.TTL_B_US // 1_000_000}


@dataclass
class Result:
    """The runs of one method on one size."""

    size: str
    method: str
    seconds: list[float] = field(default_factory=list)
    inner_seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_gib: list[float] = field(default_factory=list)
    failure: str = ""


def views(size_dir: Path) -> tuple[handwritten.ViewSpec, ...]:
    """The two views as the hand-written SQL sees them (mirrors bench/features)."""
    specs = []
    for stem, (key, names, _) in generate.VIEWS.items():
        specs.append(handwritten.ViewSpec(stem[-1], key, str(size_dir / f"{stem}.parquet"),
                                          names, TTL_SECONDS[stem]))
    return tuple(specs)


# -- the worker (one measurement, in its own process) ---------------------------------------
def worker(method: str, size_dir: Path, out: Path) -> int:
    """Run one method, write ``out``, print ``{"seconds": ...}`` on stdout."""
    started = time.perf_counter()
    from fsql.engines.runner import connect

    con = connect()
    spine = size_dir / "spine.parquet"
    if method.startswith("fsql_"):
        from fsql.repo import Repo

        repo = Repo.load(REPO)
        from fsql.engines.runner import training_set_sql

        sql, _ = training_set_sql(repo, SERVICE, con, spine)
    else:
        con.execute("CREATE TEMP TABLE spine AS SELECT * FROM read_parquet(?)", [str(spine)])
        sql = handwritten.METHODS[method](views(size_dir))
    con.execute(f"COPY ({sql}) TO '{_escape(str(out))}' (FORMAT parquet)")
    print(json.dumps({"seconds": time.perf_counter() - started}))
    return 0


def _escape(text: str) -> str:
    return text.replace("'", "''")


# -- measuring -------------------------------------------------------------------------------
def measure(cmd: Sequence[str], env: dict[str, str],
            timeout: float) -> tuple[float, float, float, str]:
    """Run ``cmd``; return (wall s, CPU s (user + system), peak RSS GiB, stdout).

    Raises on failure or timeout. CPU seconds vary less than wall seconds when other
    processes compete for the cores."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise TimeoutError(f"> {timeout:.0f} s")
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        text = stdout.read().decode()
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {stderr.read().decode()[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 2**20, text  # ru_maxrss is in KiB on Linux


def command(method: str, size_dir: Path, out: Path) -> list[str]:
    """The subprocess command line of one measurement."""
    if method == "fsql":
        return [sys.executable, "-m", "fsql.cli", "run", "--repo", str(REPO),
                "--features", SERVICE, "--spine", str(size_dir / "spine.parquet"),
                "--out", str(out), "--no-progress"]
    return [sys.executable, str(Path(__file__).resolve()), "--worker", method,
            "--size-dir", str(size_dir), "--out", str(out)]


def inner_seconds(method: str, stdout: str) -> float:
    """The seconds the child reports for its own work (fsql: run_to_file's summary)."""
    if method == "fsql":
        found = re.search(r"features, ([0-9.]+) s", stdout)
        return float(found.group(1)) if found else float("nan")
    return float(json.loads(stdout.strip().splitlines()[-1])["seconds"])


# -- equality --------------------------------------------------------------------------------
def compare(reference: Path, other: Path) -> str:
    """'equal' when both files hold the same rows in the same order with the same schema."""
    import duckdb

    con = duckdb.connect()

    def schema(path: Path) -> list[tuple[str, str]]:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        return [(r[0], r[1]) for r in rows]

    if schema(reference) != schema(other):
        return f"SCHEMA DIFFERS: {schema(reference)} vs {schema(other)}"
    counts = [con.execute("SELECT count(*) FROM read_parquet(?)", [str(p)]).fetchone()
              for p in (reference, other)]
    # file_row_number makes the position part of each row: order differences count too.
    diff = ("SELECT count(*) FROM (SELECT * FROM read_parquet(?, file_row_number=true) "
            "EXCEPT ALL SELECT * FROM read_parquet(?, file_row_number=true))")
    only_ref = con.execute(diff, [str(reference), str(other)]).fetchone()
    only_other = con.execute(diff, [str(other), str(reference)]).fetchone()
    assert counts[0] and counts[1] and only_ref and only_other
    if counts[0][0] == counts[1][0] and only_ref[0] == 0 and only_other[0] == 0:
        return f"equal ({counts[0][0]:,} rows, row for row in spine order)"
    return (f"DIFFERENT: rows {counts[0][0]} vs {counts[1][0]}, {only_ref[0]} rows only in "
            f"{reference.name}, {only_other[0]} only in {other.name}")


# -- report ----------------------------------------------------------------------------------
def table(results: list[Result]) -> str:
    """The figures table (markdown); ratios compare minimum wall times."""
    lines = ["| size | method | runs | wall s min | wall s max | in-process s min | CPU s min "
             "| peak RSS GiB max | wall min / best hand-written |",
             "|---|---|---|---|---|---|---|---|---|"]
    for size in dict.fromkeys(r.size for r in results):
        rows = [r for r in results if r.size == size]
        hand = [min(r.seconds) for r in rows if r.method.startswith("hw_") and r.seconds]
        best = min(hand) if hand else None
        for r in rows:
            if not r.seconds:
                lines.append(f"| {size} | {r.method} | 0 | {r.failure} | | | | | |")
                continue
            ratio = f"{min(r.seconds) / best:.2f}x" if best else "-"
            mark = " (best)" if r.method.startswith("hw_") and min(r.seconds) == best else ""
            lines.append(
                f"| {size} | {r.method}{mark} | {len(r.seconds)} | {min(r.seconds):.2f} | "
                f"{max(r.seconds):.2f} | {min(r.inner_seconds):.2f} | {min(r.cpu_seconds):.1f} | "
                f"{max(r.rss_gib):.2f} | {ratio} |" + (f" {r.failure}" if r.failure else ""))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=generate.DEFAULT_DATA,
                        help="data directory of bench/generate.py (default: bench/data)")
    parser.add_argument("--sizes", default="100k,1m", help="sizes to run (default: 100k,1m)")
    parser.add_argument("--runs", type=int, default=2, help="runs per method (default: 2)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="comma-separated methods (default: all)")
    parser.add_argument("--check", default="100k,1m",
                        help="sizes whose outputs are compared with fsql's (default: 100k,1m)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a measurement is abandoned (default: 600)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.size_dir, args.out)

    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in DEFAULT_METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose among {', '.join(DEFAULT_METHODS)}")
    sizes = [s for s in args.sizes.split(",") if s]
    checks = {s for s in args.check.split(",") if s}
    data = args.data.resolve()
    results: list[Result] = []
    for size in sizes:
        generate.main([str(data), "--sizes", size])
        size_dir = data / size
        out_dir = size_dir / "out"
        out_dir.mkdir(exist_ok=True)
        env = {**os.environ, "FSQL_BENCH_DATA": str(size_dir)}
        by_method = {m: Result(size, m) for m in methods}
        for run in range(args.runs):
            for method in methods:  # interleaved, so load changes hit every method alike
                res = by_method[method]
                if res.failure:
                    continue
                out = out_dir / f"{method}.parquet"
                out.unlink(missing_ok=True)
                try:
                    wall, cpu, rss, stdout = measure(command(method, size_dir, out), env,
                                                     args.timeout)
                except (TimeoutError, RuntimeError) as err:
                    res.failure = str(err).splitlines()[0] if str(err) else type(err).__name__
                    print(f"{size} run {run + 1} {method}: FAILED {err}", flush=True)
                    continue
                res.seconds.append(wall)
                res.inner_seconds.append(inner_seconds(method, stdout))
                res.rss_gib.append(rss)
                res.cpu_seconds.append(cpu)
                print(f"{size} run {run + 1} {method}: {wall:.2f} s wall, "
                      f"{res.inner_seconds[-1]:.2f} s in-process, {cpu:.1f} s CPU, "
                      f"{rss:.2f} GiB peak RSS", flush=True)
        results += by_method.values()
        if size in checks and "fsql" in methods:
            print(f"\nequality check, {size} (each output vs fsql's):")
            for method in methods:
                path = out_dir / f"{method}.parquet"
                if method != "fsql" and path.exists() and not by_method[method].failure:
                    print(f"  {method:<30} {compare(out_dir / 'fsql.parquet', path)}")
        print()
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"({os.cpu_count()} CPUs)\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
