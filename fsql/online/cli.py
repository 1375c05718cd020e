"""``fsql sync`` (latest tables into the online store) and the ``--online`` step of
``fsql materialize``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.online.consistency import check_online_consistency
from fsql.online.from_latest import sync


def add_commands(commands: Any) -> None:
    """Add ``fsql sync`` to ``fsql``'s subparsers."""
    cmd = commands.add_parser("sync", help="copy latest tables into the online store")
    cmd.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    which = cmd.add_mutually_exclusive_group()
    which.add_argument("--views", default=None, metavar="V1,V2",
                       help="views to sync (default: every view with entities)")
    which.add_argument("--service", default=None, metavar="S",
                       help="the views of a feature service, with its cut")
    cmd.add_argument("--online", default=None, metavar="URL",
                     help="sqlite:///PATH or redis://HOST:PORT/DB (default: fsql.toml's "
                          "[online] url, else sqlite:///online.db)")
    cmd.add_argument("--target", default=None, metavar="NAME|URL",
                     help="where the latest tables are (as for fsql materialize)")
    cmd.add_argument("--full-refresh", action="store_true",
                     help="rebuild the online copy (needed after a definition change)")
    cmd.set_defaults(handler=run_sync)


def run_sync(repo: Catalog, args: argparse.Namespace) -> int:
    """Sync and print one line per view."""
    online = args.online or None
    for result in sync(repo, views=args.views, service=args.service, online=online,
                       target=args.target, full_refresh=args.full_refresh):
        print(result.format())
    return 0


def after_materialize(repo: Catalog, args: argparse.Namespace) -> int:
    """``fsql materialize --online [URL]``: the same views, synced once their tables are."""
    if getattr(args, "online", None) is None or getattr(args, "print_script", False):
        return 0
    for result in sync(repo, views=args.views, service=args.service, online=args.online or None,
                       target=args.target, full_refresh=args.full_refresh):
        print(f"online {result.format()}", file=sys.stdout)
    return 0


def online_consistency(repo: Catalog, args: argparse.Namespace) -> int:
    """``fsql consistency --online``: the online store against the training set."""
    result = check_online_consistency(repo, view=args.view, at=args.at,
                                      online=args.online or None, service=args.service)
    print(result.format().replace("latest table", "online store"))
    return 0 if result.ok else 1
