"""Lower a :class:`~fsql.plan.nodes.PointInTimePlan` to one sqlglot tree for a dialect.

Shape of every query (internal names start with ``__fsql`` so they never meet user columns):

    WITH __fsql_spine AS (spine rows + row id + timestamp in epoch microseconds),
         __fsql_<v1>_src AS (view 1's source: keys, ts, created, features),
         __fsql_<v1>_pit AS (every row of __fsql_spine + view 1's winner),
         __fsql_<v2>_src AS (...),
         __fsql_<v2>_pit AS (every row of __fsql_<v1>_pit + view 2's winner),  -- and so on
         [aggregation CTEs of views with other plans than frames, read from __fsql_spine]
    SELECT spine columns, features FROM <the chain's last CTE> [joins on row id]
    ORDER BY row id

The lookups form a chain: each snapshot view's CTE (and each aggregation view whose every
aggregate is a frame, ``__fsql_<v>_frames``) reads the previous CTE of the chain and its source
CTE once and returns every row it read, with the view's winner added as ``__fsql_p<i>_*``
columns. So the spine and each source are read once per query, also on BigQuery, which
evaluates a CTE at every reference (tests/test_base_table_reads.py), except DuckDB's
two-phase ASOF, which streams a snapshot source twice (cheaper than staging it). Views over the same
source rows share one source CTE; on BigQuery and Snowflake, which evaluate a CTE at every
reference, snapshot lookups sharing a source CTE take one step of the chain
(fsql/sql/shared.py), and a snapshot lookup over the same source and keys as a linked
aggregation view is computed in its link (fsql/sql/linked_snapshots.py); on Postgres a table
that several source CTEs read is staged once as a MATERIALIZED CTE (fsql/sql/staging.py).
On BigQuery and Snowflake every aggregation view is a link (``__fsql_<v>_link``: frames,
islands and navigation in one stream of chain rows, probes and events, each key's events cut
to the key's chain time range first; ``__fsql_<v>_joined``: the range join as windows per chain
row; fsql/sql/aggregation.py).
Elsewhere, aggregation views with running, islands, blocks, join or navigation plans still read
the spine CTE in their own CTEs, joined to the chain's end by row id, and prune their events to
the spine's time range.

The winner per spine row is computed by the dialect's strategy (dialects/<name>.toml):
- ``asof_two_phase``: ASOF LEFT JOIN on a narrow (keys, ts) projection finds the winning event
  time, a LEFT JOIN back to the rows at that time keeps the greatest by the tie order (DuckDB;
  it reads the source CTE twice, streamed: cheaper than staging it once);
- ``asof_dedup``: one row per (key, ts) by the tie order, then ASOF JOIN ... MATCH_CONDITION
  (Snowflake);
- ``window``: UNION ALL of source rows and the chain's rows (each as one STRUCT value),
  LAST_VALUE(STRUCT IGNORE NULLS) (BigQuery);
- ``range_rank``: LEFT JOIN on key and time range, keep ROW_NUMBER() = 1 (every dialect; used
  for the created cutoff, which hides rows per spine time and so cannot be an ASOF match).
All timestamps are compared as integer microseconds since the epoch (UTC), so neither the
session time zone nor the warehouse's interval arithmetic can change a result.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.errors import UnsupportedError as SqlglotUnsupported

from fsql.errors import UnsupportedError
from fsql.plan.nodes import (
    AggregationLookup,
    DerivedColumn,
    KeyPair,
    Lookup,
    PointInTimePlan,
    SourceRef,
    SpineRef,
    Visibility,
)
from fsql.sql import generation
from fsql.sql.aggregation import AggregationSQL
from fsql.sql.dialect import Dialect, SnapshotStrategy
from fsql.sql.expressions import to_sql
from fsql.sql.linked_snapshots import link_key, snapshot_link, source_columns, whole_row
from fsql.sql.shared import SHARED_NEEDS, SHARED_STRATEGIES, shared_step
from fsql.sql.staging import stage_shared_tables
from fsql.sql.tree import (
    CREATED,
    RID,
    SPINE,
    TS,
    T,
    aliased,
    and_all,
    col,
    feat_name,
    from_item,
    ident,
    int_literal,
    joined,
    key_name,
    literal,
    lookup_cte_name,
    nodes_of,
    relation_for_source,
    src_cte_name,
    table,
    value_order_keys,
    view_cte_name,
)
from fsql.sql.visibility import inside_span, not_after, sees, union_ranks
from fsql.version import __version__


class PointInTimeCompiler:
    """Builds the tree of one plan for one dialect. Use :func:`compile_plan`."""

    def __init__(self, plan: PointInTimePlan, dialect: Dialect) -> None:
        self.plan = plan
        self.dialect = dialect
        self.chain = SPINE  # the CTE the final SELECT reads (set by build)
        self.sources: dict[str, str] = {}  # lookup name -> the CTE of its source rows

    # -- spine ---------------------------------------------------------------------------
    def spine_cte(self) -> exp.Select:
        spine: SpineRef = self.plan.spine
        if spine.kind == "file" and not self.dialect.reads_local_files:
            raise UnsupportedError(
                f"The spine is the local file {spine.ref!r}, which {self.dialect.name} cannot "
                "read; pass the spine's warehouse table (--spine project.dataset.table) or a "
                "'SELECT ...' query, or compile for duckdb")
        source = from_item(spine.kind, spine.ref, self.dialect, what="the spine")
        t = self.dialect.epoch_micros_sql(col(spine.timestamp_column), spine.timestamp_dtype)
        if self.plan.serving_lag_us:
            t = exp.Sub(this=exp.paren(t, copy=False),
                        expression=int_literal(self.plan.serving_lag_us))
        select = exp.select(exp.Star()).from_(source, copy=False)
        if spine.row_id_column != RID:
            if spine.row_id_column:
                order_cols = [spine.row_id_column]
            elif spine.columns:
                order_cols = list(spine.columns)
            else:
                # Columns unknown: rows that agree on timestamp and keys get identical features.
                order_cols = [
                    spine.timestamp_column,
                    *sorted({k.spine_column for lk in self.plan.lookups for k in lk.keys}),
                ]
            order = exp.Order(expressions=[
                exp.Ordered(this=self.spine_order_key(c), nulls_first=True) for c in order_cols])
            row_number = exp.Window(this=exp.RowNumber(), order=order)
            select = select.select(aliased(row_number, RID), copy=False)
        return select.select(aliased(t, T), copy=False)

    def spine_bounds(self) -> tuple[exp.Expr, exp.Expr]:
        """The earliest and latest spine time: columns of :meth:`bounds_join`'s one row."""
        return col("__fsql_lo", "__fsql_b"), col("__fsql_hi", "__fsql_b")

    def bounds_join(self) -> exp.Join:
        """CROSS JOIN of the spine's time range, one row read from the spine once per source
        (two scalar subqueries in WHERE read it twice, and GoogleSQL's reference evaluator
        evaluates them for every source row: 146 s instead of 1.2 s for 3,000 rows)."""
        bounds = exp.select(aliased(exp.Min(this=col(T)), "__fsql_lo"),
                            aliased(exp.Max(this=col(T)), "__fsql_hi")).from_(
            table(SPINE), copy=False)
        return joined(bounds.subquery("__fsql_b", copy=False), None)

    # -- sources -------------------------------------------------------------------------
    def source_cte(self, lookup: Lookup) -> exp.Select:
        """The view's source rows: keys, ts, created, features; rows with a NULL key or time
        dropped. Not pruned to the spine's time range by a second read of the spine: the
        lookup's join or window is what bounds the rows each spine row sees (and reading the
        spine once per query is worth more on a warehouse that does not stage CTEs)."""
        select = self.source_rows(lookup, [
            aliased(col(c), feat_name(i)) for i, c in enumerate(lookup.tie_columns)])
        if self.strategy(lookup) == "asof_dedup":
            # One row per (key, ts): the greatest by the tie order. An ASOF match on ts alone
            # then has no ties left to pick arbitrarily.
            select = (
                exp.select(exp.Star())
                .from_(select.subquery("__fsql_d", copy=False), copy=False)
                .qualify(
                    exp.EQ(
                        this=exp.Window(
                            this=exp.RowNumber(),
                            partition_by=[col(key_name(i)) for i in range(len(lookup.keys))]
                            + [col(TS)],
                            order=exp.Order(expressions=self.tie_order(lookup, None, desc=True)),
                        ),
                        expression=exp.Literal.number(1),
                    ),
                    copy=False,
                )
            )
        return select

    def tie_order(
        self, lookup: Lookup, table: str | None, *, desc: bool, with_ts: bool = False
    ) -> list[exp.Ordered]:
        """The tie order: (ts,) created (NULL oldest), features (NULL lowest, NaN greatest)."""
        keys: list[exp.Expr] = [col(TS, table)] if with_ts else []
        keys.append(col(CREATED, table))
        for i, dtype in enumerate(lookup.tie_dtypes or [None] * len(lookup.tie_columns)):
            keys += value_order_keys(col(feat_name(i), table), dtype, self.dialect)
        return [exp.Ordered(this=k, desc=desc, nulls_first=not desc) for k in keys]

    # -- strategies ----------------------------------------------------------------------
    # Each strategy builds one CTE of the chain: it reads the previous CTE of the chain (every
    # spine row, with the features found so far) and the view's source CTE once each, and
    # returns every row of the previous CTE with the winner's ts and tie columns added as
    # carried(i, ...) columns. So the spine and each source are read once per query.
    def strategy(self, lookup: Lookup) -> SnapshotStrategy:
        if self.plan.created_cutoff and lookup.source.created_column:
            return self.dialect.created_cutoff_strategy
        return self.dialect.snapshot_strategy

    def ttl(self, lookup: Lookup) -> Visibility:
        """What a spine row sees of a snapshot view's source: the cut and the TTL."""
        return self.plan.visibility(lookup, lookup.ttl_us)

    def key_match(self, lookup: Lookup, spine: str, other: str) -> list[exp.Expr]:
        return [
            exp.EQ(this=col(k.spine_column, spine), expression=col(key_name(i), other))
            for i, k in enumerate(lookup.keys)
        ]

    def winner_columns(self, i: int, lookup: Lookup, ts: exp.Expr,
                       value: Callable[[int], exp.Expr]) -> list[exp.Expr]:
        """The winner's ts and tie columns, named as the chain carries them."""
        return [aliased(ts, carried(i, "ts"))] + [
            aliased(value(n), carried(i, f"f{n}")) for n in range(len(lookup.tie_columns))]

    def asof_cte(self, i: int, lookup: Lookup, chain: str) -> exp.Select:
        """ASOF JOIN of the chain to the deduplicated source (one row per key and ts, so no
        ties are left for the ASOF to pick among), Snowflake: the inequality is
        ``MATCH_CONDITION (t >= ts)``, and its ASOF JOIN keeps unmatched rows. The TTL is
        checked where the features are read."""
        q, e = "__fsql_q", "__fsql_e"
        keys = self.key_match(lookup, q, e)
        right = table(self.sources[lookup.name], e)
        join = exp.Join(this=right, method="ASOF",
                        match_condition=sees(self.ttl(lookup), col(T, q), col(TS, e)))
        if keys:
            join.set("on", and_all(keys))
        return exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(q)),
                         *self.winner_columns(i, lookup, col(TS, e),
                                              lambda n: col(feat_name(n), e))],
            from_=exp.From(this=table(chain, q)), joins=[join])

    def two_phase_cte(self, i: int, lookup: Lookup, chain: str) -> exp.Select:
        """DuckDB: (1) ASOF LEFT JOIN the chain to a narrow (keys, ts) projection of the
        source: the winning event time per spine row (rows tied on it share it, so ties do
        not matter yet); (2) LEFT JOIN (keys, ts) back to the source and keep the greatest row
        by the tie order. Sorting only (keys, ts) for the ASOF, instead of every feature,
        halves the time and memory of a one-phase ASOF on the whole tie order, and beats
        deduplicating the whole source first (bench/README.md). The source CTE is read twice,
        ``NOT MATERIALIZED``: staging it once is slower and takes more memory."""
        q, n, m, e = "__fsql_q", "__fsql_n", "__fsql_m", "__fsql_e"
        n_keys = len(lookup.keys)
        narrow = exp.select(*[col(key_name(k)) for k in range(n_keys)], col(TS)).from_(
            ident(self.sources[lookup.name]), copy=False)
        asof = exp.Join(this=narrow.subquery(n, copy=False), method="ASOF", side="LEFT",
                        on=and_all([*self.key_match(lookup, q, n),
                                    not_after(self.ttl(lookup), col(TS, n), col(T, q))]))
        matched = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(q)),
                         aliased(col(TS, n), carried(i, "ts"))],
            from_=exp.From(this=table(chain, q)), joins=[asof])
        same_time = self.key_match(lookup, m, e)
        same_time.append(exp.EQ(this=col(TS, e), expression=col(carried(i, "ts"), m)))
        if lookup.ttl_us is not None:  # a winner older than the TTL: nothing to join back
            same_time.append(
                inside_span(self.ttl(lookup), col(carried(i, "ts"), m), col(T, m)))
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[col(RID, m)],
            order=exp.Order(expressions=self.tie_order(lookup, e, desc=True)),
        )
        return exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(m)),
                         *[aliased(col(feat_name(k), e), carried(i, f"f{k}"))
                           for k in range(len(lookup.tie_columns))]],
            from_=exp.From(this=matched.subquery(m, copy=False)),
            joins=[exp.Join(this=table(self.sources[lookup.name], e), side="LEFT",
                            on=and_all(same_time))],
            qualify=exp.Qualify(this=exp.EQ(this=rank, expression=exp.Literal.number(1))))

    def window_cte(self, i: int, lookup: Lookup, chain: str) -> exp.Select:
        """UNION ALL of source rows and the chain's rows, LAST_VALUE(STRUCT IGNORE NULLS) per
        key. A chain row crosses the union whole, as one STRUCT value (its columns are not
        all known: a table spine's are not), and is unpacked after the window (BigQuery)."""
        n_keys, n_feats = len(lookup.keys), len(lookup.tie_columns)
        q, whole = "__fsql_q", "__fsql_whole"
        src_side, spine_side = union_ranks(self.ttl(lookup))
        row = exp.Struct(
            expressions=[aliased(col(TS), "ts")]
            + [aliased(col(feat_name(n)), f"v{n}") for n in range(n_feats)]
        )
        source_rows = exp.select(
            *[col(key_name(k)) for k in range(n_keys)],
            aliased(col(TS), "__fsql_o"),
            aliased(exp.Literal.number(src_side), "__fsql_side"),
            col(CREATED),
            *[col(feat_name(n)) for n in range(n_feats)],
            aliased(exp.null(), whole),
            aliased(row, "__fsql_row"),
        ).from_(ident(self.sources[lookup.name]), copy=False)
        # Spine rows with a NULL key or time stay in the chain: no source row shares their
        # partition or precedes them, so they find nothing.
        spine_rows = exp.select(
            *[aliased(col(k.spine_column, q), key_name(n)) for n, k in enumerate(lookup.keys)],
            aliased(col(T, q), "__fsql_o"),
            aliased(exp.Literal.number(spine_side), "__fsql_side"),
            aliased(exp.null(), CREATED),
            *[aliased(exp.null(), feat_name(n)) for n in range(n_feats)],
            aliased(col(q), whole),
            aliased(exp.null(), "__fsql_row"),
        ).from_(table(chain, q), copy=False)
        union = exp.union(source_rows, spine_rows, distinct=False, copy=False)
        order = [
            exp.Ordered(this=col("__fsql_o"), nulls_first=True),
            exp.Ordered(this=col("__fsql_side"), nulls_first=True),
            *self.tie_order(lookup, None, desc=False),
        ]
        last = exp.Window(
            this=exp.IgnoreNulls(this=exp.LastValue(this=col("__fsql_row"))),
            partition_by=[col(key_name(k)) for k in range(n_keys)] or None,
            order=exp.Order(expressions=order),
            spec=exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
            ),
        )
        inner = exp.select(col(whole), aliased(last, "__fsql_w")).from_(
            union.subquery("__fsql_u", copy=False), copy=False)
        x = "__fsql_x"

        def field(name: str) -> exp.Expr:
            return exp.Dot(this=col("__fsql_w", x), expression=ident(name))

        return (
            exp.select(
                # `whole.*`, not `x.whole.*`: the same in GoogleSQL (x has no column
                # named like its alias), and what sqlglot's DuckDB translation can run
                # (bqemulator: "more than one column in front of a star expression")
                exp.Column(this=exp.Star(), table=ident(whole)),
                *self.winner_columns(i, lookup, field("ts"), lambda n: field(f"v{n}")),
            )
            .from_(inner.subquery(x, copy=False), copy=False)
            .where(exp.Not(this=exp.Is(this=col(whole, x), expression=exp.null())), copy=False)
        )

    def range_rank_cte(self, i: int, lookup: Lookup, chain: str) -> exp.Select:
        """LEFT JOIN each chain row to its visible rows and keep the greatest by the tie
        order (an unmatched row is its own rank 1, with NULLs)."""
        q, e, ranked = "__fsql_q", "__fsql_e", "__fsql_z"
        conds = self.key_match(lookup, q, e)
        conds.append(not_after(self.ttl(lookup), col(TS, e), col(T, q)))
        if lookup.ttl_us is not None:
            conds.append(inside_span(self.ttl(lookup), col(TS, e), col(T, q)))
        if self.plan.created_cutoff and lookup.source.created_column:
            conds.append(
                exp.Or(
                    this=exp.Is(this=col(CREATED, e), expression=exp.null()),
                    expression=exp.LTE(this=col(CREATED, e), expression=col(T, q)),
                )
            )
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[col(RID, q)],
            order=exp.Order(expressions=self.tie_order(lookup, e, desc=True, with_ts=True)),
        )
        inner = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(q)),
                         *self.winner_columns(i, lookup, col(TS, e),
                                              lambda n: col(feat_name(n), e)),
                         aliased(rank, carried(i, "rank"))],
            from_=exp.From(this=table(chain, q)),
            joins=[exp.Join(this=table(self.sources[lookup.name], e), side="LEFT",
                            on=and_all(conds))])
        # A subquery rather than QUALIFY: the filter must keep every chain column, and
        # Postgres has no QUALIFY (sqlglot's rewrite of it cannot expand a star).
        return exp.select(exp.Star()).from_(inner.subquery(ranked, copy=False), copy=False).where(
            exp.EQ(this=col(carried(i, "rank"), ranked), expression=exp.Literal.number(1)),
            copy=False)

    def snapshots_in_links(self, snapshots: dict[int, Lookup],
                           aggregations: dict[int, AggregationSQL]) -> dict[int, int]:
        """Snapshot lookups computed in the link of an aggregation view over the same source
        and keys (BigQuery, Snowflake; fsql/sql/linked_snapshots.py): snapshot index ->
        aggregation index. Sets each aggregation's ``snapshots``."""
        links: dict[tuple[SourceRef, tuple[KeyPair, ...]], int] = {}
        for j, aggregation in aggregations.items():
            if aggregation.linked:
                links.setdefault(link_key(aggregation.lookup), j)
        out: dict[int, int] = {}
        for i, lookup in snapshots.items():
            j = links.get(link_key(lookup), -1)
            if j >= 0 and self.strategy(lookup) in SHARED_STRATEGIES:
                aggregations[j].snapshots.append((i, lookup))
                out[i] = j
        return out

    def snapshot_links(self, snapshots: dict[int, Lookup]) -> dict[int, list[int]]:
        """Snapshot lookups over one source and keys that take one snapshot link of the chain
        (fsql/sql/linked_snapshots.py ``snapshot_link``), on an engine that evaluates a CTE at
        every reference (BigQuery, Snowflake): the first lookup's index -> every member's."""
        if "materialized_cte" in self.dialect.capabilities or \
                not self.dialect.capabilities >= SHARED_NEEDS:
            return {}
        by_key: dict[tuple[SourceRef, tuple[KeyPair, ...]], list[int]] = {}
        for i, lookup in snapshots.items():
            if self.strategy(lookup) in SHARED_STRATEGIES:
                by_key.setdefault(link_key(lookup), []).append(i)
        return {members[0]: members for members in by_key.values() if len(members) > 1}

    def source_rows(self, lookup: Lookup, columns: list[exp.Expr]) -> exp.Select:
        """Keys, ts, created and ``columns`` of the lookup's source; rows with a NULL key or
        time dropped."""
        relation, ts, created = relation_for_source(self.dialect, lookup.source)
        projections = [
            aliased(col(k.source_column), key_name(i)) for i, k in enumerate(lookup.keys)
        ]
        projections += [aliased(ts, TS), aliased(created, CREATED), *columns]
        conds: list[exp.Expr] = [
            exp.Not(this=exp.Is(this=col(k.source_column), expression=exp.null()))
            for k in lookup.keys
        ]
        conds.append(exp.Not(this=exp.Is(this=ts.copy(), expression=exp.null())))
        return exp.select(*projections).from_(relation, copy=False).where(
            and_all(conds), copy=False)

    def shared_groups(self, snapshots: dict[int, Lookup],
                      bodies: dict[int, exp.Select]) -> dict[int, list[int]]:
        """Snapshot lookups that share a source CTE and take one step of the chain
        (fsql/sql/shared.py): the first lookup's index -> every member's index, each later
        member -> ``[]``. Only where the engine evaluates a CTE at every reference (no
        ``materialized_cte``: BigQuery, Snowflake) and the strategy never partitions by row
        id; elsewhere each lookup takes its own step, reading the staged source CTE."""
        if "materialized_cte" in self.dialect.capabilities or \
                not self.dialect.capabilities >= SHARED_NEEDS:
            return {}
        by_source: dict[exp.Expr, list[int]] = {}
        for i, body in bodies.items():
            if self.strategy(snapshots[i]) in SHARED_STRATEGIES:
                by_source.setdefault(body, []).append(i)
        groups: dict[int, list[int]] = {}
        for members in by_source.values():
            if len(members) > 1:
                groups[members[0]] = members
                groups.update({n: [] for n in members[1:]})
        return groups

    def chain_columns(self, i: int, lookup: Lookup) -> list[str]:
        """The columns lookup ``i``'s CTE adds to the chain."""
        names = [carried(i, "ts"), *[carried(i, f"f{n}") for n in range(len(lookup.tie_columns))]]
        if self.strategy(lookup) == "range_rank":
            names.append(carried(i, "rank"))
        return names

    # -- the query -----------------------------------------------------------------------
    def build(self) -> exp.Select:
        ctes: list[tuple[str, exp.Expr]] = [(SPINE, self.spine_cte())]
        materialized: set[str] = set()
        recursive = False
        chain = SPINE  # the CTE holding every spine row and the snapshot features so far
        internal: list[str] = []
        streamed: set[str] = set()
        source_bodies: dict[exp.Expr, str] = {}  # by structure: one hash per source
        sources: set[str] = set()  # the source CTEs' names
        aggregations: dict[int, tuple[AggregationSQL, list[exp.Join], dict[int, exp.Expr]]] = {}
        builders = {
            "window": self.window_cte,
            "range_rank": self.range_rank_cte,
            "asof_two_phase": self.two_phase_cte,
            "asof_dedup": self.asof_cte,
        }
        snapshots = {i: lookup for i, lookup in enumerate(self.plan.lookups)
                     if not isinstance(lookup, AggregationLookup)}
        linked = {i: AggregationSQL(self, i, lookup) for i, lookup in enumerate(self.plan.lookups)
                  if isinstance(lookup, AggregationLookup)}
        # BigQuery, Snowflake: snapshot lookups over one source read it once, in an aggregation
        # view's link (same keys), in one shared step (one source CTE: a view under several
        # names, key maps) or in a snapshot link (same keys, other fields).
        in_links = self.snapshots_in_links(snapshots, linked)
        free = {i: lookup for i, lookup in snapshots.items() if i not in in_links}
        bodies = {i: self.source_cte(lookup) for i, lookup in free.items()}
        groups = self.shared_groups(free, bodies)
        snapshot_links = self.snapshot_links(
            {i: lookup for i, lookup in free.items() if i not in groups})
        in_snapshot_links = {n for members in snapshot_links.values() for n in members}
        taken = {*in_links, *(in_snapshot_links - set(snapshot_links)),
                 *(n for n, members in groups.items() if not members)}
        for i in [*in_links, *in_snapshot_links]:
            internal += self.chain_columns(i, snapshots[i])
        for i, lookup in enumerate(self.plan.lookups):
            if i in taken:
                continue  # computed with another lookup over the same source
            if i in snapshot_links:
                members = [(n, snapshots[n]) for n in snapshot_links[i]]
                src = src_cte_name(lookup.name)
                # Every member's tie columns (linked_snapshots.source_columns).
                ctes.append((src, self.source_rows(members[0][1], source_columns(members))))
                body = snapshot_link(members, chain, src, whole_row(self.dialect),
                                     self.ttl(members[0][1]), self.dialect)
                chain = lookup_cte_name(lookup.name, "snaps")
                ctes.append((chain, body))
                continue
            if isinstance(lookup, AggregationLookup):
                aggregation = linked[i]
                sources.add(aggregation.src)
                if aggregation.chained or aggregation.linked or aggregation.join_linked:
                    ctes.append((aggregation.src, aggregation.source_cte()))
                    if aggregation.chained:  # frames only
                        body, added, values = aggregation.chain_cte(chain)
                        chain = aggregation.cte_name("frames")
                    elif aggregation.linked:  # frames, islands, navigation (BigQuery, Snowflake)
                        body, added, values = aggregation.link_cte(chain)
                        chain = aggregation.cte_name("link")
                    else:  # the range join (BigQuery, Snowflake)
                        body, added, values = aggregation.join_link_cte(chain)
                        chain = aggregation.cte_name("joined")
                    ctes.append((chain, body))
                    internal += added
                    aggregations[i] = (aggregation, [], values)
                    continue
                agg_ctes, agg_joins, values = aggregation.parts()
                ctes += agg_ctes
                aggregations[i] = (aggregation, agg_joins, values)
                materialized |= aggregation.materialized
                recursive = recursive or aggregation.recursive
                continue
            source = bodies[i]
            # Views over the same source rows (one view under two names, key maps) share one
            # source CTE: the table is read once (staged, where the engine stages a CTE read
            # twice).
            shared = source_bodies.get(source)
            if shared is None:
                shared = source_bodies[source] = src_cte_name(lookup.name)
                ctes.append((shared, source))
                sources.add(shared)
            self.sources[lookup.name] = shared
            if self.strategy(lookup) == "asof_two_phase":
                # Read twice (narrow, then whole rows): streamed both times. Staging it once
                # took 2.3x the time and 1.8x the memory at 1M spine rows x 10M source rows
                # (bench/README.md, "Base-table reads").
                streamed.add(shared)
            if groups.get(i):  # lookups over this source CTE in one step (BigQuery, Snowflake)
                members = [(n, snapshots[n]) for n in groups[i]]
                for n, member in members:
                    self.sources[member.name] = shared
                    internal += self.chain_columns(n, member)
                step, chain = shared_step(members, chain, builders[self.strategy(lookup)],
                                          self.chain_columns)
                ctes += step
                continue
            body = builders[self.strategy(lookup)](i, lookup, chain)
            chain = view_cte_name(lookup.name)
            ctes.append((chain, body))
            internal += self.chain_columns(i, lookup)
        self.chain = chain
        if self.dialect.stage_shared_tables:  # Postgres: a table read by two source CTEs
            ctes = stage_shared_tables(ctes, sources, materialized)
        joins: list[exp.Join] = []
        columns: list[exp.Expr] = []
        for i, lookup in enumerate(self.plan.lookups):
            if isinstance(lookup, AggregationLookup):
                aggregation, agg_joins, values = aggregations[i]
                joins += agg_joins
                columns += aggregation.columns(values)
            else:
                columns += self.feature_columns(i, lookup)
        # aggregations are joined to the chain's last CTE on the row id
        for column in (c for part in (*joins, *columns) for c in nodes_of(part, exp.Column)):
            if column.table == SPINE:
                column.set("table", ident(chain))
        hidden = [ident(RID), ident(T)] + (
            [ident(self.plan.spine.row_id_column)]
            if self.plan.spine.row_id_column not in (None, RID)
            else []
        ) + [ident(name) for name in internal]
        projections = self.all_columns_but(chain, hidden, self.spine_columns()) + columns
        # Assembled once from lists: a builder call per join or CTE (.join, .with_) would copy
        # the growing tree each time, quadratic in the number of views.
        query = exp.Select(expressions=projections, from_=exp.From(this=ident(chain)),
                           joins=joins)
        if self.plan.derived:
            query = self.with_derived(query)
        else:
            query.set("order", exp.Order(
                expressions=[exp.Ordered(this=col(RID, chain), nulls_first=True)]))
        with_ = exp.With(expressions=[
            exp.CTE(this=body, alias=ident(name),
                    materialized=False if name in streamed else (
                        True if name in materialized else None))
            for name, body in ctes
        ])
        if recursive:
            with_.set("recursive", True)
        query.set("with_", with_)
        return query

    def with_derived(self, inner: exp.Select) -> exp.Select:
        """Derived features read the output columns of ``inner``, so they go one level up (one
        more level per derived feature that reads another derived feature)."""

        order = "__fsql_order"
        query = inner.select(aliased(col(RID, self.chain), order), copy=False)
        features = {o.output_name for lk in self.plan.lookups for o in lk.outputs}
        pending = list(self.plan.derived)
        layers: list[list[DerivedColumn]] = []
        while pending:  # a layer: the derived features that read no pending one
            later = {d.output_name for d in pending}
            layer = [d for d in pending
                     if not any(d.column(r) in later for r in d.expression.references)]
            layers.append(layer)
            pending = [d for d in pending if d not in layer]
        hidden = [exp.to_identifier(h, quoted=True) for h in self.plan.hidden_names]

        for n, layer in enumerate(layers):
            last = n == len(layers) - 1
            alias = "__fsql_o" if last else f"__fsql_o{n}"
            quoted = features | {d.output_name for lay in layers[:n] for d in lay}

            def resolve(name: str, alias: str = alias, quoted: set[str] = quoted) -> exp.Expr:
                # Feature aliases are quoted (exact case on Snowflake); spine columns as written.
                if name in quoted:
                    return exp.Column(this=exp.to_identifier(name, quoted=True), table=ident(alias))
                return col(name, alias)

            def reader(d: DerivedColumn, resolve: Callable[[str], exp.Expr] = resolve
                       ) -> Callable[[str], exp.Expr]:
                return lambda name: resolve(d.column(name))

            derived = [
                aliased(to_sql(d.expression, self.dialect, reader(d),
                               input_dtypes=d.input_dtypes),
                        exp.to_identifier(d.output_name, quoted=True))
                for d in layer
            ]
            kept = self.all_columns_but(alias, [ident(order), *hidden], [
                *self.spine_columns(), *self.quoted_outputs(layers[:n])]) if last else [
                exp.Column(this=exp.Star(), table=ident(alias))]
            query = exp.select(*kept, *derived).from_(query.subquery(alias, copy=False),
                                                      copy=False)
        return query.order_by(exp.Ordered(this=col(order, "__fsql_o"), nulls_first=True),
                              copy=False)

    # -- dialects without SELECT * EXCEPT (Postgres) -----------------------------------
    def all_columns_but(self, alias: str, hidden: list[exp.Identifier],
                        visible: list[exp.Identifier]) -> list[exp.Expr]:
        """``alias.* EXCEPT (hidden)``, or where the dialect has no ``* EXCEPT`` (declared
        ``star_except = false``) the ``visible`` columns, listed in the same order."""
        if "star_except" in self.dialect.capabilities:
            star = exp.Star(except_=[exp.Column(this=h) for h in hidden])
            return [exp.Column(this=star, table=ident(alias))]
        return [exp.Column(this=name, table=ident(alias)) for name in visible]

    def spine_columns(self) -> list[exp.Identifier]:
        """The spine's own columns, for a dialect that must list them. Unknown columns (a
        table or query spine) cannot be listed: UnsupportedError, naming the fix."""
        if "star_except" in self.dialect.capabilities:
            return []
        spine = self.plan.spine
        if spine.columns is None:
            raise UnsupportedError(
                f"{self.dialect.name} has no SELECT * EXCEPT, so fsql lists the spine's columns "
                f"in the output, and the columns of the {spine.kind} spine {spine.ref!r} are "
                "unknown: name them (fsql compile --spine-columns a,b,c; in Python "
                f"SpineRef({spine.kind!r}, ..., columns=(...)) for Repo.compile or Repo.tree), "
                "or compile for a dialect with SELECT * EXCEPT")
        return [ident(c) for c in spine.columns if c not in (RID, spine.row_id_column)]

    def quoted_outputs(self, layers: list[list[DerivedColumn]]) -> list[exp.Identifier]:
        """The visible feature columns of the lookups and of the derived ``layers``, in
        output order (their aliases are quoted)."""
        names = [o.output_name for lk in self.plan.lookups for o in lk.outputs if not o.hidden]
        names += [d.output_name for layer in layers for d in layer]
        return [exp.to_identifier(name, quoted=True) for name in names]

    def spine_order_key(self, column: str) -> exp.Expr:
        """A spine column as a row-numbering key: strings by code point on every dialect."""
        dtype = dict(self.plan.spine.column_dtypes).get(column)
        key = col(column)
        return self.dialect.string_order(key) if dtype == "string" else key

    def feature_columns(self, i: int, lookup: Lookup) -> list[exp.Expr]:
        """A snapshot view's features, read from the columns the chain carries (the
        spine's table name stands for the chain's last CTE, set by :meth:`build`)."""
        ts = col(carried(i, "ts"), SPINE)
        hit: exp.Expr = exp.and_(
            exp.Not(this=exp.Is(this=col(T, SPINE), expression=exp.null())),
            exp.Not(this=exp.Is(this=ts, expression=exp.null())),
            copy=False,
        )
        if lookup.ttl_us is not None:
            hit = exp.And(
                this=hit, expression=inside_span(self.ttl(lookup), ts.copy(), col(T, SPINE))
            )
        out: list[exp.Expr] = []
        for feature in lookup.outputs:
            position = lookup.tie_columns.index(feature.source_column)
            value = exp.Case(
                ifs=[exp.If(this=hit.copy(), true=col(carried(i, f"f{position}"), SPINE))],
                default=literal(feature.default, feature.dtype, self.dialect),
            )
            out.append(aliased(value, exp.to_identifier(feature.output_name, quoted=True)))
        return out


