"""Benchmark of ``fsql golden update`` and ``fsql golden check`` at 10x growth.

The repository is bench/compile.py's (one entity, views on table sources ``proj.ds.src_N``,
one in five an aggregation view; services of 10 views), with ``[golden] spine =
"proj.ds.spine"`` added to its fsql.toml, at ``--sizes`` views (default 50 and 500, i.e. 5
and 50 services; the 50- and 200-view services of bench/compile.py are left out unless
``--big-services``). Per size, wall seconds (``time.perf_counter``, in this process, the
repository loaded by each call) and CPU seconds (this process and its workers: on a loaded
machine the wall time says more about the other processes) of:

- ``update`` into an empty directory (every file compiled and written; the local cache of
  fsql/checks/cache.py cold, in a temporary ``FSQL_CACHE_DIR``), in one process and in
  ``--jobs`` processes (default 2; forked once the parent has prepared every file);
- ``check`` of the up-to-date directory with that cache (a developer's machine, a
  pre-commit hook), with the directory's record only (a fresh CI machine of a repository
  whose golden files and ``.fsql-golden.json`` are committed: fsql/checks/record.py), and
  with neither (``cache=False``: every file compiled, as after an fsql upgrade), the latter
  in one process and in ``--jobs`` processes;
- ``check`` after one view's definition changed (the diff of every file that reads it), with
  the local cache and with the record only;
- with ``--validate``, ``fsql validate`` (every view alone and every service per dialect,
  compiled and parsed back) in ``--jobs`` processes, then again in one process with the
  local cache filled.

    python bench/golden_check.py                      # 50 and 500 views, all dialects
    python bench/golden_check.py --sizes 500 --dialects duckdb,bigquery
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compile as compile_bench

from fsql.checks import golden
from fsql.checks.validate import validate


def write_repository(root: Path, n_views: int, big_services: bool,
                     kinds: Sequence[str]) -> int:
    """bench/compile.py's repository with ``n_views`` views and a golden spine, golden files
    of ``kinds``; returns the number of services."""
    if not big_services:
        compile_bench.BIG_SERVICES = ()
    services = compile_bench.write_repository(root, n_views)
    for module in sorted(root.glob("views_*.py")):  # a latest table (the materialize and
        # dbt files) needs the type of its key: declare it on the snapshot views' sources
        module.write_text(module.read_text().replace(
            'timestamp_field="event_ts")',
            'timestamp_field="event_ts", schema={"user_id": "int64"})'))
    with (root / "fsql.toml").open("a") as config:
        config.write('\n[golden]\nspine = "proj.ds.spine"\n'
                     'spine_columns = ["user_id", "event_timestamp"]\nfull_names = true\n'
                     f'kinds = [{", ".join(repr(k) for k in kinds)}]\n')
    return len(services)


def timed(run: Callable[[], Any]) -> tuple[str, Any]:
    """("wall seconds (CPU seconds)", result) of ``run()``; CPU: this process and the
    workers it waited for."""
    start, cpu = time.perf_counter(), _cpu()
    result = run()
    return f"{time.perf_counter() - start:.2f} ({_cpu() - cpu:.2f})", result


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def record_only(run: Callable[[], Any]) -> Any:
    """``run()`` with the local cache off (the golden directory's record still read)."""
    cache = os.environ["FSQL_CACHE_DIR"]
    os.environ["FSQL_CACHE_DIR"] = "off"
    try:
        return run()
    finally:
        os.environ["FSQL_CACHE_DIR"] = cache


def measure(size: int, dialects: Sequence[str], jobs: int, big: bool,
            run_validate: bool, kinds: Sequence[str]) -> list[tuple[str, str]]:
    """The rows of one size: (measurement, figure)."""
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="fsql-golden-bench-") as tmp:
        root, out = Path(tmp) / "repo", Path(tmp) / "golden"
        root.mkdir()
        os.environ["FSQL_CACHE_DIR"] = str(Path(tmp) / "cache")  # cold at the start
        n_services = write_repository(root, size, big, kinds)
        took, changes = timed(lambda: golden.update(root, out, dialects=dialects, jobs=1))
        files = len(changes.added)
        rows.append((f"update, empty directory, cold cache ({files} files), 1 process", took))
        if jobs > 1:
            shutil.rmtree(out)
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
            took, changes = timed(lambda: golden.update(root, out, dialects=dialects,
                                                        jobs=jobs))
            assert len(changes.added) == files, changes.summary()
            rows.append((f"update, empty directory, cold cache, {jobs} processes", took))
        took, changes = timed(lambda: golden.check(root, out, dialects=dialects))
        assert changes.clean, changes.summary()
        rows.append(("check, up to date (local cache)", took))
        took, changes = timed(lambda: record_only(lambda: golden.check(root, out,
                                                                      dialects=dialects)))
        assert changes.clean, changes.summary()
        rows.append(("check, up to date, record only (a fresh CI machine)", took))
        took, changes = timed(lambda: golden.check(root, out, dialects=dialects, cache=False,
                                                   jobs=1))
        assert changes.clean, changes.summary()
        rows.append(("check, up to date, no record or cache (every file compiled), 1 process",
                     took))
        if jobs > 1:
            took, changes = timed(lambda: golden.check(root, out, dialects=dialects, jobs=jobs,
                                                       cache=False))
            assert changes.clean, changes.summary()
            rows.append((f"check, up to date, no record or cache, {jobs} processes", took))
        views = root / "views_00.py"
        views.write_text(views.read_text().replace('ttl="7d"', 'ttl="8d"', 1))
        took, changes = timed(lambda: record_only(lambda: golden.check(root, out,
                                                                      dialects=dialects)))
        rows.append((f"check, one view changed ({len(changes.changed)} files differ, record "
                     "only)", took))
        took, changes = timed(lambda: golden.check(root, out, dialects=dialects))
        rows.append((f"check, one view changed ({len(changes.changed)} files differ, local "
                     "cache)", took))
        if run_validate:
            took, report = timed(lambda: validate(root, dialects=dialects, jobs=jobs))
            assert not report.problems, report.problems[0].format()
            rows.append((f"validate, cold cache ({report.statements} statements compiled and "
                         f"parsed, {jobs} processes)", took))
            took, report = timed(lambda: validate(root, dialects=dialects))
            assert not report.problems, report.problems[0].format()
            rows.append(("validate again (local cache: every request planned, none printed)",
                         took))
    print(f"{size} views, {n_services} services, {len(dialects)} dialects, kinds "
          f"{', '.join(kinds)}", flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500", help="views (default: 50,500)")
    parser.add_argument("--dialects", default="duckdb,bigquery,snowflake,postgres",
                        help="comma-separated dialects (default: all four)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="also update and check in this many processes (default: 2; 1: "
                             "skip)")
    parser.add_argument("--validate", action="store_true",
                        help="also time fsql validate (every view and service, per dialect)")
    parser.add_argument("--kinds", default="training,materialize,dbt",
                        help="kinds of golden files (default: all three)")
    parser.add_argument("--big-services", action="store_true",
                        help="also the 50- and 200-view services of bench/compile.py")
    args = parser.parse_args(argv)
    dialects = [d for d in args.dialects.split(",") if d]
    table: list[tuple[int, str, str]] = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        table += [(size, what, value)
                  for what, value in measure(size, dialects, args.jobs, args.big_services,
                                             args.validate, args.kinds.split(","))]
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs)\n")
    print("| views | measurement | wall seconds (CPU seconds) |\n|---|---|---|")
    for size, what, value in table:
        print(f"| {size} | {what} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
