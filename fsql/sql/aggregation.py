"""SQL for windowed aggregations (one :class:`~fsql.plan.nodes.AggregationLookup`).

Each aggregate takes the plan its dialect names for its function (``[aggregation_plans]`` in
dialects/*.toml). ``running``, ``islands``, ``blocks`` and ``asof`` are in
:mod:`fsql.sql.running`, ``navigation`` (first/last) in :mod:`fsql.sql.navigation`; the
two here are:

- **frames** (sub-quadratic): one UNION ALL of the key's events and its spine rows, ordered by
  time in epoch microseconds, and one window aggregate per feature over a RANGE frame: inclusive
  cut ``RANGE BETWEEN w - 1 PRECEDING AND CURRENT ROW`` = (t - w, t]; exclusive cut ``RANGE
  BETWEEN w PRECEDING AND 1 PRECEDING`` = [t - w, t). Spine rows carry NULL inputs, which every
  aggregate ignores. first/last (DuckDB) are MIN/MAX of STRUCT(ts, created, value).
- **join** (quadratic in events per key): each spine row joined to its visible events in
  the longest window, GROUP BY the row, each aggregate over ``CASE WHEN in its window``;
  first/last keep ``ROW_NUMBER() = 1`` by (ts, created, value). Also every aggregate's plan under
  the created cutoff (visibility then depends on t twice).

A view is a *link* of the query's chain (fsql/sql/compiler.py: it reads the previous CTE of the
chain, every spine row, once and its source once) when its aggregates are all frames
(:meth:`AggregationSQL.chain_cte`, every dialect), and on BigQuery and Snowflake always: frames,
islands and navigation in one stream (:meth:`AggregationSQL.link_cte`), the range join as
windows per chain row (:meth:`AggregationSQL.join_link_cte`). Otherwise its CTEs read the spine
CTE and are joined to the chain's end by row id.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

from sqlglot import exp

from fsql.dsl.functions import COUNTS
from fsql.dtypes import DType
from fsql.errors import UnsupportedError
from fsql.plan.nodes import AggregateColumn, AggregationLookup, Lookup, Visibility
from fsql.sql.context import QueryContext
from fsql.sql.dialect import data_type, paren
from fsql.sql.expressions import to_sql
from fsql.sql.linked_snapshots import (
    chain_and_events,
    source_columns,
    stream_columns,
    whole_row,
    winner_levels,
)
from fsql.sql.navigation import NavigationSQL
from fsql.sql.running import RunningSQL
from fsql.sql.tree import (
    CREATED,
    RID,
    SPINE,
    TS,
    T,
    aliased,
    and_all,
    col,
    exact_int64,
    ident,
    input_name,
    int_literal,
    is_null,
    joined,
    key_name,
    literal,
    lookup_cte_name,
    not_null,
    relation_for_source,
    src_cte_name,
    table,
    tie_struct,
    value_order_keys,
    when,
)
from fsql.sql.visibility import inside_span, not_after, range_frame, union_ranks

# What a linked aggregation (AggregationSQL.link_cte) needs of the engine besides the plans'
# own needs: the link drops its working columns by SELECT * EXCEPT, and reads first/last by
# IGNORE NULLS.
LINK_NEEDS = frozenset({"star_except", "ignore_nulls", "values_lists"})
_LINKED_PLANS = ("frames", "islands", "navigation")
_MET_TIME = "__fsql_mt"  # a linked row's time before the probes: t, or the event's ts
# The earliest and latest chain time of a linked row's key (AggregationSQL.pruned).
_KEY_LOW, _KEY_HIGH = "__fsql_klo", "__fsql_khi"


# A linked lifetime probe's time: before every timestamp BigQuery and Snowflake hold (year 1 is
# -6.2e16 us), and 2^62 us from INT64_MIN, so that a RANGE frame's offset cannot overflow.
_BEFORE_EVENTS = -(2**62)


def _a(j: int) -> str:
    return f"__fsql_a{j}"


class AggregationSQL:
    """Builds the CTEs, joins and output columns of aggregation lookup ``i``."""

    def __init__(self, parent: QueryContext, i: int, lookup: AggregationLookup) -> None:
        self.p = parent
        self.i = i
        self.lookup = lookup
        self.cutoff = parent.plan.created_cutoff and lookup.source.created_column is not None
        dialect = parent.dialect
        # BigQuery, Snowflake: the lookup can be one link of the chain (link_cte, reading
        # spine and events once) when its plans are frames, islands and navigation.
        self.links = dialect.running_partitioned and dialect.capabilities >= LINK_NEEDS and \
            all(dialect.aggregation_plans[a.function] in _LINKED_PLANS for a in lookup.outputs)
        self.plan_of = [self.plan_for(a) for a in lookup.outputs]
        self.framed = [j for j, plan in enumerate(self.plan_of) if plan == "frames"]
        self.joined = [j for j, plan in enumerate(self.plan_of) if plan == "join"]
        # first/last in the range join: ROW_NUMBER per aggregate, or ARG_MAX/ARG_MIN of the
        # tie order in the one GROUP BY where the dialect orders STRUCTs (join_first_last).
        self.ranked = [
            j for j in self.joined
            if lookup.outputs[j].function in ("first", "last")
            and parent.dialect.join_first_last == "row_number"
        ]
        self.navigated = [j for j, plan in enumerate(self.plan_of) if plan == "navigation"]
        self.running = [
            j for j, plan in enumerate(self.plan_of)
            if plan not in ("frames", "join", "navigation")
        ]
        # One source column per distinct (column, where): aggregates of it share it.
        inputs = [
            (a.column, None if a.where is None else a.where.tree.sql()) for a in lookup.outputs
        ]
        self.inputs = list(dict.fromkeys(inputs))
        self.input_of = [self.inputs.index(key) for key in inputs]
        self.materialized: set[str] = set()
        self.recursive = False
        # Snapshot lookups over the same source and keys computed in this link (set by the
        # compiler before the CTEs are built; fsql/sql/linked_snapshots.py).
        self.snapshots: list[tuple[int, Lookup]] = []
        # Only frames: one union of events and the chain's rows computes every aggregate, so
        # the lookup is a link of the chain (fsql/sql/compiler.py) and reads spine and source
        # once. The other plans read spine rows and events in several CTEs joined by row id.
        self.chained = bool(self.framed) and len(self.framed) == len(lookup.outputs)
        # Frames, islands and navigation together, where the engine partitions running
        # windows by key: one link of the chain too (link_cte), reading spine and source once.
        linkable = not self.chained and dialect.running_partitioned and \
            dialect.capabilities >= LINK_NEEDS
        self.linked = linkable and all(plan in _LINKED_PLANS for plan in self.plan_of)
        # Every aggregate on the range join (the created cutoff, light lookups): one link too
        # (join_link_cte), joining the chain's rows to their visible events.
        self.join_linked = linkable and bool(lookup.keys) and \
            all(plan == "join" for plan in self.plan_of)
        nan_aware = parent.dialect.nan_sorts_lowest or parent.dialect.min_max_propagate_nan
        for agg in lookup.outputs:
            if nan_aware and agg.function in ("min", "first", "last") and agg.column and \
                    agg.dtype is None and self.input_dtype(agg) is None:
                raise UnsupportedError(
                    f"Aggregate {agg.output_name!r} of feature view {lookup.name!r}: "
                    f"{agg.function} over column {agg.column!r}, whose dtype fsql does not know,"
                    f" cannot be compiled exactly for {parent.dialect.name} (it orders NaN "
                    "unlike fsql's rule, so fsql must know whether the column is a float); "
                    "declare dtype= on the Aggregate or schema= on the Source")
            self.check_string_order_known(agg)

    def plan_for(self, agg: AggregateColumn) -> str:
        """The plan of one aggregate: the dialect's for its function, else the range join
        (created cutoff; light keys; islands over a possibly-float value where the engine
        cannot partition by a float, unless the lookup is linked, whose islands partition by
        the value's rank)."""
        if self.cutoff or self.lookup.light:
            return "join"
        plan = self.p.dialect.aggregation_plans[agg.function]
        if plan == "islands" and not self.links and self.ranks_values(agg):
            return "join"
        return plan

    def ranks_values(self, agg: AggregateColumn) -> bool:
        """Whether islands of ``agg``'s values are partitioned by the value's rank rather than
        the value (a possibly-float value where the engine cannot partition by a float; only
        the linked islands can, link_cte)."""
        return "partition_by_float" not in self.p.dialect.capabilities and \
            agg.input_dtype in (None, "float64")

    # names -------------------------------------------------------------------------------
    @property
    def src(self) -> str:
        return src_cte_name(self.lookup.name)

    def cte_name(self, part: str) -> str:
        return lookup_cte_name(self.lookup.name, part)

    # source --------------------------------------------------------------------------------
    def source_cte(self) -> exp.Select:
        """Keys, ts, created and one input column per aggregate (NULL where ``where`` fails)."""

        p, lookup = self.p, self.lookup
        relation, ts, created = relation_for_source(p.dialect, lookup.source)
        projections: list[exp.Expr] = [
            aliased(col(k.source_column), key_name(n)) for n, k in enumerate(lookup.keys)
        ]
        projections += [aliased(ts, "__fsql_ts"), aliased(created, "__fsql_c")]
        for m in dict.fromkeys(self.input_of):
            agg = lookup.outputs[self.input_of.index(m)]
            projections.append(aliased(self.input_value(agg), input_name(m)))
        projections += source_columns(self.snapshots)
        conds: list[exp.Expr] = [
            not_null(col(k.source_column))
            for k in lookup.keys
        ]
        if self.chained or self.linked or self.join_linked:
            # The link reads the chain once and prunes nothing: a second read of the spine
            # for its time range would read the spine twice (the frames, islands and probes
            # bound each row's events by themselves).
            conds.append(not_null(ts.copy()))
            return exp.select(*projections).from_(relation, copy=False).where(
                exp.and_(*conds, copy=False), copy=False)
        # The other plans read the spine again anyway: prune the events to its time range.
        low, high = p.spine_bounds()
        conds.append(exp.LTE(this=ts.copy(), expression=high))
        longest = lookup.longest_window_us
        if longest is not None:
            conds.append(
                exp.GTE(
                    this=ts.copy(), expression=exp.Sub(this=low, expression=int_literal(longest))
                )
            )
        else:
            conds.append(not_null(ts.copy()))
        return (
            exp.select(*projections)
            .from_(relation, copy=False)
            .join(p.bounds_join(), copy=False)
            .where(exp.and_(*conds, copy=False), copy=False)
        )

    def input_value(self, agg: AggregateColumn) -> exp.Expr:

        value: exp.Expr = exp.Literal.number(1) if agg.column is None else col(agg.column)
        if agg.where is None:
            return value

        condition = to_sql(
            agg.where,
            self.p.dialect,
            lambda name: col(name),
            input_dtypes=self.lookup.source_dtypes,
        )
        return exp.Case(ifs=[exp.If(this=condition, true=value)])

    # frames, chained ---------------------------------------------------------------------------
    def chain_name(self, part: str) -> str:
        """A column this lookup's link adds to the chain (numbered by lookup)."""
        return f"__fsql_p{self.i}_{part}"

    def chain_cte(self, chain: str) -> tuple[exp.Select, list[str], dict[int, exp.Expr]]:
        """The lookup as a link of the chain: every row of ``chain`` with each aggregate's
        frame added. The chain's rows and the events meet in one relation through a FULL
        JOIN on a row id the events do not have (every row unmatched: a UNION ALL whose
        chain side need not list the chain's columns, unknown for a table spine), and the
        frames run over the key and time of whichever side a row comes from. A chain row
        with a NULL key or time shares no partition or instant with an event, and its
        output is the default anyway. Returns the CTE, the columns it adds, each value."""
        lookup = self.lookup
        q, e, j1 = "__fsql_q", "__fsql_e", "__fsql_j"
        n_keys = len(lookup.keys)
        inputs = list(dict.fromkeys(self.input_of[j] for j in self.framed))
        events = exp.select(
            *[col(key_name(k)) for k in range(n_keys)],
            col("__fsql_ts"), col("__fsql_c"),
            aliased(exp.Cast(this=exp.null(), to=data_type("BIGINT")), "__fsql_none"),
            *[col(input_name(m)) for m in inputs],
        ).from_(exp.Table(this=exp.to_identifier(self.src)), copy=False)
        rename = {key_name(k): self.chain_name(f"k{k}") for k in range(n_keys)}
        rename.update({"__fsql_o": self.chain_name("o"), CREATED: self.chain_name("c")})
        rename.update({input_name(m): self.chain_name(f"x{m}") for m in inputs})
        meet = [
            *[aliased(exp.Coalesce(this=col(k.spine_column, q),
                                   expressions=[col(key_name(n), e)]), rename[key_name(n)])
              for n, k in enumerate(lookup.keys)],
            aliased(exp.Coalesce(this=col(T, q), expressions=[col("__fsql_ts", e)]),
                    rename["__fsql_o"]),
            aliased(col(CREATED, e), rename[CREATED]),
            *[aliased(col(input_name(m), e), rename[input_name(m)]) for m in inputs],
        ]
        met = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(q)), *meet],
            from_=exp.From(this=table(chain, q)),
            joins=[exp.Join(this=events.subquery(e, copy=False), side="FULL",
                            on=exp.EQ(this=col(RID, q), expression=col("__fsql_none", e)))])
        windows: list[exp.Expr] = []
        values: dict[int, exp.Expr] = {}
        for j in self.framed:
            window = self.framed_aggregate(j, lookup.outputs[j])
            for column in window.find_all(exp.Column):
                if column.name in rename and column.table == "":
                    column.set("this", ident(rename[column.name]))
            windows.append(aliased(window, self.chain_name(f"a{j}")))
            value: exp.Expr = col(self.chain_name(f"a{j}"), SPINE)
            if lookup.outputs[j].function in ("first", "last"):
                value = exp.Anonymous(this="struct_extract",
                                      expressions=[value, exp.Literal.string("v")])
            values[j] = value
        framed = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(j1)), *windows],
            from_=exp.From(this=met.subquery(j1, copy=False)))
        # The chain's rows kept after the frames (a WHERE beside them would drop the events
        # before the windows see them).
        body = exp.select(exp.Star()).from_(framed.subquery("__fsql_w", copy=False),
                                            copy=False).where(not_null(col(RID)), copy=False)
        added = [*rename.values(), *[self.chain_name(f"a{j}") for j in self.framed]]
        return body, added, values

    # frames, islands and navigation, linked ------------------------------------------------
    def link_cte(self, chain: str) -> tuple[exp.Select, list[str], dict[int, exp.Expr]]:
        """The lookup as a link of the chain when its plans are frames, islands (count_distinct)
        and navigation (first/last) only, on an engine that partitions running windows by key
        (BigQuery, Snowflake): every row of ``chain`` with each aggregate added, from one
        stream read once, instead of CTEs that each read the spine and the events and are
        joined back by row id (both engines evaluate a CTE at every reference).

        1. The chain's rows and the events meet in one relation: a UNION ALL with the chain row
           as one STRUCT value (BigQuery), or a FULL JOIN on a row id the events do not have
           (a UNION ALL whose chain side need not list the chain's columns; Snowflake).
        2. The frames over RANGE frames per key in time order (they read the row at t only).
        3. Each chain row repeated once per *probe* (offset from its time ``t``: 0, and the
           ``t - w`` of every islands window and of every navigation ``first``; a lifetime
           ``first`` probes before every event), the probes of :mod:`fsql.sql.running` and
           :mod:`fsql.sql.navigation`; then per key in time order (events before or after
           probes at one instant, by the cut) each islands value's previous and next event (LAG
           and LEAD per key and value, or per key and the value's DENSE_RANK where the engine
           cannot partition by a float), the running counts of island starts and ends, and each
           navigated input's LAST_VALUE/FIRST_VALUE IGNORE NULLS and its time.
        4. Per chain row, each aggregate read at its probe (FIRST_VALUE over the row's probes,
           that probe first; islands: starts at t minus ends at t - w), and the row of probe 0
           kept, without the link's working columns.

        O((n + s p) log(n + s p)) for n events, s spine rows and p probes of a key."""
        lookup = self.lookup
        n_keys = len(lookup.keys)
        keys = [col(key_name(k)) for k in range(n_keys)]
        inputs = list(dict.fromkeys(self.input_of))
        navigation = NavigationSQL(self, self.navigated) if self.navigated else None
        running = RunningSQL(self, self.running) if self.running else None
        # Probe offsets: 0 (at t), then t - w of each islands window and navigation first.
        offsets: list[int | None] = [0]
        offsets += running.windows if running else []
        offsets += navigation.offsets if navigation else []
        offsets = list(dict.fromkeys(offsets))
        snapshot_columns = stream_columns(self.snapshots)

        # Where a row is a value (BigQuery), the chain's row crosses a UNION ALL whole, as one
        # STRUCT, unpacked at the end (as the window strategy does, fsql/sql/compiler.py);
        # GoogleSQL's reference evaluator runs the FULL JOIN below as a nested loop.
        whole = whole_row(self.p.dialect)
        met = chain_and_events(chain, self.src, lookup.keys,
                               [*[input_name(m) for m in inputs], *snapshot_columns], whole,
                               _MET_TIME)
        met = self.pruned(met, keys)
        groups, winners, grouped = winner_levels(self.snapshots, keys, _MET_TIME,
                                                 self.visibility(None), self.p.dialect, TS)
        for found, alias in ((groups, "__fsql_sg"), (winners, "__fsql_sw")):
            if found:
                met = exp.select(exp.Star(), *found).from_(met.subquery(alias, copy=False),
                                                           copy=False)
        # The frames read the chain row at t only: computed before the rows are repeated per
        # probe, they sort the events and the chain's rows once.
        frames = []
        for j in self.framed:
            window = self.framed_aggregate(j, lookup.outputs[j])
            for column in window.find_all(exp.Column):
                if column.name == "__fsql_o" and column.table == "":
                    column.set("this", ident(_MET_TIME))
            frames.append(aliased(window, self.chain_name(f"a{j}")))
        met = exp.select(exp.Star(), *frames).from_(met.subquery("__fsql_m", copy=False),
                                                    copy=False)

        event_side, probe_side = union_ranks(self.visibility(None))
        side = exp.Case(ifs=[exp.If(this=is_null(col(RID)),
                                    true=exp.Literal.number(event_side))],
                        default=exp.Literal.number(probe_side))
        j1 = "__fsql_j"
        if len(offsets) == 1:
            stream = exp.select(
                exp.Star(), aliased(exp.Literal.number(0), "__fsql_wi"),
                aliased(exp.Coalesce(this=col(TS), expressions=[col(T)]), "__fsql_o"),
                aliased(side, "__fsql_side"),
            ).from_(met.subquery(j1, copy=False), copy=False)
        else:
            probes = exp.Values(
                expressions=[
                    exp.Tuple(expressions=[
                        exp.Literal.number(p), exp.null() if w is None else int_literal(w)])
                    for p, w in enumerate(offsets)],
                alias=exp.TableAlias(this=ident("__fsql_w"),
                                     columns=[ident("__fsql_wi"), ident("__fsql_us")]))
            # A lifetime probe (no offset) sits before every event of the key, and far enough
            # from INT64_MIN that the frames' RANGE offsets do not overflow at it.
            at = exp.Coalesce(this=col(TS), expressions=[
                exp.Sub(this=col(T), expression=col("__fsql_us")), int_literal(_BEFORE_EVENTS)])
            stream = exp.select(
                exp.Column(this=exp.Star(), table=ident(j1)), col("__fsql_wi", "__fsql_w"),
                aliased(at, "__fsql_o"), aliased(side, "__fsql_side"),
            ).from_(met.subquery(j1, copy=False), copy=False).join(
                joined(probes, None), copy=False).where(
                exp.Or(this=exp.EQ(this=col("__fsql_wi"), expression=exp.Literal.number(0)),
                       expression=and_all([not_null(col(RID)), not_null(col(T))])),
                copy=False)

        if running is not None:
            # Islands of a value the engine cannot partition by (a float on BigQuery): by its
            # rank among the key's values instead (peers in ORDER BY are the values DISTINCT
            # counts as one: NaN is one value, -0.0 is 0.0).
            ranked = list(dict.fromkeys(self.input_of[j] for j in running.islands
                                        if self.ranks_values(lookup.outputs[j])))
            running.value_ranks = {m: f"__fsql_vr{m}" for m in ranked}
            stream = stream.select(*[aliased(exp.Window(
                this=exp.DenseRank(), partition_by=[k.copy() for k in keys] or None,
                order=exp.Order(expressions=[exp.Ordered(this=col(input_name(m)),
                                                         nulls_first=True)])),
                running.value_ranks[m]) for m in ranked], copy=False)
        windows: list[exp.Expr] = []
        values: dict[int, exp.Expr] = {}
        if navigation is not None:
            windows += [w for m, d in navigation.directions()
                        for w in navigation.navigated(m, d)]
        if running is not None:
            windows += running.island_gaps()
        level = exp.select(exp.Star(), *windows).from_(
            stream.subquery("__fsql_st", copy=False), copy=False)
        series = running.series() if running is not None else []
        counts: list[exp.Expr] = []
        if series:
            assert running is not None
            order = exp.Order(expressions=[exp.Ordered(this=col(c), nulls_first=True)
                                           for c in ("__fsql_o", "__fsql_side")])
            spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                  end="CURRENT ROW")
            counts = [
                aliased(exp.Window(this=exp.Count(this=running.series_input(s)),
                                   partition_by=[k.copy() for k in keys] or None,
                                   order=order.copy(), spec=spec.copy()), s.name)
                for s in series]
            level = exp.select(exp.Star(), *counts).from_(
                level.subquery("__fsql_wn", copy=False), copy=False)

        def at_probe(value: exp.Expr, offset: int | None) -> exp.Expr:
            """``value`` at the chain row's probe ``offset`` (probe 0: the row itself)."""
            probe = offsets.index(offset)
            if probe == 0:
                return value
            first = exp.Case(ifs=[exp.If(this=exp.EQ(this=col("__fsql_wi"),
                                                     expression=exp.Literal.number(probe)),
                                         true=exp.Literal.number(0))],
                             default=exp.Literal.number(1))
            return exp.Window(this=exp.FirstValue(this=value), partition_by=[col(RID)],
                              order=exp.Order(expressions=[exp.Ordered(this=first,
                                                                       nulls_first=True)]))

        picks: list[exp.Expr] = []
        if running is not None:
            for j in running.islands:
                m, span = self.input_of[j], lookup.outputs[j].window_us
                starts = col(f"__fsql_start{m}_{'life' if span is None else span}")
                count: exp.Expr = starts
                if span is not None:
                    ends = at_probe(col(f"__fsql_end{m}_{span}"), span)
                    count = exp.Sub(this=starts, expression=ends)
                picks.append(aliased(count, self.chain_name(f"a{j}")))
        if navigation is not None:
            for j in self.navigated:
                agg = lookup.outputs[j]
                offset = 0 if agg.function == "last" else agg.window_us
                picks.append(aliased(at_probe(navigation.result(j), offset),
                                     self.chain_name(f"a{j}")))
        for j in range(len(lookup.outputs)):
            value: exp.Expr = col(self.chain_name(f"a{j}"), SPINE)
            if j in self.framed and lookup.outputs[j].function in ("first", "last"):
                value = exp.Anonymous(this="struct_extract",
                                      expressions=[value, exp.Literal.string("v")])
            values[j] = value
        picked = exp.select(exp.Star(), *picks).from_(
            level.subquery("__fsql_rc", copy=False), copy=False).where(
            not_null(col(RID)), copy=False)
        working = [*[key_name(n) for n in range(n_keys)], TS, CREATED,
                   *[input_name(m) for m in inputs], _MET_TIME, "__fsql_wi", "__fsql_o",
                   "__fsql_side", _KEY_LOW, _KEY_HIGH, *snapshot_columns, *grouped,
                   *(running.value_ranks.values() if running is not None else [])]
        working += [w.alias for w in windows + counts]
        added = [self.chain_name(f"a{j}") for j in range(len(lookup.outputs))]
        kept: list[exp.Expr] = [exp.Column(this=exp.Star(), table=ident(whole)),
                                *[col(name) for name in added],
                                *[col(w.alias) for w in winners]] if whole is not None else [
            exp.Column(this=exp.Star(except_=[exp.Column(this=ident(name))
                                              for name in working]))]
        body = exp.select(*kept).from_(picked.subquery("__fsql_pk", copy=False), copy=False)
        if len(offsets) > 1:
            body = body.where(exp.EQ(this=col("__fsql_wi"), expression=exp.Literal.number(0)),
                              copy=False)
        return body, added, values

    def pruned(self, met: exp.Query, keys: Sequence[exp.Expr]) -> exp.Select:
        """The link's stream ``met`` without the events no chain row of their key can see:
        those after the key's latest chain time, or before its earliest chain time minus the
        longest window (no lower bound for a lifetime aggregate), and every event of a key no
        chain row has. The bounds are windows over the stream the link builds anyway (MIN/MAX
        of the chain rows' t per key), so the spine is not read again, and the dropped events
        are outside every chain row's window: each aggregate's result is unchanged, and the
        frames, islands and probes sort only the events that matter (the spine often covers a
        short time range of a long history)."""
        by_key = [k.copy() for k in keys] or None
        ranged = exp.select(
            exp.Star(),
            aliased(exp.Window(this=exp.Min(this=col(T)), partition_by=by_key), _KEY_LOW),
            aliased(exp.Window(this=exp.Max(this=col(T)),
                               partition_by=[k.copy() for k in by_key or []] or None), _KEY_HIGH),
        ).from_(met.subquery("__fsql_r", copy=False), copy=False)
        seen: list[exp.Expr] = [exp.LTE(this=col(TS), expression=col(_KEY_HIGH))]
        longest = self.pruning_span()
        if longest is not None:
            seen.append(exp.GTE(this=col(TS), expression=exp.Sub(
                this=col(_KEY_LOW), expression=int_literal(longest))))
        return exp.select(exp.Star()).from_(ranged.subquery("__fsql_rp", copy=False),
                                            copy=False).where(
            exp.Or(this=not_null(col(RID)), expression=exp.paren(and_all(seen), copy=False)),
            copy=False)

    def pruning_span(self) -> int | None:
        """How long before a key's earliest chain time the link keeps its events: the longest
        window, or the longest TTL of a snapshot lookup computed in the link (None: all)."""
        spans = [self.lookup.longest_window_us, *[lk.ttl_us for _, lk in self.snapshots]]
        return None if any(span is None for span in spans) else max(
            span for span in spans if span is not None)

    def join_link_cte(self, chain: str) -> tuple[exp.Select, list[str], dict[int, exp.Expr]]:
        """The range join as a link of the chain (every aggregate on the join plan; BigQuery,
        Snowflake): each row of ``chain`` LEFT JOINed to its visible events in the longest
        window, each aggregate a window over the row's events (``PARTITION BY`` row id: the
        chain's columns, unknown for a table spine, need no GROUP BY), first/last the first
        non-NULL value in the tie order, and one row kept per chain row (every row of a
        partition holds the same values)."""
        lookup = self.lookup
        q, e = "__fsql_q", "__fsql_e"
        by_row = [col(RID, SPINE)]

        def over(aggregate: exp.Expr) -> exp.Expr:
            return exp.Window(this=aggregate, partition_by=[c.copy() for c in by_row])

        windows: list[exp.Expr] = []
        for j, agg in enumerate(lookup.outputs):
            value: exp.Expr = col(input_name(self.input_of[j]), e)
            in_window = (
                self.in_window(agg.window_us, e)
                if agg.window_us is not None and agg.window_us != lookup.longest_window_us
                else None
            )
            if agg.function in ("first", "last"):
                desc = agg.function == "last"
                keys = [col(TS, e), col(CREATED, e),
                        *value_order_keys(value.copy(), agg.dtype, self.p.dialect)]
                picked = value if in_window is None else when(in_window, value)
                window: exp.Expr = exp.Window(
                    this=exp.IgnoreNulls(this=exp.FirstValue(this=picked)),
                    partition_by=[c.copy() for c in by_row],
                    order=exp.Order(expressions=[exp.Ordered(this=k, desc=desc,
                                                             nulls_first=not desc)
                                                 for k in keys]),
                    spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                        end="UNBOUNDED", end_side="FOLLOWING"))
            else:
                if in_window is not None:
                    value = when(in_window, value)
                window = self.finish(agg, self.aggregate(agg, value, over))
            windows.append(aliased(window, self.chain_name(f"a{j}")))
        one = self.chain_name("one")
        windows.append(aliased(exp.Window(this=exp.RowNumber(),
                                          partition_by=[c.copy() for c in by_row]), one))
        keys = [exp.EQ(this=col(k.spine_column, SPINE), expression=col(key_name(n), e))
                for n, k in enumerate(lookup.keys)]
        joined_rows = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=ident(SPINE)), *windows],
            from_=exp.From(this=table(chain, SPINE)),
            joins=[exp.Join(this=table(self.src, e), side="LEFT",
                            on=and_all([*keys, *self.visible(e)]))])
        for column in joined_rows.find_all(exp.Column):  # the chain's rows are q
            if column.table == SPINE:
                column.set("table", ident(q))
        joined_rows.args["from_"].this.set("alias", exp.TableAlias(this=ident(q)))
        body = exp.select(exp.Column(this=exp.Star(except_=[exp.Column(this=ident(one))]))).from_(
            joined_rows.subquery("__fsql_g", copy=False), copy=False).where(
            exp.EQ(this=col(one), expression=exp.Literal.number(1)), copy=False)
        added = [self.chain_name(f"a{j}") for j in range(len(lookup.outputs))]
        values: dict[int, exp.Expr] = {j: col(name, SPINE) for j, name in enumerate(added)}
        return body, added, values

    # frames ----------------------------------------------------------------------------------
    def frame_cte(self) -> exp.Select:

        lookup = self.lookup
        n_keys = len(lookup.keys)
        events = exp.select(
            *[col(key_name(k)) for k in range(n_keys)],
            aliased(col("__fsql_ts"), "__fsql_o"),
            col("__fsql_c"),
            aliased(exp.Cast(this=exp.null(), to=data_type("BIGINT")), RID),
            *[col(input_name(m)) for m in dict.fromkeys(self.input_of[j] for j in self.framed)],
        ).from_(exp.Table(this=exp.to_identifier(self.src)), copy=False)
        spine_conds: list[exp.Expr] = [
            not_null(col(T))
        ] + [
            not_null(col(k.spine_column))
            for k in lookup.keys
        ]
        spine_rows = (
            exp.select(
                *[aliased(col(k.spine_column), key_name(n)) for n, k in enumerate(lookup.keys)],
                aliased(col(T), "__fsql_o"),
                aliased(exp.null(), "__fsql_c"),
                col(RID),
                *[
                    aliased(exp.null(), input_name(m))
                    for m in dict.fromkeys(self.input_of[j] for j in self.framed)
                ],
            )
            .from_(exp.Table(this=exp.to_identifier(SPINE)), copy=False)
            .where(exp.and_(*spine_conds, copy=False), copy=False)
        )
        union = exp.union(events, spine_rows, distinct=False, copy=False).subquery(
            "__fsql_u", copy=False)
        windows = [
            aliased(self.framed_aggregate(j, self.lookup.outputs[j]), _a(j)) for j in self.framed
        ]
        inner = exp.select(col(RID), *windows).from_(union, copy=False)
        outer_cols: list[exp.Expr] = [col(RID)]
        for j in self.framed:
            agg = self.lookup.outputs[j]
            if agg.function in ("first", "last"):
                outer_cols.append(
                    aliased(
                        exp.Anonymous(
                            this="struct_extract",
                            expressions=[col(_a(j)), exp.Literal.string("v")],
                        ),
                        _a(j),
                    )
                )
            else:
                outer_cols.append(col(_a(j)))
        return (
            exp.select(*outer_cols)
            .from_(inner.subquery("__fsql_w", copy=False), copy=False)
            .where(not_null(col(RID)), copy=False)
        )

    def visibility(self, window_us: int | None) -> Visibility:
        """What a spine row sees of this lookup's events over ``window_us``."""
        return self.p.plan.visibility(self.lookup, window_us)

    def framed_aggregate(self, j: int, agg: AggregateColumn) -> exp.Expr:
        """Aggregate ``j`` over its RANGE frame of the union of events and spine rows."""
        n_keys = len(self.lookup.keys)

        def over(aggregate: exp.Expr) -> exp.Expr:
            return exp.Window(
                this=aggregate,
                partition_by=[col(key_name(k)) for k in range(n_keys)] or None,
                order=exp.Order(expressions=[exp.Ordered(this=col("__fsql_o"), nulls_first=True)]),
                spec=range_frame(self.visibility(agg.window_us)),
            )

        value = col(input_name(self.input_of[j]))
        if agg.function in ("first", "last"):
            # MIN/MAX of STRUCT(ts, created, value): the tie order, NULL created oldest.
            ordering = tie_struct(col("__fsql_o"), col(CREATED), value)
            argument = exp.Case(ifs=[exp.If(this=not_null(value.copy()), true=ordering)])
            pick = exp.Min if agg.function == "first" else exp.Max
            return self.finish(agg, over(pick(this=argument)))
        return self.finish(agg, self.aggregate(agg, value, over))

    def aggregate(self, agg: AggregateColumn, value: exp.Expr,
                  over: Callable[[exp.Expr], exp.Expr] = lambda e: e
                  ) -> exp.Expr:
        """The SQL aggregate of ``value`` (NULLs ignored), each aggregate wrapped by ``over``
        (a window frame, or nothing in a GROUP BY). Integer sums accumulate in the dialect's
        exact wide type; MIN of floats skips NaN where the engine would return it (NaN is the
        greatest value: it is the minimum only when every value is NaN)."""
        if agg.function == "sum" and self.integer_input(agg):
            value = exp.Cast(this=value, to=self.p.dialect.int64_sum_type())
        if agg.function == "sum" and self.is_float(agg) and \
                self.p.dialect.float_overflow_raises:
            return self.ieee_float_sum(value, over)
        if agg.function == "avg" and self.is_float(agg) and (
                self.p.dialect.avg_of_infinity_is_nan or self.p.dialect.float_overflow_raises):
            return self.ieee_float_avg(value, over)
        if agg.function in ("min", "max") and self.is_string(agg):
            value = self.p.dialect.string_order(value)  # by code point (Postgres: COLLATE "C")
        if agg.function == "min" and self.p.dialect.min_max_propagate_nan and self.is_float(agg):
            not_nan = exp.Case(ifs=[exp.If(this=self.p.dialect.is_nan(value), true=exp.null())],
                               default=value.copy())
            return exp.Coalesce(this=over(exp.Min(this=not_nan)),
                                expressions=[over(exp.Min(this=value))])
        return over(aggregate_function(agg, value))

    def ieee_float_avg(self, value: exp.Expr,
                       over: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
        """A float average by IEEE 754 where the engine's AVG is not (a running mean gives NaN
        over an infinity and finite values) or its sum raises past float64: the sum of
        x * 2^-11 (exact scaling; it cannot leave float64 for finite inputs), which is NaN
        or +/-inf when an input makes it so, else divided by the count and scaled back (the
        mean of finite values always fits)."""
        dialect, dtype = self.p.dialect, DType("float64")
        scaled = over(scaled_sum(value.copy()))
        count = over(exp.Count(this=value))
        infinite = exp.EQ(this=exp.Abs(this=scaled.copy()),
                          expression=literal(math.inf, dtype, dialect))
        divided = exp.Div(this=exp.Cast(this=scaled.copy(), to=dialect.type_sql(dtype)),
                          expression=exp.Nullif(this=count, expression=exp.Literal.number(0)))
        mean = exp.Mul(this=paren(divided), expression=exp.Literal.number(repr(SUM_SCALE)))
        return exp.Case(ifs=[
            exp.If(this=is_null(scaled.copy()), true=exp.Cast(this=exp.null(),
                                                              to=dialect.type_sql(dtype))),
            exp.If(this=dialect.is_nan(scaled.copy()), true=scaled.copy()),
            exp.If(this=infinite, true=scaled)],
            default=mean)

    def ieee_float_sum(self, value: exp.Expr,
                       over: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
        """A float sum that overflows to +/-inf (IEEE 754) on an engine that raises instead:
        the sum of x * 2^-11 (scaling by a power of two is exact, so partial sums round as the
        unscaled ones do, for inputs above 2e-305) is scaled back only when the result fits,
        else +/-inf; NaN stays NaN."""
        dialect, dtype = self.p.dialect, DType("float64")
        limit = exp.Literal.number(repr(sys.float_info.max / SUM_SCALE))
        scaled = over(scaled_sum(value))
        infinite = exp.Case(ifs=[exp.If(this=exp.GT(this=scaled.copy(),
                                                    expression=exp.Literal.number(0)),
                                        true=literal(math.inf, dtype, dialect))],
                            default=literal(-math.inf, dtype, dialect))
        return exp.Case(ifs=[
            exp.If(this=is_null(scaled.copy()), true=exp.Cast(this=exp.null(),
                                                              to=dialect.type_sql(dtype))),
            exp.If(this=dialect.is_nan(scaled.copy()), true=scaled.copy()),
            exp.If(this=exp.GT(this=exp.Abs(this=scaled.copy()), expression=limit),
                   true=infinite)],
            default=exp.Mul(this=scaled, expression=exp.Literal.number(repr(SUM_SCALE))))

    @staticmethod
    def input_dtype(agg: AggregateColumn) -> str | None:
        """The fsql dtype of the aggregate's input column, when known."""
        return agg.input_dtype

    def integer_input(self, agg: AggregateColumn) -> bool:
        """Whether the aggregate's input is known to hold int64 values."""
        return agg.input_dtype == "int64"

    def is_float(self, agg: AggregateColumn) -> bool:
        return (self.input_dtype(agg) or str(agg.dtype)) == "float64"

    # strings by code point where the engine sorts them by a collation -----------------------
    def is_string(self, agg: AggregateColumn) -> bool:
        return (self.input_dtype(agg) or str(agg.dtype)) == "string"

    def check_string_order_known(self, agg: AggregateColumn) -> None:
        """min/max/first/last order their input: where strings need the dialect's
        ``string_order`` (Postgres: COLLATE "C"), fsql must know whether the input is one."""
        dialect = self.p.dialect
        if dialect.expressions["string_order"] == "{x}" or agg.function not in (
                "min", "max", "first", "last") or agg.column is None:
            return
        if agg.dtype is None and self.input_dtype(agg) is None:
            raise UnsupportedError(
                f"Aggregate {agg.output_name!r} of feature view {self.lookup.name!r}: "
                f"{agg.function} over column {agg.column!r}, whose dtype fsql does not know, "
                f"cannot be compiled exactly for {dialect.name} (it orders strings by the "
                "database's collation, fsql by code point, so fsql must know whether the "
                "column is a string); declare dtype= on the Aggregate or schema= on the Source")

    def finish(self, agg: AggregateColumn, value: exp.Expr) -> exp.Expr:
        """avg/stddev/variance are DOUBLE on every dialect."""
        if agg.function in ("avg", "stddev", "variance"):
            return exp.Cast(this=value, to=self.p.dialect.type_sql(DType("float64")))
        return value

    # range join ------------------------------------------------------------------------------
    def visible(self, alias: str) -> list[exp.Expr]:
        """Event ``alias`` visible at the spine row's t, in the longest window."""

        conds = [not_after(self.visibility(None), col("__fsql_ts", alias), col(T, SPINE))]
        longest = self.lookup.longest_window_us
        if longest is not None:
            conds.append(self.in_window(longest, alias))
        if self.cutoff:
            conds.append(
                exp.paren(
                    exp.Or(
                        this=exp.Is(this=col("__fsql_c", alias), expression=exp.null()),
                        expression=exp.LTE(this=col("__fsql_c", alias), expression=col(T, SPINE)),
                    ),
                    copy=False,
                )
            )
        return conds

    def in_window(self, window_us: int, alias: str) -> exp.Expr:
        """The joined event at ``alias`` is inside the window ``window_us`` of its spine row."""
        return inside_span(self.visibility(window_us), col("__fsql_ts", alias), col(T, SPINE))

    def joined_from(self, alias: str) -> exp.Select:

        keys = [
            exp.EQ(this=col(k.spine_column, SPINE), expression=col(key_name(n), alias))
            for n, k in enumerate(self.lookup.keys)
        ]
        return (
            exp.select()
            .from_(exp.Table(this=exp.to_identifier(SPINE)), copy=False)
            .join(
                joined(
                    exp.Table(
                        this=exp.to_identifier(self.src),
                        alias=exp.TableAlias(this=exp.to_identifier(alias)),
                    ),
                    exp.and_(*keys, copy=False) if keys else None,
                ),
                copy=False,
            )
        )

    def group_cte(self) -> exp.Select | None:

        grouped = [j for j in self.joined if j not in self.ranked]
        if not grouped:
            return None
        alias = "__fsql_e"
        columns: list[exp.Expr] = [col(RID, SPINE)]
        for j in grouped:
            agg = self.lookup.outputs[j]
            value: exp.Expr = col(input_name(self.input_of[j]), alias)
            in_window = (
                self.in_window(agg.window_us, alias)
                if agg.window_us is not None and agg.window_us != self.lookup.longest_window_us
                else None
            )
            if agg.function in ("first", "last"):
                # ARG_MAX/ARG_MIN skip rows whose ordering STRUCT(ts, created, value) is NULL.
                ordering = tie_struct(col(TS, alias), col(CREATED, alias), value.copy())
                conds = [not_null(value.copy())]
                conds += [in_window] if in_window is not None else []
                ordered = exp.Case(ifs=[exp.If(this=exp.and_(*conds, copy=False), true=ordering)])
                pick = exp.ArgMax if agg.function == "last" else exp.ArgMin
                columns.append(aliased(pick(this=value, expression=ordered), _a(j)))
                continue
            if in_window is not None:
                value = exp.Case(ifs=[exp.If(this=in_window, true=value)])
            columns.append(aliased(self.finish(agg, self.aggregate(agg, value)), _a(j)))
        return (
            self.joined_from(alias)
            .select(*columns, copy=False)
            .where(exp.and_(*self.visible(alias), copy=False), copy=False)
            .group_by(col(RID, SPINE), copy=False)
        )

    def rank_cte(self, j: int) -> exp.Select:

        agg = self.lookup.outputs[j]
        alias = "__fsql_e"
        desc = agg.function == "last"
        conds = self.visible(alias)
        if agg.window_us is not None and agg.window_us != self.lookup.longest_window_us:
            conds.append(self.in_window(agg.window_us, alias))
        x = input_name(self.input_of[j])
        conds.append(not_null(col(x, alias)))
        keys = [col("__fsql_ts", alias), col("__fsql_c", alias),
                *value_order_keys(col(x, alias), agg.dtype, self.p.dialect)]
        order = [exp.Ordered(this=k, desc=desc, nulls_first=not desc) for k in keys]
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[col(RID, SPINE)],
            order=exp.Order(expressions=order),
        )
        return (
            self.joined_from(alias)
            .select(col(RID, SPINE), aliased(col(x, alias), _a(j)), copy=False)
            .where(exp.and_(*conds, copy=False), copy=False)
            .qualify(exp.EQ(this=rank, expression=exp.Literal.number(1)), copy=False)
        )

    # assembly ----------------------------------------------------------------------------------
    def parts(
        self,
    ) -> tuple[list[tuple[str, exp.Expr]], list[exp.Join], dict[int, exp.Expr]]:
        """CTEs (after the source CTE), LEFT JOINs on the row id, and each aggregate's value."""

        ctes: list[tuple[str, exp.Expr]] = [(self.src, self.source_cte())]
        value: dict[int, exp.Expr] = {}
        joined: list[str] = []
        if self.framed:
            ctes.append((self.cte_name("frames"), self.frame_cte()))
            joined.append(self.cte_name("frames"))
            value.update({j: col(_a(j), self.cte_name("frames")) for j in self.framed})
        group = self.group_cte()
        if group is not None:
            ctes.append((self.cte_name("groups"), group))
            joined.append(self.cte_name("groups"))
        for j in self.joined:
            if j not in self.ranked:
                value[j] = col(_a(j), self.cte_name("groups"))
            else:
                ctes.append((self.cte_name(f"rank{j}"), self.rank_cte(j)))
                joined.append(self.cte_name(f"rank{j}"))
                value[j] = col(_a(j), self.cte_name(f"rank{j}"))
        if self.running:
            running = RunningSQL(self, self.running)
            for name, body, flag in running.ctes():
                ctes.append((name, body))
                if flag == "materialized":
                    self.materialized.add(name)
                elif flag == "recursive":
                    self.recursive = True
            joined += running.joins()
            value.update({j: running.value(j) for j in self.running})
        if self.navigated:
            navigation = NavigationSQL(self, self.navigated)
            ctes += navigation.ctes()
            joined += navigation.joins()
            value.update({j: navigation.value(j) for j in self.navigated})
        joins = [
            exp.Join(
                this=exp.Table(this=exp.to_identifier(name)),
                side="LEFT",
                on=exp.EQ(this=col(RID, SPINE), expression=col(RID, name)),
            )
            for name in joined
        ]
        return ctes, joins, value

    def columns(self, values: dict[int, exp.Expr]) -> list[exp.Expr]:
        """Output columns: default for a NULL key or time; 0 for empty counts; default for NULL."""

        valid = exp.and_(
            not_null(col(T, SPINE)),
            *[
                not_null(col(k.spine_column, SPINE))
                for k in self.lookup.keys
            ],
            copy=False,
        )
        out: list[exp.Expr] = []
        for j, agg in enumerate(self.lookup.outputs):
            value = values[j].copy()
            if agg.function == "sum" and agg.dtype is not None and agg.dtype.name == "int64":
                value = exact_int64(value, self.p.dialect, f"sum {self.lookup.name}."
                                                           f"{agg.output_name}")
            elif agg.function == "sum" and agg.dtype is not None and agg.dtype.name == "decimal":
                value = exp.Cast(this=value, to=self.p.dialect.type_sql(agg.dtype))
            default = self.default_sql(agg)
            if agg.function in COUNTS:
                value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
            elif agg.default is not None:
                value = exp.Coalesce(this=value, expressions=[default.copy()])
            case = exp.Case(ifs=[exp.If(this=valid.copy(), true=value)], default=default)
            out.append(aliased(case, exp.to_identifier(agg.output_name, quoted=True)))
        return out

    def default_sql(self, agg: AggregateColumn) -> exp.Expr:

        if agg.default is None and agg.dtype is None:
            return exp.null()
        dtype = agg.dtype or DType("float64")
        return literal(agg.default, dtype, self.p.dialect)


SUM_SCALE = 2.0**11  # float sums where the engine raises past float64: sum x / SUM_SCALE


def scaled_sum(value: exp.Expr) -> exp.Expr:
    """SUM(x * 2^-11): scaling by a power of two is exact, so the partial sums round as the
    unscaled ones do (for inputs above 2e-305), and finite inputs cannot leave float64."""
    return exp.Sum(this=exp.Mul(this=paren(value),
                                expression=exp.Literal.number(repr(1 / SUM_SCALE))))


def aggregate_function(agg: AggregateColumn, value: exp.Expr) -> exp.Expr:
    """The SQL aggregate of ``value`` (NULLs ignored, as every aggregate does)."""
    function = agg.function
    if function == "count":
        return exp.Count(this=value)
    if function == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    if function == "sum":
        return exp.Sum(this=value)
    if function == "avg":
        return exp.Avg(this=value)
    if function == "min":
        return exp.Min(this=value)
    if function == "max":
        return exp.Max(this=value)
    if function == "stddev":
        return exp.StddevSamp(this=value)
    if function == "variance":
        return exp.Variance(this=value)  # VARIANCE is the sample variance on all three
    raise AssertionError(f"no plain aggregate for {function}")
