"""``fsql stats``: feature statistics of a training set, a latest table or a snapshot view's
source, on embedded DuckDB, or the query printed for a warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType
from fsql.engines.runner import connect, feature_dtypes, training_table
from fsql.errors import CompileError, DefinitionError
from fsql.materialize.run import connect_target, layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import executable, parse_end, resolve_target
from fsql.monitor.compare import drift, read_baseline, skew, thresholds
from fsql.monitor.online import online_values
from fsql.monitor.run import StatsReport, columns_of, compute, printed_query, training_stats
from fsql.monitor.stats import StatsColumn
from fsql.repo import Repo
from fsql.sql.dialect import get_dialect
from fsql.sql.tree import relation_for_source

ON = ("training", "latest", "source")
_TRAINING = "__fsql_training_set"
_ONLINE = "__fsql_online_values"


def add_commands(commands: Any) -> None:
    """Add ``fsql stats`` to ``fsql``'s subparsers."""
    cmd = commands.add_parser("stats", help="feature statistics (rows, NULLs, mean, std, "
                                            "min, max, distinct, deciles, top values)")
    cmd.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    which = cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--view", default=None, help="one feature view")
    which.add_argument("--service", default=None, help="a feature service")
    cmd.add_argument("--on", choices=ON, default=None,
                     help="training (needs --spine; the default with one), latest (the latest "
                          "table on --target; the default otherwise) or source (a snapshot "
                          "view's source rows)")
    cmd.add_argument("--spine", default=None, help="the training set's spine (--on training)")
    cmd.add_argument("--target", default=None, metavar="NAME|URL",
                     help="where latest tables are (--on latest; as for fsql materialize)")
    cmd.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cmd.add_argument("--out", default=None, metavar="FILE",
                     help="also save the JSON (a baseline file)")
    cmd.add_argument("--dialect", default=None, help="with --print: the warehouse")
    cmd.add_argument("--print", action="store_true", dest="print_query",
                     help="print the query for --dialect instead of running it on DuckDB")
    cmd.set_defaults(handler=run_stats)
    dr = commands.add_parser("drift", help="PSI, mean, NULL-rate and max changes against a "
                                           "baseline of fsql stats --out")
    dr.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    dr.add_argument("--baseline", required=True, metavar="FILE", help="fsql stats --out FILE")
    which = dr.add_mutually_exclusive_group(required=True)
    which.add_argument("--view", default=None, help="one feature view")
    which.add_argument("--service", default=None, help="a feature service")
    dr.add_argument("--on", choices=ON, default=None, help="as for fsql stats")
    dr.add_argument("--spine", default=None, help="the training set's spine (--on training)")
    dr.add_argument("--target", default=None, metavar="NAME|URL", help="as for fsql stats")
    dr.add_argument("--json", action="store_true", help="print JSON instead of a table")
    dr.set_defaults(handler=run_drift, print_query=False, dialect=None)
    sk = commands.add_parser("skew", help="a training set against the latest tables: PSI and "
                                          "the two-sample KS test per feature")
    sk.add_argument("--repo", default=".", help="feature repository directory (default: .)")
    sk.add_argument("--service", required=True, help="the feature service")
    sk.add_argument("--spine", required=True, help="the training set's spine")
    sk.add_argument("--target", default=None, metavar="NAME|URL",
                    help="where the latest tables are (as for fsql materialize)")
    sk.add_argument("--online", nargs="?", const="", default=None, metavar="URL",
                    help="compare with the online store instead (its values for the spine's "
                         "keys; URL default: fsql.toml's [online] url)")
    sk.add_argument("--at", default=None, metavar="TIME",
                    help="with --online: the read time (default now)")
    sk.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sk.set_defaults(handler=run_skew)


def run_stats(repo: Repo, args: argparse.Namespace) -> int:
    """Compute (or print) the statistics and show them."""
    on = args.on or ("training" if args.spine else "latest")
    features = args.service or args.view
    if on == "training":
        if not args.spine:
            raise CompileError("--on training needs --spine (the training set's spine)")
        if args.print_query:
            dialect = get_dialect(args.dialect or repo.default_dialect)
            plan = _tree_plan(repo, features, args.spine, dialect.name)
            sys.stdout.write(printed_query(plan[0], plan[1], dialect))
            return 0
        report = training_stats(repo, _request(repo, args), args.spine)
    else:
        if args.service is not None:
            raise DefinitionError(f"--on {on} takes --view V (one view's table)")
        view = repo.view(args.view)
        _, cut = select_views(repo, views=[view.name])
        layout = layout_for(repo, view, cut)
        dtypes: dict[str, DType | None] = dict(layout.features)
        if on == "source":
            if view.is_aggregation:
                raise DefinitionError(
                    f"FeatureView {view.name!r} aggregates events: its source rows are not "
                    "feature values; use --on training or --on latest")
            dtypes = {view.source.column_for(f.name): f.dtype for f in view.features}
        table = _table_stats(repo, args, on, layout, columns_of(dict(dtypes)))
        if table is None:
            return 0
        report = table
    text = report.to_json()
    if args.out:
        Path(args.out).write_text(text)
    sys.stdout.write(text if args.json else report.table())
    return 0


def _request(repo: Repo, args: argparse.Namespace) -> Any:
    return args.service if args.service else [repo.view(args.view)]


def _tree_plan(repo: Repo, features: str, spine: str, dialect: str
               ) -> tuple[exp.Expr, list[StatsColumn]]:
    """The training-set query (as a FROM item) for a warehouse and its feature columns."""
    request: Any = [repo.view(features)] if features in repo.views else features
    plan = repo.plan(request, spine, dialect=dialect)
    tree = repo.tree(request, spine, dialect=dialect)
    return exp.paren(tree).as_("__fsql_training"), columns_of(feature_dtypes(plan))


