"""Discovery: what a repository defines (``fsql ls``) and everything about one feature
(``fsql show view:feature``: its definition, its SQL per dialect, the services that use it)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from fsql.dsl.aggregates import Aggregate, Derived, window_label
from fsql.dsl.definitions import FeatureService, FeatureView, Field, ViewProjection
from fsql.errors import DefinitionError, FsqlError, did_you_mean
from fsql.plan.nodes import SpineRef
from fsql.repo import Repo
from fsql.sql.dialect import available

KINDS = ("entities", "views", "features", "services")
# The spine a shown feature's SQL is compiled for: a table with the view's join keys.
_SHOW_SPINE = "spine"


def listing(repo: Repo, kind: str) -> list[dict[str, Any]]:
    """One dict per definition of ``kind`` (entities, views, features, services), sorted by
    name: what ``fsql ls`` prints and ``--json`` writes."""
    if kind == "entities":
        return [{"name": e.name, "join_keys": list(e.join_keys),
                 "description": e.description, "location": e.location}
                for e in sorted(repo.entities.values(), key=lambda e: e.name)]
    if kind == "views":
        return [_view(v) for v in sorted(repo.views.values(), key=lambda v: v.name)]
    if kind == "features":
        return [row for v in sorted(repo.views.values(), key=lambda v: v.name)
                for row in _features(v)]
    if kind == "services":
        return [{"name": s.name, "features": [_reference(f) for f in s.features],
                 "cut": s.cut or "inclusive", "description": s.description,
                 "location": s.location}
                for s in sorted(repo.services.values(), key=lambda s: s.name)]
    raise DefinitionError(f"Unknown listing {kind!r}.{did_you_mean(kind, list(KINDS))} "
                          f"Use one of: {', '.join(KINDS)}")


def _view(view: FeatureView) -> dict[str, Any]:
    return {
        "name": view.name, "kind": "aggregation" if view.is_aggregation else "snapshot",
        "entities": [e.name for e in view.entities], "source": view.source.name,
        "ttl": window_label(view.ttl) if view.ttl is not None else None,
        "features": len(view.features) + len(view.derived), "owner": view.owner,
        "tags": dict(view.tags), "description": view.description, "location": view.location,
    }


def _features(view: FeatureView) -> list[dict[str, Any]]:
    rows = []
    for feat in view.features:
        if isinstance(feat, Field):
            what, window = "field", None
        else:
            assert isinstance(feat, Aggregate)
            what = f"{feat.function}({feat.column or '*'})"
            window = window_label(feat.window)
        rows.append({"name": f"{view.name}:{feat.name}", "dtype": _dtype(feat.dtype),
                     "kind": what, "window": window, "default": _plain(feat.default),
                     "description": getattr(feat, "description", ""),
                     "location": getattr(feat, "location", view.location)})
    for derived in view.derived:
        rows.append({"name": f"{view.name}:{derived.name}", "dtype": _dtype(derived.dtype),
                     "kind": f"derived: {derived.expression.text}", "window": None,
                     "default": None, "description": "", "location": derived.location})
    return rows


def _dtype(dtype: Any) -> str | None:
    return None if dtype is None else str(dtype)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _reference(item: Any) -> str:
    if isinstance(item, FeatureView):
        return item.name
    if isinstance(item, ViewProjection):
        if item.name != item.view.name:
            return f"{item.view.name} as {item.name}"
        return ",".join(f"{item.view.name}:{f}" for f in item.feature_names)
    if isinstance(item, Derived):
        return f"derived {item.name}: {item.expression.text}"
    return str(item)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as an aligned text table of ``columns``."""
    if not rows:
        return "(none)\n"
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


COLUMNS = {
    "entities": ("name", "join_keys", "description", "location"),
    "views": ("name", "kind", "entities", "source", "ttl", "features", "owner", "tags",
              "description"),
    "features": ("name", "dtype", "kind", "window", "default", "description"),
    "services": ("name", "features", "cut", "description"),
}


def show(repo: Repo, reference: str, *, dialects: Sequence[str] | None = None
         ) -> dict[str, Any]:
    """Everything about ``view:feature``: its definition and location, the services that
    request it, and the SQL of a request for it alone per dialect (for a spine table
    ``spine`` holding the view's join keys and ``event_timestamp``)."""
    view_name, sep, feature = reference.partition(":")
    if not sep or not feature:
        raise DefinitionError(f"{reference!r}: name a feature as 'view:feature'")
    view = repo.view(view_name)
    names = [f.name for f in view.features] + [d.name for d in view.derived]
    if feature not in names:
        raise DefinitionError(
            f"FeatureView {view.name!r} ({view.location}) has no feature {feature!r}."
            f"{did_you_mean(feature, names)} Its features: {', '.join(names)}")
    row = next(r for r in _features(view) if r["name"] == reference)
    services = sorted(s.name for s in repo.services.values()
                      if _uses(repo, s, view.name, feature))
    spine = SpineRef("table", _SHOW_SPINE, columns=(*view.join_keys, "event_timestamp"))
    sql: dict[str, str] = {}
    for dialect in dialects or available():
        try:
            sql[dialect] = repo.compile([view[[feature]]], spine, dialect=dialect)
        except FsqlError as err:
            sql[dialect] = f"-- cannot compile for {dialect}: {err}\n"
    return {**row, "view": view.name, "services": services, "sql": sql}


def _uses(repo: Repo, service: FeatureService, view: str, feature: str) -> bool:
    try:
        projections = repo.resolve(service.name)
    except FsqlError:
        return False
    return any(p.view.name == view and feature in p.feature_names for p in projections)


def add_commands(commands: Any) -> None:
    """``fsql ls`` and ``fsql show`` (argparse subcommands with their handlers)."""
    ls = commands.add_parser("ls", help="list entities, views, features or services")
    ls.add_argument("kind", nargs="?", default="views", choices=KINDS)
    ls.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    ls.add_argument("--json", action="store_true", help="JSON instead of a table")
    ls.set_defaults(handler=_ls)
    sh = commands.add_parser("show", help="a feature's definition, SQL and services")
    sh.add_argument("feature", help="view:feature")
    sh.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    sh.add_argument("--dialects", default=None, metavar="D,D",
                    help="dialects to compile for (default: all)")
    sh.add_argument("--json", action="store_true", help="JSON instead of text")
    sh.set_defaults(handler=_show)


def _ls(repo: Repo, args: argparse.Namespace) -> int:
    rows = listing(repo, args.kind)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows, COLUMNS[args.kind]),
          end="" if not args.json else "\n")
    return 0


def _show(repo: Repo, args: argparse.Namespace) -> int:
    dialects = [d.strip() for d in args.dialects.split(",")] if args.dialects else None
    info = show(repo, args.feature, dialects=dialects)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['name']}  ({info['location']})")
    for key in ("dtype", "kind", "window", "default", "description"):
        if info.get(key) not in (None, ""):
            print(f"  {key}: {info[key]}")
    print(f"  services: {', '.join(info['services']) or '(none)'}")
    for dialect, text in info["sql"].items():
        print(f"\n-- {dialect} " + "-" * 60)
        print(text, end="")
    return 0
