"""The ``fsql golden update|check`` and ``fsql validate`` subcommands (fsql/cli.py delegates
to :func:`add_commands` and :func:`run`).

Exit codes: 0 up to date / valid; 1 the golden files differ / problems found; 2 a user
mistake (one line on stderr, from fsql/cli.py)."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from fsql.checks import golden
from fsql.checks.validate import validate

COMMANDS = ("golden", "validate")


def add_commands(commands: Any) -> None:
    """Add ``golden`` and ``validate`` to the ``fsql`` parser's subcommands."""
    gold = commands.add_parser("golden", help="write or check golden SQL files for CI")
    actions = gold.add_subparsers(dest="golden_command", required=True)
    for name, text in (("update", "write every service's training-set SQL, every view's "
                                  "materialization script and the dbt models per dialect"),
                       ("check", "exit 1 with a diff when compiled SQL differs from --out")):
        action = actions.add_parser(name, help=text)
        _repo_options(action)
        action.add_argument("--out", required=True, metavar="DIR",
                            help="the golden directory (<dialect>/training/<service>.sql, "
                                 "<dialect>/materialize/<view>.sql, <dialect>/dbt/<file>)")
        action.add_argument("--jobs", type=int, default=None, metavar="N",
                            help="print the files in N processes (default: one per CPU from "
                                 f"{golden.PARALLEL_FROM} files up, else 1)")
        action.add_argument("--no-cache", action="store_true",
                            help="compile every file, even those whose inputs match the golden "
                                 "directory's record (.fsql-golden.json) or the local cache "
                                 "($FSQL_CACHE_DIR, default ~/.cache/fsql/golden)")
    check = commands.add_parser(
        "validate", help="load, type-check and compile every service and view per dialect")
    _repo_options(check)
    check.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="compile in N processes (default: 1)")
    check.add_argument("--no-cache", action="store_true",
                       help="print and parse every statement, even those the local cache "
                            "records as parsed")
    check.add_argument("--target", default=None, metavar="NAME|URL",
                       help="also dry-run each statement of the target's dialect in its "
                            "warehouse (bigquery://project/dataset...): bytes it would "
                            "process, or why it refuses")


def _repo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    parser.add_argument("--dialects", default=None, metavar="D,D,...",
                        help="comma-separated dialects (default: [golden] dialects of "
                             "fsql.toml, else all)")


def run(args: argparse.Namespace) -> int:
    """Run a ``golden`` or ``validate`` command; a user mistake raises an FsqlError."""
    if args.command == "validate":
        report = validate(args.repo, dialects=args.dialects, jobs=args.jobs,
                          cache=not args.no_cache, target=args.target)
        for dry_run in report.dry_runs:
            print(dry_run.format())
        for problem in report.problems:
            print(problem.format(), file=sys.stderr)
        print(report.summary(), file=sys.stderr if report.problems else sys.stdout)
        return 1 if report.problems else 0
    if args.golden_command == "update":
        changes = golden.update(args.repo, args.out, dialects=args.dialects, jobs=args.jobs,
                                cache=not args.no_cache)
        for path in changes.changed + changes.added + changes.removed:
            verb = ("updated" if path in changes.changed else
                    "added" if path in changes.added else "removed")
            print(f"{verb} {path}")
        print(f"fsql golden update: {changes.summary()}")
        return 0
    changes = golden.check(args.repo, args.out, dialects=args.dialects, jobs=args.jobs,
                           cache=not args.no_cache)
    sys.stdout.write("".join(changes.diffs))
    if changes.clean:
        print(f"fsql golden check: {changes.summary()}: up to date")
        return 0
    again = ["fsql", "golden", "update", "--repo", args.repo, "--out", args.out]
    if args.dialects:
        again += ["--dialects", args.dialects]
    print(f"fsql golden check: {changes.summary()}; if the change is intended, run "
          f"{shlex.join(again)} and commit the diff")
    return 1