def carried(i: int, part: str) -> str:
    """A column lookup ``i``'s CTE adds to the chain (the winner's ``ts``, tie column
    ``f<n>``, its rank): numbered by lookup, so that no two lookups' columns meet."""
    return f"__fsql_p{i}_{part}"


def finalize(tree: exp.Expr, dialect: Dialect) -> exp.Expr:
    """Quote identifiers that are reserved words in ``dialect`` (sqlglot lacks some lists).

    Changes ``tree`` in place (a fresh tree from the compiler; ``transform`` would copy it
    whole first) and returns it."""
    if not dialect.reserved_words:
        return tree
    reserved = [
        node for node in nodes_of(tree, exp.Identifier)
        if not node.quoted and node.name.lower() in dialect.reserved_words
    ]
    for node in reserved:
        quoted = exp.Identifier(this=node.name, quoted=True)
        if node is tree:
            return quoted
        node.replace(quoted)
    return tree


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one tree is built or printed.

    Every sqlglot node points to its parent, so each one is tracked by the collector, and
    the nodes of a tree being built all survive: a collection then rescans the growing tree
    for nothing, which made building a 400-view query 2.5 times slower per view than a
    25-view one (bench/compile.py). The garbage is collected as usual afterwards. A collector
    disabled by the caller stays disabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _discard(tree: exp.Expr) -> None:
    """Unlink every node of ``tree`` from its parent, so that reference counting frees the
    tree at once: a parent and its children form reference cycles, which only the cyclic
    collector frees, scanning every node (as long as building the tree took)."""
    stack: list[exp.Expr] = [tree]
    while stack:
        node = stack.pop()
        node.parent = None
        for value in node.args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif type(value) is list:
                stack.extend(v for v in value if isinstance(v, exp.Expr))


