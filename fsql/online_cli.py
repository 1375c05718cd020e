"""The online commands of ``fsql``: ``serve`` (the HTTP feature server) and ``freshness``
(each view's last sync against its TTL). fsql/cli.py adds them to its parser."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fsql.online.config import online_url
from fsql.online.http import serve
from fsql.online.server import OnlineServer
from fsql.repo import Repo


def add_commands(commands: Any) -> None:
    """Add ``serve`` and ``freshness`` to the ``fsql`` subcommands."""
    srv = commands.add_parser("serve", help="run the HTTP feature server (Feast's JSON API)")
    fresh = commands.add_parser(
        "freshness", help="each view's last sync and its age against its TTL (exit 1: stale)")
    for parser in (srv, fresh):
        parser.add_argument("--repo", default=".",
                            help="feature repository directory (default: .)")
        parser.add_argument("--online", default=None, metavar="URL",
                            help="online store, sqlite:///PATH or redis://HOST:PORT/DB "
                                 "(default: fsql.toml's [online] url, else sqlite:///online.db)")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    srv.add_argument("--port", type=int, default=6566, help="port (default: 6566)")
    fresh.add_argument("--views", default=None, metavar="VIEW,VIEW,...",
                       help="the views to check (default: every view with entities)")
    srv.set_defaults(handler=run)
    fresh.set_defaults(handler=run)


def run(repo: Repo, args: argparse.Namespace) -> int:
    """Run ``serve`` or ``freshness`` on a loaded repository."""
    server = OnlineServer(repo, online_url(repo, args.online))
    try:
        if args.command == "serve":
            print(f"fsql: serving {repo.root} from {server.store.url} on "
                  f"http://{args.host}:{args.port}", file=sys.stderr)
            serve(server, host=args.host, port=args.port)
            return 0
        views = [v.strip() for v in args.views.split(",") if v.strip()] if args.views else None
        rows = server.freshness(views)
        for row in rows:
            print(row.format())
        return 1 if any(row.stale for row in rows) else 0
    finally:
        server.close()
