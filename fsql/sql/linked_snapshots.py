"""Snapshot lookups computed inside an aggregation view's link, or in a link of their own
(BigQuery, Snowflake).

A snapshot view and an aggregation view over one source, with the same keys, would read the
source twice on an engine that evaluates a CTE at every reference: once in the snapshot's step
of the chain, once in the aggregation's link (fsql/sql/aggregation.py ``link_cte``). Instead,
the aggregation's source CTE also carries the snapshot's tie columns (``__fsql_p<i>_v<n>``),
and the link, which already streams the key's events and chain rows in time order, finds each
chain row's winner there:

- ``__fsql_p<i>_g``: per key, the running count of events in the snapshot's order (time, events
  before or after the chain rows of one instant by the cut, then the tie order): a chain row's
  count is the number of events it can see, so the last of them, the winner, is the event that
  starts the row's group;
- the winner's ts and tie columns: FIRST_VALUE over the key's group, its event first (a chain
  row before every event of its key has a group without an event: NULLs, nothing found).

The TTL is checked where the features are read (fsql/sql/compiler.py ``feature_columns``), so
it does not change the winner; the link's pruning of events keeps every event inside a
snapshot's TTL of a chain row (AggregationSQL.pruning_span). Snapshot lookups over one source
and keys but with other fields (so other source CTEs and tie orders) and no aggregation view
beside them take a link without aggregates (:func:`snapshot_link`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from fsql.plan.nodes import AggregationLookup, KeyPair, Lookup, SourceRef, Visibility
from fsql.sql.dialect import Dialect, data_type
from fsql.sql.tree import (
    CREATED,
    RID,
    TS,
    T,
    aliased,
    col,
    ident,
    is_null,
    key_name,
    table,
    value_order_keys,
)
from fsql.sql.visibility import union_ranks


def carried(i: int, part: str) -> str:
    """A column lookup ``i`` adds to the chain (as fsql/sql/compiler.py names them)."""
    return f"__fsql_p{i}_{part}"


def value_name(i: int, n: int) -> str:
    """Snapshot lookup ``i``'s tie column ``n`` in the aggregation's source CTE."""
    return carried(i, f"v{n}")


def link_key(lookup: Lookup | AggregationLookup) -> tuple[SourceRef, tuple[KeyPair, ...]]:
    """A snapshot lookup can be computed in a linked aggregation's link when both have this
    key: the same source and the same keys (source and spine columns)."""
    return lookup.source, lookup.keys


def source_columns(snapshots: Sequence[tuple[int, Lookup]]) -> list[exp.Expr]:
    """The projections the aggregation's source CTE adds for ``snapshots``."""
    return [aliased(col(c), value_name(i, n))
            for i, lookup in snapshots for n, c in enumerate(lookup.tie_columns)]


def stream_columns(snapshots: Sequence[tuple[int, Lookup]]) -> list[str]:
    """The names of the source columns of ``snapshots`` in the link's stream."""
    return [value_name(i, n) for i, lookup in snapshots for n in range(len(lookup.tie_columns))]


def whole_row(dialect: Dialect) -> str | None:
    """The column a chain row crosses a link's UNION ALL in, as one STRUCT value, where the
    engine has STRUCT values (BigQuery); None: the link meets the events by a FULL JOIN."""
    return "__fsql_whole" if "struct" in dialect.capabilities else None


def chain_and_events(chain: str, src: str, keys: Sequence[KeyPair], columns: Sequence[str],
                     whole: str | None, time: str) -> exp.Query:
    """The events of the source CTE ``src`` (keys, ts, created, ``columns``) and the rows of
    the chain's CTE ``chain`` in one relation, each row's instant in ``time`` (t, or the
    event's ts), the row id NULL on events. Where a row is a value (``whole``: BigQuery), a
    UNION ALL with the chain row as one STRUCT value, unpacked at the end; else a FULL JOIN on
    a row id the events do not have (a UNION ALL whose chain side need not list the chain's
    columns, unknown for a table spine; Snowflake)."""
    q, e = "__fsql_q", "__fsql_e"
    bigint = data_type("BIGINT")
    source = [col(key_name(n)) for n in range(len(keys))]
    if whole is not None:
        event_rows = exp.select(
            *source, col(TS), col(CREATED), *[col(c) for c in columns],
            aliased(exp.Cast(this=exp.null(), to=bigint), RID),
            aliased(exp.Cast(this=exp.null(), to=data_type("BIGINT")), T),
            aliased(col(TS), time), aliased(exp.null(), whole),
        ).from_(exp.Table(this=exp.to_identifier(src)), copy=False)
        chain_rows = exp.select(
            *[aliased(col(k.spine_column, q), key_name(n)) for n, k in enumerate(keys)],
            aliased(exp.null(), TS), aliased(exp.null(), CREATED),
            *[aliased(exp.null(), c) for c in columns],
            col(RID, q), col(T, q), aliased(col(T, q), time), aliased(col(q), whole),
        ).from_(table(chain, q), copy=False)
        return exp.union(event_rows, chain_rows, distinct=False, copy=False)
    events = exp.select(
        *source, col(TS), col(CREATED),
        aliased(exp.Cast(this=exp.null(), to=bigint), "__fsql_none"),
        *[col(c) for c in columns],
    ).from_(exp.Table(this=exp.to_identifier(src)), copy=False)
    return exp.Select(
        expressions=[
            exp.Column(this=exp.Star(), table=ident(q)),
            *[aliased(exp.Coalesce(this=col(k.spine_column, q),
                                   expressions=[col(key_name(n), e)]), key_name(n))
              for n, k in enumerate(keys)],
            col(TS, e), col(CREATED, e), *[col(c, e) for c in columns],
            aliased(exp.Coalesce(this=col(T, q), expressions=[col(TS, e)]), time)],
        from_=exp.From(this=table(chain, q)),
        joins=[exp.Join(this=events.subquery(e, copy=False), side="FULL",
                        on=exp.EQ(this=col(RID, q), expression=col("__fsql_none", e)))])


