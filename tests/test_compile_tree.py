"""The compiled tree is built without copying (bench/compile.py): no node sits in two places of
it (sqlglot nodes have one parent, and a builder called with ``copy=False`` does not protect a
reused node), and the nodes built grow linearly with the number of views of a request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlglot import exp

from fsql import Aggregate, Entity, FeatureService, FeatureView, Field, Repo, Source
from fsql.plan.nodes import AggregationLookup, PointInTimePlan, SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.golden_support import DIALECTS, GoldenCase, cases


def shared_nodes(tree: exp.Expression) -> list[exp.Expression]:
    """Nodes reached twice from the root, or held by a node that is not their parent."""
    seen: set[int] = set()
    bad: list[exp.Expression] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            bad.append(node)
            continue
        seen.add(id(node))
        for child in node.iter_expressions():
            if child.parent is not node:
                bad.append(child)
            stack.append(child)
    return bad


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_golden_trees_share_no_node(case: GoldenCase, dialect: str) -> None:
    bad = shared_nodes(compile_plan(case.plan, get_dialect(dialect)))
    assert not bad, [node.sql() for node in bad[:5]]


def _aggregation_plan(cut: str) -> PointInTimePlan:
    """Every function over a lifetime and two windows; first/last of two inputs (one read by
    rank, one by ASOF JOIN) and a ``where=`` filter."""
    user = Entity("user", join_keys=["user_id"])
    source = Source("events", table="events", timestamp_field="ts",
                    created_timestamp_field="created",
                    schema={"amount": "float64", "qty": "int64", "merchant": "string"})
    features = []
    for w in (None, "1h", "1d"):
        label = w or "life"
        features += [
            Aggregate("amount", "last", window=w, dtype="float64", name=f"amount_last_{label}"),
            Aggregate("amount", "first", window=w, dtype="float64",
                      name=f"amount_first_{label}"),
            Aggregate("merchant", "first", window=w, dtype="string",
                      name=f"merchant_first_{label}"),
            Aggregate("merchant", "last", window=w, dtype="string",
                      name=f"merchant_last_{label}"),
            Aggregate("*", "count", window=w, name=f"n_{label}"),
            Aggregate("amount", "count", window=w, name=f"amount_n_{label}"),
            Aggregate("qty", "sum", window=w, name=f"qty_sum_{label}"),
            Aggregate("amount", "sum", window=w, where="qty > 10", name=f"big_sum_{label}"),
            Aggregate("amount", "avg", window=w, name=f"amount_avg_{label}"),
            Aggregate("amount", "min", window=w, dtype="float64", name=f"amount_min_{label}"),
            Aggregate("qty", "max", window=w, default=-1, name=f"qty_max_{label}"),
            Aggregate("amount", "stddev", window=w, name=f"amount_sd_{label}"),
            Aggregate("amount", "variance", window=w, name=f"amount_var_{label}"),
            Aggregate("merchant", "count_distinct", window=w, name=f"merchants_{label}"),
        ]
    view = FeatureView("txn", entities=[user], source=source, features=features)
    spine = SpineRef("table", "spine", "event_timestamp",
                     columns=("spine_id", "user_id", "event_timestamp"))
    return Repo.from_objects([view]).plan([view], spine, cut=cut)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("variant", ["default", "frames", "join", "created_cutoff"])
@pytest.mark.parametrize("cut", ["inclusive", "exclusive"])
def test_aggregation_trees_share_no_node(cut: str, variant: str, dialect: str) -> None:
    """Every aggregation plan: the dialect's (running, islands, blocks, asof on DuckDB),
    frames for every function, the range join, and the created cutoff's range join."""
    plan = _aggregation_plan(cut)
    target = get_dialect(dialect)
    if variant == "frames":
        target = replace(target, aggregation_plans=dict.fromkeys(target.aggregation_plans,
                                                                 "frames"))
    elif variant == "join":
        (lookup,) = plan.lookups
        assert isinstance(lookup, AggregationLookup)
        plan = replace(plan, lookups=(replace(lookup, light=True),))
    elif variant == "created_cutoff":
        plan = replace(plan, created_cutoff=True)
    tree = compile_plan(plan, target)
    bad = shared_nodes(tree)
    assert not bad, [node.sql() for node in bad[:5]]
    # Rendering in place (render_plan) writes what rendering a copy writes.
    assert render(tree, target, copy=False) == render(compile_plan(plan, target), target)


def _repository(n_views: int) -> Repo:
    """Snapshot views and (one in five) aggregation views on one entity, as bench/compile.py."""
    user = Entity("user", join_keys=["user_id"])
    views: list[Any] = []
    for n in range(n_views):
        source = Source(f"src_{n}", table=f"proj.ds.src_{n}", timestamp_field="ts")
        if n % 5 == 0:
            features: list[Any] = [Aggregate(c, f, window=w) for w in ("1d", "7d") for c, f in
                                   (("amount", "sum"), ("*", "count"), ("m", "count_distinct"))]
            views.append(FeatureView(f"v{n}", entities=[user], source=source, features=features))
        else:
            views.append(FeatureView(f"v{n}", entities=[user], source=source, ttl="7d",
                                     features=[Field(f"f{k}", "float64") for k in range(3)]))
    return Repo.from_objects([*views, FeatureService("all", views)])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nodes_built_grow_linearly_with_views(dialect: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes constructed (copies included) for 40 views: at most 4.2x those for 10 (a builder
    copying the growing tree once per view made it about 10x)."""
    built = 0
    init = exp.Expr.__init__

    def counting(self: exp.Expr, **args: object) -> None:
        nonlocal built
        built += 1
        init(self, **args)

    counts = []
    # Known columns: a dialect without SELECT * EXCEPT lists them (postgres).
    spine = SpineRef("table", "proj.ds.spine", columns=("user_id", "event_timestamp"))
    for n_views in (10, 40):
        repo = _repository(n_views)
        repo.compile("all", spine, dialect=dialect, full_names=True)  # warm caches
        monkeypatch.setattr(exp.Expr, "__init__", counting)
        built = 0
        repo.compile("all", spine, dialect=dialect, full_names=True)
        counts.append(built)
        monkeypatch.setattr(exp.Expr, "__init__", init)
    assert counts[1] <= 4.2 * counts[0], counts