def _table_stats(repo: Repo, args: argparse.Namespace, on: str, layout: Any,
                 columns: list[StatsColumn]) -> StatsReport | None:
    dialect = get_dialect(args.dialect or "duckdb")
    where = executable(resolve_target(args.target, root=repo.root)) if on == "latest" else None
    if on == "latest":
        assert where is not None
        relation: exp.Expr = exp.to_table(where.qualified(layout.name))
    else:
        source = layout.source if dialect.name == "duckdb" else layout_for(
            repo, layout.view, layout.cut, dialect=dialect.name).source
        assert source is not None
        relation = relation_for_source(dialect, absolute(source, repo.root))[0]
    if args.print_query:
        sys.stdout.write(printed_query(relation, columns, dialect))
        return None
    label = f"{on} of {layout.view.name!r}"
    con = connect_target(where) if where is not None else connect()
    try:
        return compute(con, relation, columns, label=label)
    finally:
        con.close()


def _relation(repo: Repo, args: argparse.Namespace) -> tuple[Any, exp.Expr, dict[str, Any],
                                                            str]:
    """(connection, relation, its columns, label) of what ``args`` names, on DuckDB."""
    on = args.on or ("training" if args.spine else "latest")
    if on == "training":
        if not args.spine:
            raise CompileError("--on training needs --spine (the training set's spine)")
        table, plan = training_table(repo, _request(repo, args), args.spine)
        con = connect()
        con.register(_TRAINING, table)
        return con, exp.to_table(_TRAINING), feature_dtypes(plan), "the training set"
    if args.service is not None:
        raise DefinitionError(f"--on {on} takes --view V (one view's table)")
    view = repo.view(args.view)
    _, cut = select_views(repo, views=[view.name])
    layout = layout_for(repo, view, cut)
    if on == "latest":
        where = executable(resolve_target(args.target, root=repo.root))
        return (connect_target(where), exp.to_table(where.qualified(layout.name)),
                dict(layout.features), f"the latest table of {view.name!r}")
    if view.is_aggregation:
        raise DefinitionError(f"FeatureView {view.name!r} aggregates events: its source rows "
                              "are not feature values; use --on training or --on latest")
    assert layout.source is not None
    relation = relation_for_source(get_dialect("duckdb"), absolute(layout.source, repo.root))[0]
    dtypes = {view.source.column_for(f.name): f.dtype for f in view.features}
    return connect(), relation, dtypes, f"the source of {view.name!r}"


def run_drift(repo: Repo, args: argparse.Namespace) -> int:
    """Compare with the baseline; exit 1 on a breach."""
    baseline = read_baseline(Path(args.baseline))
    con, relation, dtypes, label = _relation(repo, args)
    try:
        result = drift(con, relation, baseline, dtypes, thresholds(repo), label=label)
    finally:
        con.close()
    sys.stdout.write(result.to_json() if args.json else result.table())
    return 1 if result.breaches else 0


def run_skew(repo: Repo, args: argparse.Namespace) -> int:
    """The service's training set against its views' latest tables (or the online store);
    exit 1 on a breach."""
    table, plan = training_table(repo, args.service, args.spine)
    chosen, cut = select_views(repo, service=args.service)
    if args.online is not None:
        return _online_skew(repo, args, table, plan, chosen)
    if args.at is not None:
        raise DefinitionError("--at goes with --online (the online store's read time)")
    where = executable(resolve_target(args.target, root=repo.root))
    layouts = {v.name: layout_for(repo, v, cut, where.prefix) for v in chosen}
    con = connect_target(where)
    try:
        con.register(_TRAINING, table)
        pairs = []
        for lookup in plan.lookups:
            latest = exp.to_table(where.qualified(layouts[lookup.view_name].name))
            stored = dict(layouts[lookup.view_name].features)
            for out in lookup.outputs:
                dtype = stored.get(out.feature)
                if out.hidden or dtype is None or not columns_of({out.output_name: dtype}):
                    continue
                pairs.append((StatsColumn(out.output_name, dtype), latest,
                              StatsColumn(out.feature, dtype)))
        result = skew(con, exp.to_table(_TRAINING), pairs, thresholds(repo),
                      label=f"{args.service!r}", frames={_TRAINING: table})
    finally:
        con.close()
    sys.stdout.write(result.to_json() if args.json else result.table())
    return 1 if result.breaches else 0


def _online_skew(repo: Repo, args: argparse.Namespace, table: Any, plan: Any,
                 chosen: Any) -> int:
    keys = list(dict.fromkeys([*(k for v in chosen for k in v.join_keys),
                               *repo.services[args.service].request_schema]))
    at = parse_end(args.at) if args.at is not None else None
    served = online_values(repo, args.service, table, keys, online=args.online or None, at=at)
    dtypes = feature_dtypes(plan)
    pairs = []
    for name in served.column_names:
        dtype = dtypes.get(name)
        if dtype is None or not columns_of({name: dtype}):
            continue
        column = StatsColumn(name, dtype)
        pairs.append((column, exp.to_table(_ONLINE), column))
    con = connect()
    try:
        con.register(_TRAINING, table)
        con.register(_ONLINE, served)
        result = skew(con, exp.to_table(_TRAINING), pairs, thresholds(repo),
                      label=f"{args.service!r} against the online store",
                      frames={_TRAINING: table, _ONLINE: served})
    finally:
        con.close()
    sys.stdout.write(result.to_json() if args.json else result.table())
    return 1 if result.breaches else 0
