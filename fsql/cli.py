"""The ``fsql`` command: ``compile`` prints SQL and ``run`` builds a training set on DuckDB
(or in BigQuery or Snowflake with ``--target``);
the other subcommands (materialize, sync, serve, dbt, golden, validate, stats, drift, skew,
plan, ls, show, ...) are registered by the modules that implement them (``fsql --help``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NoReturn

from fsql.checks import commands as checks
from fsql.contracts import add_commands as add_contract_commands
from fsql.dbt.cli import add_commands as add_dbt_commands
from fsql.discovery import add_commands as add_discovery_commands
from fsql.engines.files import DuckDBFiles
from fsql.engines.runner import RunSummary, run_to_file
from fsql.errors import CompileError, FsqlError
from fsql.materialize.cli import add_commands as add_materialize_commands
from fsql.materialize.target_run import warehouse_run_to_file
from fsql.monitor.cli import add_commands as add_monitor_commands
from fsql.online.cli import add_commands as add_online_commands
from fsql.online.cli import after_materialize, online_consistency
from fsql.online_cli import add_commands as add_serving_commands
from fsql.plan.nodes import SpineRef
from fsql.plan.planner import spine_ref
from fsql.repo import Repo
from fsql.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported like every other one: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"fsql: error: {message} (see: {self.prog} --help)\n")


def _one_line(message: str) -> str:
    """``message`` on one line (engine errors may span several)."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _request_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    parser.add_argument("--features", required=True,
                        help="a feature service name or view:feature,view:feature,...")
    parser.add_argument("--spine", required=True,
                        help="spine: a table name, a .parquet/.csv file or a 'SELECT ...' query")
    parser.add_argument("--spine-timestamp", default="event_timestamp",
                        help="spine timestamp column (default: event_timestamp)")
    parser.add_argument("--env", default=None, metavar="NAME",
                        help="an [environments.NAME] of fsql.toml: files or tables, schema, "
                             "dialect (default: files on DuckDB, tables on warehouses)")
    parser.add_argument("--cut", choices=["inclusive", "exclusive"], default=None,
                        help="inclusive: rows at exactly the spine time are visible; "
                             "exclusive: only earlier rows (default: the service's cut, else "
                             "inclusive)")
    parser.add_argument("--created-cutoff", action="store_true",
                        help="also hide rows created after the spine time")
    parser.add_argument("--full-names", action="store_true",
                        help="name feature columns view__feature")
    parser.add_argument("--serving-lag", default=None, metavar="DURATION",
                        help="features as of each spine time minus DURATION (e.g. 1h): train "
                             "with the freshness the model is served with")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fsql`` command."""
    parser = _Parser(prog="fsql", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fsql {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    comp = commands.add_parser("compile", help="print the training-set query for a dialect")
    _request_options(comp)
    comp.add_argument("--dialect", default=None,
                      help="duckdb, bigquery, snowflake or postgres (default: fsql.toml's, "
                           "else duckdb)")
    comp.add_argument("--spine-columns", default=None, metavar="COL,COL,...",
                      help="the columns of a table or query spine, in order (needed where the "
                           "dialect has no SELECT * EXCEPT: postgres)")
    run = commands.add_parser("run", help="build a training set on embedded DuckDB")
    _request_options(run)
    run.add_argument("--out", required=True, help="output .parquet or .csv file")
    run.add_argument("--target", default=None, metavar="NAME|URL",
                     help="run in this warehouse (bigquery://project/dataset..., "
                          "snowflake://user@account/db/schema...; a local spine file is "
                          "uploaded to a table that expires); default: DuckDB")
    run.add_argument("--no-progress", action="store_true", help="hide DuckDB's progress bar")
    run.add_argument("--memory-limit", default=None, metavar="SIZE",
                     help="cap DuckDB's memory, e.g. 4GB; it spills to disk past it "
                          "(default: DuckDB's, 80%% of RAM)")
    add_discovery_commands(commands)
    add_contract_commands(commands)
    add_materialize_commands(commands)
    add_online_commands(commands)
    add_monitor_commands(commands)
    add_dbt_commands(commands)
    add_serving_commands(commands)  # serve, freshness
    checks.add_commands(commands)
    return parser


def _spine(repo: Repo, args: argparse.Namespace) -> str | SpineRef:
    """``--spine``, with the columns ``--spine-columns`` names (a table or query spine)."""
    if not args.spine_columns:
        return str(args.spine)
    ref = spine_ref(args.spine, schemas=DuckDBFiles(), timestamp_column=args.spine_timestamp,
                    root=repo.root)
    if ref.kind == "file":
        raise CompileError("--spine-columns is for a table or query spine; a file's columns "
                           "are read from the file")
    columns = tuple(c.strip() for c in args.spine_columns.split(",") if c.strip())
    return replace(ref, columns=columns)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; a user mistake prints one line on stderr and returns 2.

    >>> main(["compile", "--repo", "examples/fraud", "--features", "fraud_detection",
    ...       "--spine", "spine", "--dialect", "bigquery"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    try:
        if args.command in checks.COMMANDS:
            return checks.run(args)
        repo = Repo.load(args.repo)
        if args.command == "consistency" and args.online is not None:
            return online_consistency(repo, args)
        if getattr(args, "handler", None) is not None:
            code = int(args.handler(repo, args))
            if code == 0 and args.command == "materialize":
                code = after_materialize(repo, args)
            return code
        options = dict(spine_timestamp=args.spine_timestamp, cut=args.cut, env=args.env,
                       created_cutoff=args.created_cutoff, full_names=args.full_names,
                       serving_lag=args.serving_lag)
        if args.command == "compile":
            sys.stdout.write(repo.compile(args.features, _spine(repo, args), dialect=args.dialect,
                                          **options))
            return 0
        if args.target is not None:
            summary = run_on_target(repo, args, options)
            print(f"wrote {args.out}: {summary.format()}")
            return 0
        summary = run_to_file(repo, args.features, args.spine, args.out,  # path or query
                              progress=not args.no_progress and sys.stderr.isatty(),
                              memory_limit=args.memory_limit, **options)
        print(f"wrote {args.out}: {summary.format()}")
        return 0
    except (FsqlError, OSError) as err:
        # OSError: the environment refused (unreadable repository, full disk), not a bug.
        print(f"fsql: error: {_one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fsql: interrupted", file=sys.stderr)
        return 130


def run_on_target(repo: Repo, args: argparse.Namespace, options: dict[str, Any]) -> RunSummary:
    """``fsql run --target``: the training set computed in the warehouse (BigQuery or
    Snowflake)."""

    def progress(message: str) -> None:
        if not args.no_progress and sys.stderr.isatty():
            print(message, file=sys.stderr)

    return warehouse_run_to_file(repo, args.features, args.spine, args.out, target=args.target,
                                 progress=progress, **options)


if __name__ == "__main__":
    sys.exit(main())
