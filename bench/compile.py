"""Benchmark of compile time: a generated repository of many views, compiled per dialect.

The repository (written to a temp directory as a user would write it: ``entities.py``,
``views_NN.py``, ``services.py``) has one entity ``user`` (join key ``user_id``) and 500 views
on table sources ``proj.ds.src_N``: one in five an aggregation view (sum(amount),
count(*), count_distinct(merchant_id) over 1d/7d/30d), the rest snapshot views (5 float64
features, ttl 7d). Services: ``s000`` ... ``s049`` (10 views each), ``svc_50`` and
``svc_200`` (the first 50 and 200 views).

Measured, in this process (wall clock, ``time.perf_counter``):

- ``Repo.load`` of the repository (the first load and the fastest of the later ones);
- the compile of a 10-, 50- and 200-view service per dialect (``full_names=True``, spine table
  ``proj.ds.spine``): ``Repo.compile``, i.e. plan, tree and text; the fastest of ``--runs``;
- every service and every view (a one-view request) of the repository, per dialect; then
  the same for the three dialects in ``--jobs`` processes (default 2; each worker loads the
  repository, within the time).

    python bench/compile.py                          # everything (about 1 min)
    python bench/compile.py --sizes 10,50 --no-all   # the service sizes only
    python bench/compile.py --profile 200:duckdb     # cProfile of one compile, top entries

``--timeout`` abandons a measurement that takes longer (it is then printed as ``> N``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

DIALECTS = ("duckdb", "bigquery", "snowflake")
N_VIEWS = 500
PER_SERVICE = 10
BIG_SERVICES = (50, 200)
VIEWS_PER_FILE = 50
SPINE = "proj.ds.spine"


# -- the repository -------------------------------------------------------------------------
def view_text(n: int) -> str:
    """The definition of view ``v{n:03d}`` and its source (every fifth one aggregates)."""
    if n % 5 == 0:
        aggregates = "\n".join(
            f"        Aggregate({column!r}, {function!r}, window={w!r}),"
            for w in ("1d", "7d", "30d")
            for column, function in (("amount", "sum"), ("*", "count"),
                                     ("merchant_id", "count_distinct"))
        )
        return f'''
src_{n} = Source("src_{n}", table="proj.ds.src_{n}", timestamp_field="event_ts",
                 schema={{"user_id": "int64", "event_ts": "timestamp", "amount": "float64",
                          "merchant_id": "int64"}})
v{n:03d} = FeatureView(
    "v{n:03d}",
    entities=[user],
    source=src_{n},
    features=[
{aggregates}
    ],
)
'''
    fields = "\n".join(f'        Field("f{k}", "float64"),' for k in range(5))
    return f'''
src_{n} = Source("src_{n}", table="proj.ds.src_{n}", timestamp_field="event_ts")
v{n:03d} = FeatureView(
    "v{n:03d}",
    entities=[user],
    source=src_{n},
    ttl="7d",
    features=[
{fields}
    ],
)
'''


def write_repository(root: Path, n_views: int = N_VIEWS) -> list[str]:
    """Write the repository under ``root``; return its service names."""
    (root / "fsql.toml").write_text('[project]\nname = "compile_bench"\n')
    (root / "entities.py").write_text(
        'from fsql import Entity\n\nuser = Entity("user", join_keys=["user_id"])\n')
    modules = []
    for start in range(0, n_views, VIEWS_PER_FILE):
        module = f"views_{start // VIEWS_PER_FILE:02d}"
        modules.append((module, range(start, min(start + VIEWS_PER_FILE, n_views))))
        body = "".join(view_text(n) for n in modules[-1][1])
        (root / f"{module}.py").write_text(
            "from entities import user\n\n"
            "from fsql import Aggregate, FeatureView, Field, Source\n" + body)
    imports = "".join(
        f"from {module} import {', '.join(f'v{n:03d}' for n in views)}\n"
        for module, views in modules)
    services = [f"s{k:03d}" for k in range(n_views // PER_SERVICE)]

    def service(name: str, views: range) -> str:
        return f"{name} = FeatureService({name!r}, [{', '.join(f'v{n:03d}' for n in views)}])"

    lines = [service(name, range(k * PER_SERVICE, (k + 1) * PER_SERVICE))
             for k, name in enumerate(services)]
    for size in BIG_SERVICES:
        services.append(f"svc_{size}")
        lines.append(service(services[-1], range(size)))
    (root / "services.py").write_text(
        "from fsql import FeatureService\n" + imports + "\n" + "\n".join(lines) + "\n")
    return services


def service_of(size: int) -> str:
    """The service with ``size`` views."""
    return "s000" if size == PER_SERVICE else f"svc_{size}"


# -- timing ---------------------------------------------------------------------------------
class Timeout(Exception):
    """A measurement ran past ``--timeout``."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`Timeout` in the block after ``seconds`` (0: never)."""
    def expire(signum: int, frame: Any) -> None:
        raise Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(run: Callable[[], object], timeout: float) -> float | None:
    """Seconds ``run`` took, or None past ``timeout``."""
    start = time.perf_counter()
    try:
        with deadline(timeout):
            run()
    except Timeout:
        return None
    return time.perf_counter() - start


