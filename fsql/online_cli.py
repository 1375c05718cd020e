"""The online commands of ``fsql``: ``serve`` (the HTTP feature server) and ``freshness``
(each view's last sync against its TTL). fsql/cli.py adds them to its parser."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fsql.materialize.targets import parse_end
from fsql.monitor.freshness import offline_freshness
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
    fresh.add_argument("--offline", action="store_true",
                       help="check the sources and latest tables instead: each view's newest "
                            "event and created time and last materialization, the lag against "
                            "its freshness_sla (else its TTL)")
    fresh.add_argument("--target", default=None, metavar="NAME|URL",
                       help="where the latest tables are (implies --offline; a bigquery:// "
                            "target runs both queries in BigQuery)")
    fresh.add_argument("--at", default=None, metavar="T",
                       help="the time to measure ages at (default: now; formats as "
                            "materialize --end)")
    srv.set_defaults(handler=run)
    fresh.set_defaults(handler=run)


def run(repo: Repo, args: argparse.Namespace) -> int:
    """Run ``serve`` or ``freshness`` on a loaded repository."""
    if args.command == "freshness" and (args.offline or args.target is not None):
        now = parse_end(args.at) if args.at else None
        offline = offline_freshness(repo, _views(args.views), target=args.target, now=now)
        for item in offline:
            print(item.format())
        return 1 if any(item.stale for item in offline) else 0
    server = OnlineServer(repo, online_url(repo, args.online))
    try:
        if args.command == "serve":
            print(f"fsql: serving {repo.root} from {server.store.url} on "
                  f"http://{args.host}:{args.port}", file=sys.stderr)
            serve(server, host=args.host, port=args.port)
            return 0
        now = parse_end(args.at) if args.at else None
        rows = server.freshness(_views(args.views), now=now)
        for row in rows:
            print(row.format())
        return 1 if any(row.stale for row in rows) else 0
    finally:
        server.close()


def _views(text: str | None) -> list[str] | None:
    return [v.strip() for v in text.split(",") if v.strip()] if text else None