def winner_levels(snapshots: Sequence[tuple[int, Lookup]], keys: Sequence[exp.Expr],
                  time: str, visibility: Visibility, dialect: Dialect,
                  ts: str) -> tuple[list[exp.Expr], list[exp.Expr], list[str]]:
    """Two levels of window columns over the link's stream (``time``: a row's instant, ``ts``
    the event time, NULL on chain rows): the groups, then the winners read from them; and
    the working columns (the groups) the link drops at its end."""
    event_side, chain_side = union_ranks(visibility)
    side = exp.Case(ifs=[exp.If(this=is_null(col(RID)), true=exp.Literal.number(event_side))],
                    default=exp.Literal.number(chain_side))
    groups: list[exp.Expr] = []
    winners: list[exp.Expr] = []
    working: list[str] = []
    spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                          end="CURRENT ROW")
    event_first = exp.Order(expressions=[exp.Ordered(this=exp.Case(
        ifs=[exp.If(this=is_null(col(RID)), true=exp.Literal.number(0))],
        default=exp.Literal.number(1)), nulls_first=True)])
    for i, lookup in snapshots:
        order: list[exp.Ordered] = [exp.Ordered(this=col(time), nulls_first=True),
                                    exp.Ordered(this=side.copy(), nulls_first=True)]
        tie: list[exp.Expr] = [col(CREATED)]
        for n, dtype in enumerate(lookup.tie_dtypes or [None] * len(lookup.tie_columns)):
            tie += value_order_keys(col(value_name(i, n)), dtype, dialect)
        order += [exp.Ordered(this=k, nulls_first=True) for k in tie]
        group = carried(i, "g")
        groups.append(aliased(exp.Window(
            this=exp.Count(this=exp.Case(ifs=[exp.If(this=is_null(col(RID)),
                                                     true=exp.Literal.number(1))])),
            partition_by=[k.copy() for k in keys] or None, order=exp.Order(expressions=order),
            spec=spec.copy()), group))
        working.append(group)
        by_group = [*[k.copy() for k in keys], col(group)]
        parts = [(ts, carried(i, "ts"))] + [
            (value_name(i, n), carried(i, f"f{n}")) for n in range(len(lookup.tie_columns))]
        winners += [aliased(exp.Window(this=exp.FirstValue(this=col(source)),
                                       partition_by=[c.copy() for c in by_group],
                                       order=event_first.copy()), name)
                    for source, name in parts]
    return groups, winners, working


_TIME = "__fsql_mt"  # a row's instant in a snapshot link: t, or the event's ts


def snapshot_link(group: Sequence[tuple[int, Lookup]], chain: str, src: str,
                  whole: str | None, visibility: Visibility, dialect: Dialect) -> exp.Select:
    """Snapshot lookups over one source and keys, whatever their fields and TTLs, as one link
    of the chain without aggregates: the chain's rows and the source CTE ``src`` (which holds
    every lookup's tie columns, :func:`source_columns`) meet once, and each lookup's winner is
    found by :func:`winner_levels` (its own tie order). Returns every chain row with each
    lookup's ts and tie columns added."""
    keys = [col(key_name(k)) for k in range(len(group[0][1].keys))]
    columns = stream_columns(group)
    met: exp.Query = chain_and_events(chain, src, group[0][1].keys, columns, whole, _TIME)
    groups, winners, grouped = winner_levels(group, keys, _TIME, visibility, dialect, TS)
    for found, alias in ((groups, "__fsql_sg"), (winners, "__fsql_sw")):
        met = exp.select(exp.Star(), *found).from_(met.subquery(alias, copy=False), copy=False)
    if whole is not None:
        kept: list[exp.Expr] = [exp.Column(this=exp.Star(), table=ident(whole)),
                                *[col(w.alias) for w in winners]]
    else:
        working = [*[k.name for k in keys], TS, CREATED, *columns, _TIME, *grouped]
        kept = [exp.Star(except_=[exp.Column(this=ident(c)) for c in working])]
    return exp.select(*kept).from_(met.subquery("__fsql_sl", copy=False), copy=False).where(
        exp.Not(this=is_null(col(RID))), copy=False)
