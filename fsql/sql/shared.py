"""Snapshot lookups over one source CTE as one step of the lookup chain (BigQuery, Snowflake).

A view under two names, or a view's key read from two spine columns (a key map), gives two
lookups that share one source CTE. Chained one after the other, each lookup's CTE reads that
source CTE, and an engine that evaluates a CTE at every reference (BigQuery, Snowflake) reads
the source's table once per lookup. Here they take one step instead:

1. ``__fsql_<v>_probes``: every chain row once per lookup of the group (``__fsql_lk`` = the
   lookup's place in the group, a VALUES list), its key for that lookup in ``__fsql_mk<k>``
   (the lookup's spine columns);
2. ``__fsql_<v>_pit``: the dialect's strategy (``window``, ``asof_dedup``) once over the probes
   and the source CTE, read once: each probe's winner;
3. ``__fsql_<v>_spread``: each lookup's winner moved onto the chain row's first probe
   (FIRST_VALUE over the row's probes, that lookup's first), the other probes dropped.

The lookups' TTLs may differ: these strategies find the latest visible row, whatever the TTL,
which is checked where the features are read (fsql/sql/compiler.py ``feature_columns``); the
tie order is the source CTE's, so it is the same for every lookup of the group.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from sqlglot import exp

from fsql.plan.nodes import KeyPair, Lookup
from fsql.sql.tree import RID, aliased, col, ident, lookup_cte_name, table

# What the step needs of the engine besides its strategy's needs.
SHARED_NEEDS = frozenset({"star_except", "values_lists"})
SHARED_STRATEGIES = ("window", "asof_dedup")  # strategies that never partition by row id
_LK = "__fsql_lk"


def _probe_key(k: int) -> str:
    return f"__fsql_mk{k}"


def shared_step(
    group: Sequence[tuple[int, Lookup]],
    chain: str,
    build: Callable[[int, Lookup, str], exp.Select],
    chain_columns: Callable[[int, Lookup], list[str]],
) -> tuple[list[tuple[str, exp.Expr]], str]:
    """The CTEs of one step for the lookups ``group`` (index in the plan, lookup; sharing one
    source CTE) after the chain's CTE ``chain``, and the step's last CTE. ``build(i, lookup,
    chain)`` is the strategy's CTE of one lookup; ``chain_columns(i, lookup)`` the columns it
    adds to the chain."""
    first, lookup = group[0]
    n_keys = len(lookup.keys)
    q, w = "__fsql_q", "__fsql_l"
    probes_name = lookup_cte_name(lookup.name, "probes")
    keys = [
        aliased(exp.Case(ifs=[
            exp.If(this=exp.EQ(this=col(_LK, w), expression=exp.Literal.number(n)),
                   true=col(member.keys[k].spine_column, q))
            for n, (_, member) in enumerate(group)]), _probe_key(k))
        for k in range(n_keys)]
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[exp.Literal.number(n)]) for n in range(len(group))],
        alias=exp.TableAlias(this=ident(w), columns=[ident(_LK)]))
    probes = exp.Select(
        expressions=[exp.Column(this=exp.Star(), table=ident(q)), col(_LK, w), *keys],
        from_=exp.From(this=table(chain, q)),
        joins=[exp.Join(this=values, kind="CROSS")])
    probing = dataclasses.replace(lookup, keys=tuple(
        KeyPair(source_column=key.source_column, spine_column=_probe_key(k))
        for k, key in enumerate(lookup.keys)))
    matched_name = lookup_cte_name(lookup.name, "pit")
    matched = build(first, probing, probes_name)
    # Every lookup's winner on each probe row of its chain row, read at that lookup's probe.
    found = chain_columns(first, lookup)
    spread: list[exp.Expr] = []
    for n, (i, member) in enumerate(group[1:], start=1):
        at_probe = exp.Order(expressions=[exp.Ordered(this=exp.Case(
            ifs=[exp.If(this=exp.EQ(this=col(_LK), expression=exp.Literal.number(n)),
                        true=exp.Literal.number(0))],
            default=exp.Literal.number(1)), nulls_first=True)])
        for name, own in zip(found, chain_columns(i, member), strict=True):
            spread.append(aliased(exp.Window(this=exp.FirstValue(this=col(name)),
                                             partition_by=[col(RID)], order=at_probe.copy()),
                                  own))
    inner = exp.Select(expressions=[exp.Star(), *spread],
                       from_=exp.From(this=table(matched_name, "__fsql_sp")))
    working = [_LK, *[_probe_key(k) for k in range(n_keys)]]
    body = exp.Select(
        expressions=[exp.Star(except_=[exp.Column(this=ident(c)) for c in working])],
        from_=exp.From(this=inner.subquery("__fsql_sq", copy=False)),
        where=exp.Where(this=exp.EQ(this=col(_LK), expression=exp.Literal.number(0))))
    spread_name = lookup_cte_name(lookup.name, "spread")
    return [(probes_name, probes), (matched_name, matched), (spread_name, body)], spread_name
