"""Sub-quadratic plans for windowed aggregations, evaluated at the spine rows only.

A window ``(t - w, t]`` (inclusive cut) or ``[t - w, t)`` (exclusive) of a key's events, ordered
by time, is a range of positions ``[P(t - w), P(t))`` where ``P(x)`` counts the key's events
before ``x``. Every plan here starts from that:

- **running** (count): one sort of the events and of *probe rows* (one per spine row at ``t``
  and one per distinct window at ``t - w``) by (keys, time, events before or after probes), and
  one running ``COUNT`` per counted input over it. ``count = P(t) - P(t - w)``: exact integers.
  On DuckDB the sort is global (no ``PARTITION BY``), so a hot key is not one thread's work.
- **islands** (count_distinct): a value is in the window iff ``t`` lies within ``w`` after one
  of its events. A value's events closer than ``w`` apart form one *island*; an island starts at
  an event with no earlier event of the value within ``w`` and ends ``w`` after an event with no
  later one within ``w``. ``count_distinct = starts(<= t) - ends(<= t - w)``, two more running
  counts in the same sort (``lag``/``lead`` per key and value find the islands).
- **blocks** (sum, avg, min, max): the running count of all events is each event's position;
  level-``l`` blocks aggregate positions ``[b 2^l, (b + 1) 2^l)`` (each level one GROUP BY of
  the one below, ``2n`` rows in all). A window is the union of at most two blocks per level
  (those inside it whose parent is not), found by bit arithmetic and joined by hash. Exactly the
  window's rows; avg = sum / running count.
- **asof** (first, last): for one input column, the running-count sort also orders tied
  events by (created NULL-oldest, value); ``last`` is then the event ranked ``N(t)`` and
  ``first`` the one ranked ``N(t - w) + 1`` among the input's non-NULL values (when the window
  holds one), fetched by a hash join on the rank. Other input columns: one row per (keys, ts,
  created) holding the tie order's greatest (last) or least (first) value, then one ``ASOF
  JOIN`` on STRUCT(ts, created) for the latest event at or before ``t`` (last) or the earliest
  inside the window (first), checked against the window.

Each is O(n log n) in the events and spine rows of a key and runs on every core (docs/semantics.md
"Plans", bench/aggregations.py). The created cutoff does not use these plans (visibility then
depends on t twice; fsql/sql/aggregation.py's range join handles it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from fsql.dtypes import DType, parse_dtype
from fsql.plan.nodes import AggregateColumn
from fsql.sql.context import AggregationInputs
from fsql.sql.dialect import data_type
from fsql.sql.tree import (
    CREATED,
    CREATED_NULL,
    INT64_MIN,
    RID,
    SPINE,
    TS,
    T,
    aliased,
    and_all,
    col,
    ident,
    input_name,
    int_literal,
    is_null,
    joined,
    key_name,
    not_null,
    table,
    when,
)
from fsql.sql.visibility import (
    inside_span,
    not_after,
    probe_created,
    sees,
    span_start,
    union_ranks,
)

_BLOCK_LEVELS = 40  # dyadic levels: windows of up to 2^40 events
_O, _KIND, _WI, _RANKV = "__fsql_o", "__fsql_kind", "__fsql_wi", "__fsql_rankv"


def _shr(node: exp.Expr, bits: exp.Expr) -> exp.Expr:
    return exp.paren(exp.BitwiseRightShift(this=node, expression=bits), copy=False)


def _shl(node: exp.Expr, bits: exp.Expr) -> exp.Expr:
    return exp.paren(exp.BitwiseLeftShift(this=node, expression=bits), copy=False)


def _struct(**fields: exp.Expr) -> exp.Expr:
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=ident(k), expression=v) for k, v in fields.items()]
    )


@dataclass(frozen=True)
class _Series:
    """One running count: of input ``m``'s non-NULL values (``count``), of all events
    (``pos``), or of island starts/ends of input ``m`` for window ``w``."""

    kind: str  # "count", "pos", "start", "end"
    m: int | None = None
    window: int | None = None

    @property
    def name(self) -> str:
        if self.kind == "pos":
            return "__fsql_pos"
        if self.kind == "count":
            return f"__fsql_n{self.m}"
        return f"__fsql_{self.kind}{self.m}_{'life' if self.window is None else self.window}"


class RunningSQL:
    """The CTEs, joins and output values of the running/islands/blocks/asof aggregates of one
    aggregation lookup (``members``: indexes into its outputs)."""

    def __init__(self, owner: AggregationInputs, members: list[int]) -> None:
        self.o = owner
        self.lookup = owner.lookup
        self.visible = owner.p.plan.visibility(owner.lookup)  # the cut; spans per aggregate
        self.n_keys = len(self.lookup.keys)
        self.partitioned = owner.p.dialect.running_partitioned
        self.materialize = owner.p.dialect.materialize_ctes
        plans = owner.plan_of
        self.counted = [j for j in members if plans[j] == "running"]
        self.islands = [j for j in members if plans[j] == "islands"]
        self.blocked = [j for j in members if plans[j] == "blocks"]
        asof = [j for j in members if plans[j] == "asof"]
        # first/last of one input (the first listed) read the event at a running-count rank:
        # the sort also orders tied events by (created NULL-oldest, value), the tie rule.
        self.ranked_input = self.o.input_of[asof[0]] if asof else None
        self.ranked = [j for j in asof if self.o.input_of[j] == self.ranked_input]
        self.asof = [j for j in asof if j not in self.ranked]
        # Islands inputs partitioned by a column of their value's rank instead of the value
        # (set by the linked plan, fsql/sql/aggregation.py link_cte).
        self.value_ranks: dict[int, str] = {}
        probed = self.counted + self.islands + self.blocked + self.ranked
        self.windows: list[int | None] = list(
            dict.fromkeys(self.agg(j).window_us for j in probed)
        )

    @property
    def sorted(self) -> bool:
        """Whether any aggregate reads the sorted events and probes (the ``run`` CTE)."""
        return bool(self.counted or self.islands or self.blocked or self.ranked)

    def agg(self, j: int) -> AggregateColumn:
        return self.lookup.outputs[j]

    def name(self, part: str) -> str:
        return self.o.cte_name(part)

    def keys(self, table: str | None = None) -> list[exp.Expr]:
        return [col(key_name(n), table) for n in range(self.n_keys)]

    def probe(self, window: int | None) -> int:
        """The probe index of ``window`` (0 is the probe at t)."""
        return 1 + self.windows.index(window)

    # -- series --------------------------------------------------------------------------
    def count_series(self, j: int) -> _Series:
        """The running count of aggregate ``j``'s input: of all events for count(*)."""
        m = self.o.input_of[j]
        return _Series("pos") if self.o.inputs[m] == (None, None) else _Series("count", m)

    def series(self) -> list[_Series]:
        out: list[_Series] = []
        if self.blocked:
            out.append(_Series("pos"))
        for j in self.counted + [j for j in self.blocked if self.agg(j).function == "avg"]:
            out.append(self.count_series(j))
        if self.ranked:
            out.append(_Series("count", self.ranked_input))
        for j in self.islands:
            m, w = self.o.input_of[j], self.agg(j).window_us
            out.append(_Series("start", m, w))
            if w is not None:
                out.append(_Series("end", m, w))
        return list(dict.fromkeys(out))

    def series_input(self, s: _Series) -> exp.Expr:
        """The value counted for event rows (NULL: not counted)."""
        if s.kind == "pos":
            return exp.Literal.number(1)
        assert s.m is not None  # every series but "pos" reads an input
        x = col(input_name(s.m))
        if s.kind == "count":
            return x
        gap_col = f"__fsql_prev{s.m}" if s.kind == "start" else f"__fsql_next{s.m}"
        alone: exp.Expr = is_null(col(gap_col))
        if s.window is not None:
            gap = (
                exp.Sub(this=col(TS), expression=col(gap_col))
                if s.kind == "start"
                else exp.Sub(this=col(gap_col), expression=col(TS))
            )
            alone = exp.paren(
                exp.Or(this=alone, expression=exp.GTE(this=gap, expression=int_literal(s.window))),
                copy=False,
            )
        return when(and_all([not_null(x), alone]), exp.Literal.number(1))

    def block_stats(self) -> list[tuple[str, int]]:
        """(function, input) of every block aggregate (avg reads its input's sums)."""
        stats = []
        for j in self.blocked:
            f = self.agg(j).function
            stats.append(("sum" if f == "avg" else f, self.o.input_of[j]))
        return list(dict.fromkeys(stats))

    # -- CTEs ----------------------------------------------------------------------------
    def ctes(self) -> list[tuple[str, exp.Expr, str | None]]:
        """(name, body, "materialized" / "recursive" / None) in dependency order."""
        out: list[tuple[str, exp.Expr, str | None]] = [
            (self.name("good"), self.good(), None)
        ]
        if self.sorted:
            events = self.o.src
            if self.islands:
                out.append((self.name("isl"), self.islands_cte(), None))
                events = self.name("isl")
            materialized = "materialized" if self.materialize else None
            out.append((self.name("run"), self.run_cte(events), materialized))
            out.append((self.name("cnt"), self.count_cte(), None))
        if self.blocked:
            out += self.block_ctes()
        if self.ranked:
            out += self.rank_ctes()
        for fn, m, w in self.asof_lookups():
            out.append((self.asof_name(fn, m, w, "ev"), self.asof_events(fn, m), None))
            out.append((self.asof_name(fn, m, w, "hit"), self.asof_cte(fn, m, w), None))
        return out

    def joins(self) -> list[str]:
        """CTEs LEFT JOINed to the spine on the row id."""
        names = []
        if self.sorted:
            names.append(self.name("cnt"))
        if self.blocked:
            names.append(self.name("bk"))
        if self.ranked:
            names.append(self.name("rk"))
        names += [self.asof_name(fn, m, w, "hit") for fn, m, w in self.asof_lookups()]
        return names

    def good(self) -> exp.Select:
        """Spine rows with a time and every key: (row id, keys, t)."""
        keys = [k.spine_column for k in self.lookup.keys]
        return (
            exp.select(
                col(RID),
                *[aliased(col(k), key_name(n)) for n, k in enumerate(keys)],
                col(T),
            )
            .from_(table(SPINE), copy=False)
            .where(and_all([not_null(col(T))] + [not_null(col(k)) for k in keys]), copy=False)
        )

    def islands_cte(self) -> exp.Select:
        """Each event's previous and next event time of the same key and value."""
        return exp.select(exp.Star(), *self.island_gaps()).from_(table(self.o.src), copy=False)

    def island_gaps(self) -> list[exp.Expr]:
        """Per islands input, each event's previous and next event time of the same key and
        value (rows with a NULL value, probes among them, form their own partition)."""
        inputs = list(dict.fromkeys(self.o.input_of[j] for j in self.islands))
        extra: list[exp.Expr] = []
        for m in inputs:
            def over(func: exp.Expr, m: int = m) -> exp.Window:
                value = col(self.value_ranks.get(m, input_name(m)))
                return exp.Window(
                    this=func, partition_by=[*self.keys(), value],
                    order=exp.Order(expressions=[exp.Ordered(this=col(TS), nulls_first=True)]))

            extra.append(aliased(over(exp.Lag(this=col(TS))), f"__fsql_prev{m}"))
            extra.append(aliased(over(exp.Lead(this=col(TS))), f"__fsql_next{m}"))
        return extra

    def run_cte(self, events: str) -> exp.Select:
        """Events and probes in (keys, time, kind) order, with a running count per series."""
        series = self.series()
        stats = self.block_stats()
        event_kind, probe_kind = union_ranks(self.visible)
        bigint = data_type("BIGINT")
        integer = data_type("INT")
        event_rows = exp.select(
            *self.keys(),
            aliased(col(TS), _O),
            aliased(exp.Literal.number(event_kind), _KIND),
            aliased(exp.Cast(this=exp.null(), to=bigint), RID),
            aliased(exp.Cast(this=exp.null(), to=integer), _WI),
            *[aliased(self.series_input(s), s.name) for s in series],
            *[aliased(col(input_name(m)), f"__fsql_val{m}") for m in dict.fromkeys(
                m for _, m in stats)],
            *([col(CREATED), aliased(col(input_name(self.ranked_input)), _RANKV)]
              if self.ranked and self.ranked_input is not None else []),
        ).from_(table(events), copy=False)
        probes = exp.Values(
            expressions=[
                exp.Tuple(
                    expressions=[
                        exp.Literal.number(p),
                        int_literal(0) if w == 0 else (exp.null() if w is None else int_literal(w)),
                    ]
                )
                for p, w in enumerate([0, *self.windows])
            ],
            alias=exp.TableAlias(this=ident("__fsql_w"), columns=[ident(_WI), ident("__fsql_us")]),
        )
        # A lifetime window's probe sits before every event of the key.
        at = exp.Coalesce(
            this=exp.Sub(this=col(T, "__fsql_g"), expression=col("__fsql_us", "__fsql_w")),
            expressions=[int_literal(INT64_MIN + 1)],
        )
        probe_rows = (
            exp.select(
                *self.keys("__fsql_g"),
                aliased(at, _O),
                aliased(exp.Literal.number(probe_kind), _KIND),
                col(RID, "__fsql_g"),
                col(_WI, "__fsql_w"),
                *[aliased(exp.null(), s.name) for s in series],
                *[aliased(exp.null(), f"__fsql_val{m}") for m in dict.fromkeys(
                    m for _, m in stats)],
                *([aliased(exp.null(), CREATED), aliased(exp.null(), _RANKV)]
                  if self.ranked else []),
            )
            .from_(table(self.name("good"), "__fsql_g"), copy=False)
            .join(joined(probes, None), copy=False)
        )
        union = exp.union(event_rows, probe_rows, distinct=False, copy=False).subquery(
            "__fsql_u", copy=False)
        order = [exp.Ordered(this=col(_O), nulls_first=True),
                 exp.Ordered(this=col(_KIND), nulls_first=True)]
        if self.ranked:
            # Tied events in the tie order: created NULL-oldest, then the value.
            order += [exp.Ordered(this=col(CREATED), nulls_first=True),
                      exp.Ordered(this=col(_RANKV), nulls_first=True)]
        if not self.partitioned:
            order = [exp.Ordered(this=k, nulls_first=True) for k in self.keys()] + order
        spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                              end="CURRENT ROW")
        running = [
            aliased(
                exp.Window(this=exp.Count(this=col(s.name)),
                           partition_by=self.keys() if self.partitioned else None,
                           order=exp.Order(expressions=[o.copy() for o in order]),
                           spec=spec.copy()),
                s.name,
            )
            for s in series
        ]
        values = [col(f"__fsql_val{m}") for m in dict.fromkeys(m for _, m in stats)]
        if self.ranked:
            values.append(col(_RANKV))
        return exp.select(col(RID), col(_WI), *running, *values).from_(union, copy=False)

    def at_probe(self, name: str, probe: int) -> exp.Expr:
        """The running count ``name`` at probe ``probe`` of the row (GROUP BY row id)."""
        return exp.Max(this=when(exp.EQ(this=col(_WI), expression=exp.Literal.number(probe)),
                                  col(name)))

    def in_window(self, start: str, end: str, window: int | None) -> exp.Expr:
        """Running count ``start`` at t minus running count ``end`` at t - w."""
        return exp.Sub(this=self.at_probe(start, 0),
                       expression=self.at_probe(end, self.probe(window)))

    def count_cte(self) -> exp.Select:
        """Per spine row: counts, distinct counts, ranks and each block window's positions."""
        columns: list[exp.Expr] = [col(RID)]
        for j in self.counted + self.blocked + self.ranked:
            agg = self.agg(j)
            if j in self.blocked and agg.function != "avg":
                continue
            name = (_Series("count", self.ranked_input) if j in self.ranked
                    else self.count_series(j)).name
            count = self.in_window(name, name, agg.window_us)
            columns.append(aliased(count, f"__fsql_a{j}" if j in self.counted
                                   else f"__fsql_n{j}"))
            if j in self.ranked:
                p = self.probe(agg.window_us)
                rank = (self.at_probe(name, 0) if agg.function == "last" else
                        exp.Add(this=self.at_probe(name, p), expression=exp.Literal.number(1)))
                columns.append(aliased(rank, f"__fsql_r{j}"))
        for j in self.islands:
            m, window = self.o.input_of[j], self.agg(j).window_us
            starts = _Series("start", m, window).name
            ends = starts if window is None else _Series("end", m, window).name
            columns.append(aliased(self.in_window(starts, ends, window), f"__fsql_a{j}"))
        if self.blocked:
            pos = _Series("pos").name
            columns.append(aliased(self.at_probe(pos, 0), "__fsql_hi"))
            for w in dict.fromkeys(self.agg(j).window_us for j in self.blocked):
                p = self.probe(w)
                columns.append(aliased(self.at_probe(pos, p), f"__fsql_lo{p}"))
        return (
            exp.select(*columns)
            .from_(table(self.name("run")), copy=False)
            .where(not_null(col(RID)), copy=False)
            .group_by(col(RID), copy=False)
        )

    # -- blocks ----------------------------------------------------------------------------
    @staticmethod
    def block_col(function: str, m: int) -> str:
        return f"__fsql_{function}{m}"

    def block_value(self, function: str, m: int) -> exp.Expr:
        """Level 0 of input ``m``'s blocks: a sum of integers or decimals is cast to its exact
        wide type here, since a recursive CTE keeps the types of its first level (level 1's
        sums would otherwise be cast back to int64 and fail on a partial sum)."""
        value: exp.Expr = col(f"__fsql_val{m}")
        if function != "sum":
            return value
        agg = next(a for j, a in enumerate(self.o.lookup.outputs)
                   if self.o.input_of[j] == m and a.function in ("sum", "avg"))
        dtype = self.o.input_dtype(agg)
        if self.o.integer_input(agg):
            return exp.Cast(this=value, to=self.o.p.dialect.int64_sum_type())
        if dtype is not None and dtype.startswith("decimal"):
            scale = parse_dtype(dtype, where="source column").scale
            return exp.Cast(this=value, to=self.o.p.dialect.type_sql(DType("decimal", 38, scale)))
        return value

    def block_ctes(self) -> list[tuple[str, exp.Expr, str | None]]:
        stats = self.block_stats()
        one = exp.Literal.number(1)
        b, level_col = "__fsql_b", "__fsql_l"
        functions = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}
        # Level 0 is the events by position; level l + 1 aggregates pairs of level l (one
        # recursive GROUP BY per level; the last levels hold one block each).
        level0 = exp.select(
            aliased(exp.Literal.number(0), level_col),
            aliased(exp.Sub(this=col(_Series("pos").name), expression=one), b),
            *[aliased(self.block_value(f, m), self.block_col(f, m)) for f, m in stats],
        ).from_(table(self.name("run")), copy=False).where(is_null(col(RID)), copy=False)
        parent = _shr(col(b), one.copy())
        level_up = exp.Add(this=col(level_col), expression=one.copy())
        up = (
            exp.select(
                aliased(level_up, level_col),
                aliased(parent, b),
                *[aliased(functions[f](this=col(self.block_col(f, m))), self.block_col(f, m))
                  for f, m in stats],
            )
            .from_(table(self.name("blocks")), copy=False)
            .where(exp.LT(this=col(level_col), expression=exp.Literal.number(_BLOCK_LEVELS - 1)),
                   copy=False)
            .group_by(level_up.copy(), parent.copy(), copy=False)
        )
        out: list[tuple[str, exp.Expr, str | None]] = [
            (self.name("blocks"), exp.union(level0, up, distinct=False, copy=False), "recursive")
        ]
        out += self.cover_ctes()
        aggs = []
        for j in self.blocked:
            f, m = self.agg(j).function, self.o.input_of[j]
            f = "sum" if f == "avg" else f
            in_window = exp.EQ(this=col(_WI, "__fsql_q"),
                               expression=exp.Literal.number(self.probe(self.agg(j).window_us)))
            value = when(in_window, col(self.block_col(f, m), "__fsql_blk"))
            aggs.append(aliased(functions[f](this=value), f"__fsql_a{j}"))
        lookup = (
            exp.select(col(RID, "__fsql_q"), *aggs)
            .from_(table(self.name("cover"), "__fsql_q"), copy=False)
            .join(
                table(self.name("blocks"), "__fsql_blk"),
                on=and_all([
                    exp.EQ(this=col(name, "__fsql_blk"), expression=col(name, "__fsql_q"))
                    for name in (level_col, b)
                ]),
                copy=False,
            )
            .group_by(col(RID, "__fsql_q"), copy=False)
        )
        out.append((self.name("bk"), lookup, None))
        return out

    def cover_ctes(self) -> list[tuple[str, exp.Expr, str | None]]:
        """The blocks covering each window [lo, hi) of positions: at level l, blocks a..bb-1
        lie inside; keep the first and the last of them when their parent does not."""
        windows = list(dict.fromkeys(self.agg(j).window_us for j in self.blocked))
        ranges: exp.Query | None = None
        for w in windows:
            p = self.probe(w)
            part = (
                exp.select(
                    col(RID),
                    aliased(exp.Literal.number(p), _WI),
                    aliased(col(f"__fsql_lo{p}"), "__fsql_lo"),
                    col("__fsql_hi"),
                )
                .from_(table(self.name("cnt")), copy=False)
                .where(exp.GT(this=col("__fsql_hi"), expression=col(f"__fsql_lo{p}")), copy=False)
            )
            ranges = part if ranges is None else exp.union(ranges, part, distinct=False, copy=False)
        assert ranges is not None
        lo, hi, lvl = col("__fsql_lo"), col("__fsql_hi"), col("__fsql_l")
        one, two = exp.Literal.number(1), exp.Literal.number(2)
        top = exp.Cast(
            this=exp.Floor(this=exp.Log(this=two.copy(),
                                        expression=exp.Sub(this=hi.copy(), expression=lo.copy()))),
            to=data_type("INT"),
        )
        levels = exp.Unnest(expressions=[exp.Anonymous(
            this="range", expressions=[exp.Literal.number(0), exp.Add(this=top, expression=one)])])
        with_levels = exp.select(
            col(RID), col(_WI), lo.copy(), hi.copy(), aliased(levels, "__fsql_l")
        ).from_(ranges.subquery("__fsql_r", copy=False), copy=False)
        level_up = exp.paren(exp.Add(this=lvl.copy(), expression=one.copy()), copy=False)
        # a = ceil(lo / 2^l), bb = floor(hi / 2^l); a2, b2: the same one level up.
        bounds = exp.select(
            col(RID), col(_WI), lvl.copy(),
            aliased(_shr(exp.Sub(this=exp.Add(this=lo.copy(), expression=_shl(one.copy(),
                    lvl.copy())), expression=one.copy()), lvl.copy()), "__fsql_a"),
            aliased(_shr(hi.copy(), lvl.copy()), "__fsql_bb"),
            aliased(_shr(exp.Sub(this=exp.Add(this=lo.copy(), expression=_shl(two.copy(),
                    lvl.copy())), expression=one.copy()), level_up), "__fsql_a2"),
            aliased(_shr(hi.copy(), level_up.copy()), "__fsql_b2"),
        ).from_(with_levels.subquery("__fsql_lv", copy=False), copy=False)
        a, bb, a2, b2 = (col(n) for n in ("__fsql_a", "__fsql_bb", "__fsql_a2", "__fsql_b2"))
        last = exp.Sub(this=bb.copy(), expression=one.copy())
        first_kept = and_all([
            exp.LT(this=a.copy(), expression=bb.copy()),
            exp.LT(this=a.copy(), expression=exp.Mul(this=two.copy(), expression=a2.copy())),
        ])
        last_kept = and_all([
            exp.GTE(this=last.copy(), expression=a.copy()),
            exp.GTE(this=last.copy(), expression=exp.Mul(this=two.copy(), expression=b2.copy())),
            exp.Not(this=exp.paren(and_all([
                exp.EQ(this=last.copy(), expression=a.copy()), first_kept.copy()]), copy=False)),
        ])
        # Both candidates of a level in one streaming pass (no CTE read twice: DuckDB would
        # materialize it, one row per spine row, window and level).
        side = col("__fsql_side")
        sides = exp.Values(
            expressions=[exp.Tuple(expressions=[exp.Literal.number(n)]) for n in (0, 1)],
            alias=exp.TableAlias(this=ident("__fsql_sides"), columns=[ident("__fsql_side")]),
        )
        block = exp.Case(
            ifs=[exp.If(this=exp.EQ(this=side.copy(), expression=exp.Literal.number(0)),
                        true=a.copy())],
            default=last.copy(),
        )
        kept = exp.Or(
            this=exp.paren(and_all([exp.EQ(this=side.copy(), expression=exp.Literal.number(0)),
                                    first_kept]), copy=False),
            expression=exp.paren(and_all([
                exp.EQ(this=side.copy(), expression=exp.Literal.number(1)), last_kept]),
                copy=False),
        )
        cover = (
            exp.select(col(RID), col(_WI), lvl.copy(), aliased(block, "__fsql_b"))
            .from_(bounds.subquery("__fsql_bounds", copy=False), copy=False)
            .join(joined(sides, None), copy=False)
            .where(kept, copy=False)
        )
        return [(self.name("cover"), cover, None)]

    # -- ranked first/last -----------------------------------------------------------------
    def rank_ctes(self) -> list[tuple[str, exp.Expr, str | None]]:
        """The events of the ranked input by rank (its running count at the event), and per
        spine row the value at each first/last's rank when its window holds an event."""
        name = _Series("count", self.ranked_input).name
        events = (
            exp.select(aliased(col(name), "__fsql_rank"), aliased(col(_RANKV), "__fsql_v"))
            .from_(table(self.name("run")), copy=False)
            .where(and_all([is_null(col(RID)), not_null(col(_RANKV))]), copy=False)
        )
        wanted: exp.Query | None = None
        for j in self.ranked:
            part = (
                exp.select(col(RID), aliased(exp.Literal.number(j), "__fsql_j"),
                           aliased(col(f"__fsql_r{j}"), "__fsql_rank"))
                .from_(table(self.name("cnt")), copy=False)
                .where(exp.GT(this=col(f"__fsql_n{j}"), expression=exp.Literal.number(0)),
                       copy=False)
            )
            wanted = part if wanted is None else exp.union(wanted, part, distinct=False, copy=False)
        assert wanted is not None
        picks = [
            aliased(exp.Max(this=when(
                exp.EQ(this=col("__fsql_j", "__fsql_q"), expression=exp.Literal.number(j)),
                col("__fsql_v", "__fsql_e"))), f"__fsql_a{j}")
            for j in self.ranked
        ]
        lookup = (
            exp.select(col(RID, "__fsql_q"), *picks)
            .from_(wanted.subquery("__fsql_q", copy=False), copy=False)
            .join(table(self.name("ranked"), "__fsql_e"),
                  on=exp.EQ(this=col("__fsql_rank", "__fsql_e"),
                            expression=col("__fsql_rank", "__fsql_q")), copy=False)
            .group_by(col(RID, "__fsql_q"), copy=False)
        )
        return [(self.name("ranked"), events, None), (self.name("rk"), lookup, None)]

    # -- asof ------------------------------------------------------------------------------
    def asof_lookups(self) -> list[tuple[str, int, int | None]]:
        """(function, input, window): last needs one lookup per input (the window is checked
        afterwards), first one per input and window."""
        out = []
        for j in self.asof:
            agg = self.agg(j)
            window = agg.window_us if agg.function == "first" else None
            out.append((agg.function, self.o.input_of[j], window))
        return list(dict.fromkeys(out))

    def asof_name(self, function: str, m: int, window: int | None, part: str) -> str:
        w = "life" if window is None else str(window)
        return self.name(f"{function}{m}w{w}{part}")

    def asof_events(self, function: str, m: int) -> exp.Select:
        """One row per (keys, ts, created NULL-oldest): the greatest (last) or least (first)
        non-NULL value, the tie order's winner among the rows tied on (ts, created)."""
        created = exp.Coalesce(this=col(CREATED), expressions=[int_literal(CREATED_NULL)])
        x = col(input_name(m))
        pick = exp.Max(this=x.copy()) if function == "last" else exp.Min(this=x.copy())
        inner = exp.select(*self.keys(), col(TS), aliased(created, CREATED), x).from_(
            table(self.o.src), copy=False).where(not_null(x.copy()), copy=False)
        return (
            exp.select(*self.keys(), col(TS), col(CREATED), aliased(pick, "__fsql_v"))
            .from_(inner.subquery("__fsql_e", copy=False), copy=False)
            .group_by(*self.keys(), col(TS), col(CREATED), copy=False)
        )

    def asof_cte(self, function: str, m: int, window: int | None) -> exp.Select:
        """ASOF JOIN: last = the greatest (ts, created) visible at t; first = the least inside
        the window's lower bound (the upper bound is checked in :meth:`value`)."""
        g, e = "__fsql_g", "__fsql_e"
        t = col(T, g)
        keys = [exp.EQ(this=col(key_name(n), g), expression=col(key_name(n), e))
                for n in range(self.n_keys)]
        events = table(self.asof_name(function, m, window, "ev"), e)
        if function == "first" and window is None:
            # The key's earliest event: no inequality with the spine row, so no ASOF.
            order = [exp.Ordered(this=col(TS), nulls_first=True),
                     exp.Ordered(this=col(CREATED), nulls_first=True)]
            earliest = (
                exp.select(exp.Star())
                .from_(table(self.asof_name(function, m, window, "ev")), copy=False)
                .qualify(exp.EQ(
                    this=exp.Window(this=exp.RowNumber(), partition_by=self.keys() or None,
                                    order=exp.Order(expressions=order)),
                    expression=exp.Literal.number(1)), copy=False)
            )
            return (
                exp.select(col(RID, g), col(TS, e), col("__fsql_v", e))
                .from_(table(self.name("good"), g), copy=False)
                .join(joined(earliest.subquery(e, copy=False), and_all(keys) if keys else None),
                      copy=False)
            )
        if function == "last":
            # visible: (ts, c) <= (t, MAX) inclusive, < (t, MIN) exclusive.
            probe = _struct(ts=t, c=probe_created(self.visible))
            cond: exp.Expr = sees(self.visible, probe, _struct(ts=col(TS, e), c=col(CREATED, e)))
        else:
            assert window is not None
            # ts > t - w inclusive, ts >= t - w exclusive.
            lower = span_start(self.o.p.plan.visibility(self.lookup, window), t)
            cond = exp.LT(this=_struct(ts=lower, c=probe_created(self.visible)),
                          expression=_struct(ts=col(TS, e), c=col(CREATED, e)))
        join = exp.Join(this=events, method="ASOF", on=and_all([*keys, cond]))
        return (
            exp.select(col(RID, g), col(TS, e), col("__fsql_v", e))
            .from_(table(self.name("good"), g), copy=False)
            .join(join, copy=False)
        )

    # -- outputs ---------------------------------------------------------------------------
    def value(self, j: int) -> exp.Expr:
        """The aggregate's value per spine row (NULL: empty window; counts: NULL too)."""
        agg = self.agg(j)
        plan = self.o.plan_of[j]
        if plan in ("running", "islands"):
            return col(f"__fsql_a{j}", self.name("cnt"))
        if j in self.ranked:
            return col(f"__fsql_a{j}", self.name("rk"))
        if plan == "blocks":
            total = col(f"__fsql_a{j}", self.name("bk"))
            if agg.function != "avg":
                return total
            double = data_type("DOUBLE")
            return exp.Div(
                this=exp.Cast(this=total, to=double),
                expression=exp.Nullif(this=col(f"__fsql_n{j}", self.name("cnt")),
                                      expression=exp.Literal.number(0)),
            )
        m = self.o.input_of[j]
        window = agg.window_us if agg.function == "first" else None
        hit = self.asof_name(agg.function, m, window, "hit")
        ts, t = col(TS, hit), col(T, SPINE)
        if agg.function == "first":
            inside: exp.Expr = not_after(self.visible, ts, t)
        elif agg.window_us is None:
            return col("__fsql_v", hit)
        else:
            inside = inside_span(self.o.p.plan.visibility(self.lookup, agg.window_us), ts, t)
        return when(inside, col("__fsql_v", hit))