def compile_plan(plan: PointInTimePlan, dialect: Dialect) -> exp.Expr:
    """The sqlglot tree of ``plan`` for ``dialect``."""
    with collector_paused():
        return finalize(PointInTimeCompiler(plan, dialect).build(), dialect)


def render(tree: exp.Expr, dialect: Dialect, *, copy: bool = True) -> str:
    """SQL text of ``tree`` for ``dialect``, pretty-printed and ending with a newline. A
    construct sqlglot cannot write for the dialect raises (it would otherwise only warn in a
    log and print SQL that means something else). ``copy=False`` lets sqlglot's generator
    rewrite ``tree`` in place instead of copying it whole first: for a tree nothing else will
    read (a fresh :func:`compile_plan`)."""
    try:
        return generation.sql(tree, dialect.sqlglot, pretty=True, copy=copy,
                              unsupported_level=ErrorLevel.RAISE) + "\n"
    except SqlglotUnsupported as err:
        raise UnsupportedError(f"{dialect.name} cannot express part of this query: {err}; "
                               "this is a bug in fsql's dialect settings, please report it"
                               ) from None


def header(plan: PointInTimePlan, dialect: Dialect) -> str:
    """The comment lines a compiled query starts with: what it is and how it was asked, so
    that a golden file or a warehouse job says where it came from. No path, time or host:
    the text is the same on every machine."""
    options = [
        f"fsql {__version__}",
        f"training set of {plan.request!r}",
        f"dialect {dialect.name}",
        f"cut {plan.cut}",
        f"created cutoff {'on' if plan.created_cutoff else 'off'}",
        f"names {'full' if plan.full_names else 'short'}",
        f"env {plan.env or 'default'}",
    ]
    if plan.serving_lag_us:
        options.append(f"serving lag {plan.serving_lag_us} us")
    lines = ["-- " + " | ".join(options)]
    reads_files = plan.spine.kind == "file" or any(
        lk.source.kind == "path" for lk in plan.lookups)
    if reads_files:
        lines.append("-- Local files are named relative to the feature repository's root: run "
                     "this with SET file_search_path = '<root>' (fsql run does).")
    return "\n".join(lines) + "\n"


def render_plan(plan: PointInTimePlan, dialect: Dialect) -> str:
    """The SQL text of ``plan`` for ``dialect``: the header comment, then the query."""
    with collector_paused():
        tree = compile_plan(plan, dialect)
        text = header(plan, dialect) + render(tree, dialect, copy=False)
        _discard(tree)
    return text