def best(run: Callable[[], object], runs: int, timeout: float) -> float | None:
    """The fastest of ``runs`` runs of ``run`` (None if the first one times out)."""
    times = []
    for _ in range(runs):
        took = timed(run, timeout)
        if took is None:
            break
        times.append(took)
    return min(times) if times else None


def total(times: Sequence[float | None], timeout: float) -> str:
    """The sum of ``times``; ``> N`` (a lower bound) when one ran past ``timeout``."""
    known = sum(t for t in times if t is not None)
    if None in times:
        return f"> {known + timeout * times.count(None):.0f}"
    return f"{known:.2f}"


# -- the measurements -----------------------------------------------------------------------
def compile_every(repo: Any, requests: Sequence[str], dialect: str) -> None:
    """Compile each request for ``dialect``."""
    for request in requests:
        repo.compile(request, SPINE, dialect=dialect, full_names=True)


_worker_repo: Any = None


def _load_in_worker(root: str) -> None:
    global _worker_repo
    from fsql import Repo

    _worker_repo = Repo.load(root)


def _compile_in_worker(job: tuple[str, str]) -> int:
    request, dialect = job
    return len(_worker_repo.compile(request, SPINE, dialect=dialect, full_names=True))


def compile_every_in_pool(root: Path, requests: Sequence[str], dialects: Sequence[str],
                          jobs: int) -> None:
    """Compile each request for each dialect in ``jobs`` processes (each loads the
    repository itself: that is part of the time)."""
    work = [(request, dialect) for dialect in dialects for request in requests]
    with ProcessPoolExecutor(jobs, initializer=_load_in_worker, initargs=(str(root),)) as pool:
        try:
            for _ in pool.map(_compile_in_worker, work, chunksize=8):
                pass
        except Timeout:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def profile(repo: Any, spec: str, top: int) -> None:
    """cProfile one compile (``SIZE:DIALECT``) and print the top entries by own time and by
    cumulative time."""
    size, _, dialect = spec.partition(":")
    profiler = cProfile.Profile()
    profiler.enable()
    repo.compile(service_of(int(size)), SPINE, dialect=dialect or "duckdb", full_names=True)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    from fsql import Repo

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,200",
                        help="views per service to compile (10, 50, 200; default: all)")
    parser.add_argument("--dialects", default=",".join(DIALECTS),
                        help="comma-separated dialects (default: all three)")
    parser.add_argument("--no-all", action="store_true",
                        help="skip compiling every service and view of the repository")
    parser.add_argument("--jobs", type=int, default=2,
                        help="also compile every service and view in this many processes "
                             "(default: 2; 1: only in this process)")
    parser.add_argument("--loads", type=int, default=3, help="Repo.load runs (default: 3)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each service compile, the fastest reported (default: 3)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a measurement is abandoned (default: 600)")
    parser.add_argument("--profile", metavar="SIZE:DIALECT",
                        help="profile one compile instead (e.g. 200:duckdb)")
    parser.add_argument("--top", type=int, default=25, help="profile entries (default: 25)")
    args = parser.parse_args(argv)
    dialects = [d for d in args.dialects.split(",") if d]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows: list[tuple[str, str, str]] = []

    def row(what: str, dialect: str, value: str) -> None:
        rows.append((what, dialect, value))
        print(what, dialect, value, flush=True)

    with tempfile.TemporaryDirectory(prefix="fsql-compile-bench-") as tmp:
        root = Path(tmp)
        services = write_repository(root)
        loads = [timed(partial(Repo.load, root), args.timeout) for _ in range(args.loads)]
        repo = Repo.load(root)
        if args.profile:
            profile(repo, args.profile, args.top)
            return 0
        print(f"repository: {len(repo.views)} views, {len(services)} services")
        row("Repo.load, first", "", total(loads[:1], args.timeout))
        if len(loads) > 1:
            later = [s for s in loads[1:] if s is not None]
            row("Repo.load, best later", "", total([min(later) if later else None],
                                                   args.timeout))
        for size in sizes:
            times = [best(partial(repo.compile, service_of(size), SPINE, dialect=dialect,
                                  full_names=True), args.runs, args.timeout)
                     for dialect in dialects]
            for dialect, took in zip(dialects, times, strict=True):
                row(f"service of {size} views", dialect, total([took], args.timeout))
            if len(dialects) > 1:
                row(f"service of {size} views", "all", total(times, args.timeout))
        if not args.no_all:
            requests = [*services, *repo.views]
            what = f"all {len(services)} services + {len(repo.views)} views"
            times = [timed(partial(compile_every, repo, requests, dialect), args.timeout)
                     for dialect in dialects]
            for dialect, took in zip(dialects, times, strict=True):
                row(what, dialect, total([took], args.timeout))
            if len(dialects) > 1:
                row(what, "all", total(times, args.timeout))
            if args.jobs > 1:
                took = timed(partial(compile_every_in_pool, root, requests, dialects, args.jobs),
                             args.timeout)
                row(f"{what}, {args.jobs} processes", "all", total([took], args.timeout))
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs)\n")
    print("| measurement | dialect | seconds |\n|---|---|---|")
    for what, dialect, value in rows:
        print(f"| {what} | {dialect} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
