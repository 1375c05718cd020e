"""The ``fsql dbt`` subcommand (wired into fsql/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fsql.dbt.project import check_project, generate, parse_training, write
from fsql.repo import Repo


def add_commands(commands: Any) -> None:
    """Add ``fsql dbt`` to ``fsql``'s subparsers."""
    dbt = commands.add_parser(
        "dbt", help="write fsql's sources, latest tables and training sets into a dbt project")
    dbt.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    dbt.add_argument("--out", required=True, metavar="DBT_PROJECT_DIR",
                     help="an existing dbt project (with dbt_project.yml); fsql writes under "
                          "its models/fsql/ only")
    dbt.add_argument("--dialect", default=None,
                     help="duckdb, bigquery or snowflake (default: fsql.toml's, else duckdb)")
    dbt.add_argument("--training", action="append", default=[], metavar="SERVICE=RELATION",
                     help="a training-set model <service>_training over the spine "
                          "ref('model') or source('name', 'table'); repeatable")
    dbt.add_argument("--spine-timestamp", default="event_timestamp",
                     help="the spines' timestamp column (default: event_timestamp)")
    dbt.set_defaults(handler=run_command)


def run_command(repo: Repo, args: argparse.Namespace) -> int:
    """Write the models; errors propagate to fsql's one-line handler."""
    out = Path(args.out)
    check_project(out)
    training = parse_training(args.training, repo)
    generated = generate(repo, out, dialect=repo.dialect_for(args.dialect, None),
                         training=training, spine_timestamp=args.spine_timestamp)
    written, removed = write(generated, out)
    print(f"{out / 'models' / 'fsql'}: {len(generated.files)} files, {len(written)} written, "
          f"{len(removed)} removed, {len(generated.files) - len(written)} unchanged")
    return 0
