"""The ``fsql materialize``, ``consistency`` and ``backfill`` subcommands (wired into
fsql/cli.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.errors import CompileError
from fsql.materialize.backfill import backfill
from fsql.materialize.backfill_bigquery import backfill_in_bigquery
from fsql.materialize.backfill_script import print_backfill
from fsql.materialize.backfill_snowflake import backfill_in_snowflake
from fsql.materialize.consistency import check_consistency
from fsql.materialize.run import materialize, print_script
from fsql.materialize.targets import resolve_target


def add_commands(commands: Any) -> None:
    """Add the materialization subcommands to ``fsql``'s subparsers."""
    mat = commands.add_parser(
        "materialize", help="bring latest tables up to date as of --end (DuckDB targets), or "
                            "print a warehouse's script")
    mat.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    which = mat.add_mutually_exclusive_group()
    which.add_argument("--views", default=None, metavar="V1,V2",
                       help="views to materialize (default: every view with entities)")
    which.add_argument("--service", default=None, metavar="S",
                       help="the views of a feature service, with its cut")
    mat.add_argument("--end", default=None, metavar="T1",
                     help="the time the tables are brought up to: now (default), 2024-03-01, "
                          "2024-03-01T12:00:00 (UTC), 2024-03-01T12:00:00+02:00")
    mat.add_argument("--target", default=None, metavar="NAME|URL",
                     help="a [targets.NAME] of fsql.toml or a URL (default: "
                          "duckdb:///fsql_store.duckdb in the repository)")
    mat.add_argument("--full-refresh", action="store_true",
                     help="rebuild the tables from scratch (needed after a definition change)")
    mat.add_argument("--dialect", default=None,
                     help="with --print: duckdb, bigquery or snowflake")
    mat.add_argument("--online", nargs="?", const="", default=None, metavar="URL",
                     help="then copy the tables into the online store (URL, else fsql.toml's "
                          "[online] url, else sqlite:///online.db)")
    mat.add_argument("--print", action="store_true", dest="print_script",
                     help="print the statements instead of running them (warehouse jobs)")
    con = commands.add_parser(
        "consistency", help="compare a latest table with the training-set query at --at")
    con.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    con.add_argument("--view", required=True, help="the view whose latest table is checked")
    con.add_argument("--at", required=True, metavar="T1",
                     help="the time of the table's last run (formats as --end)")
    con.add_argument("--target", default=None, metavar="NAME|URL",
                     help="as for materialize")
    con.add_argument("--service", default=None, metavar="S",
                     help="the service whose cut the table was materialized with")
    con.add_argument("--online", nargs="?", const="", default=None, metavar="URL",
                     help="compare the online store (URL, else fsql.toml's) instead of the "
                          "latest table")
    back = commands.add_parser(
        "backfill", help="write a view's offline feature table: per key and grid time, the "
                         "training-set value (DuckDB and BigQuery targets; chunked, resumable), "
                         "or print a warehouse script")
    back.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    back.add_argument("--view", required=True, help="the view to backfill")
    back.add_argument("--start", required=True, metavar="T0", help="first grid time")
    back.add_argument("--end", required=True, metavar="T1", help="last grid time (included)")
    back.add_argument("--every", required=True, metavar="1h|1d",
                      help="grid step: s, m, h, d, w units (e.g. 1h, 1d)")
    back.add_argument("--chunk", type=int, default=24, metavar="N",
                      help="grid times per transaction (default: 24)")
    back.add_argument("--target", default=None, metavar="NAME|URL", help="as for materialize")
    back.add_argument("--service", default=None, metavar="S",
                      help="the service whose cut applies")
    back.add_argument("--dialect", default=None,
                      help="with --print: bigquery or snowflake")
    back.add_argument("--print", action="store_true", dest="print_script",
                      help="print the warehouse script instead of running it (resumable: run "
                           "it again after a failure)")
    for parser in (mat, con, back):
        parser.set_defaults(handler=run_command)


def run_command(repo: Catalog, args: argparse.Namespace) -> int:
    """Run one of the subcommands; errors propagate to fsql's one-line handler."""
    if args.command == "consistency":
        result = check_consistency(repo, view=args.view, at=args.at, target=args.target,
                                   service=args.service)
        print(result.format())
        return 0 if result.ok else 1
    if args.command == "backfill" and args.print_script:
        sys.stdout.write(print_backfill(repo, view=args.view, start=args.start, end=args.end,
                                        every=args.every,
                                        dialect=args.dialect or repo.default_dialect,
                                        target=args.target, service=args.service,
                                        chunk=args.chunk))
        return 0
    if args.command == "backfill":
        if args.dialect:
            raise CompileError("--dialect goes with --print; a backfill runs on its --target")
        def note(message: str) -> None:
            if sys.stderr.isatty():
                print(message, file=sys.stderr)

        where = resolve_target(args.target, root=repo.root)
        run = {"bigquery": backfill_in_bigquery,
               "snowflake": backfill_in_snowflake}.get(where.scheme, backfill)
        done = run(repo, view=args.view, start=args.start, end=args.end, every=args.every,
                   target=args.target, service=args.service, chunk=args.chunk, progress=note)
        print(done.format())
        return 0
    if args.print_script:
        sys.stdout.write(print_script(repo, dialect=args.dialect or repo.default_dialect,
                                      views=args.views, service=args.service, end=args.end,
                                      target=args.target, full_refresh=args.full_refresh))
        return 0
    if args.dialect:
        raise CompileError("--dialect goes with --print; a run executes on its --target")

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(message, file=sys.stderr)

    report = materialize(repo, views=args.views, service=args.service, end=args.end,
                         target=args.target, full_refresh=args.full_refresh,
                         progress=progress)
    print(f"target {report.target}")
    print(report.format())
    return 0
