"""The ``navigation`` plan of windowed first/last: no ASOF JOIN, no STRUCT ordering, no range
join (BigQuery, Snowflake, Postgres).

One time-ordered UNION ALL of the key's events and *probe rows*: per spine row one probe at
``t`` (for every ``last``) and one at ``t - w`` per distinct window of a ``first`` (at the
lowest instant for a lifetime ``first``). The order is the tie rule: (time, events before
probes at the same instant under the inclusive cut and after them under the exclusive one,
created NULL-oldest, value NULL-lowest with NaN greatest and strings by code point). Then per
input column ``x``, at each probe:

- ``last``: the latest non-NULL ``x`` up to the probe and its time,
  ``LAST_VALUE(x IGNORE NULLS)`` over ``ROWS UNBOUNDED PRECEDING``; ``first``: the earliest
  from the probe on, ``FIRST_VALUE(x IGNORE NULLS)`` over ``ROWS ... UNBOUNDED FOLLOWING``.
  One sort per input, partitioned by key (BigQuery, Snowflake).
- Without IGNORE NULLS (Postgres), or where the dialect sorts all keys at once
  (``running_partitioned = false``: the latest value could be another key's), the same from a
  running ``g = COUNT(x)``: the rows sharing one ``g`` hold exactly one non-NULL ``x``, the
  latest at or before each of them; the rows sharing one ``h = g - [x IS NOT NULL]`` hold
  exactly one, the earliest at or after each of them. ``FIRST_VALUE(x) OVER (PARTITION BY
  keys, g ORDER BY x IS NULL)`` reads it (partitioned by key, so groups never cross keys).

``last`` is then that value when its time is inside the window (``> t - w`` inclusive,
``>= t - w`` exclusive), ``first`` when its time is before the cut (``<= t`` / ``< t``); the
probes of one spine row are pivoted by FIRST_VALUE over the row's probes. O((n + s) log(n + s))
for n events and s spine rows of a key, whatever the window. The created cutoff never uses
this plan (visibility then depends on t twice: fsql/sql/aggregation.py's range join)."""

from __future__ import annotations

from sqlglot import exp

from fsql.dtypes import DType, parse_dtype
from fsql.plan.nodes import AggregateColumn
from fsql.sql.context import AggregationInputs
from fsql.sql.dialect import data_type
from fsql.sql.tree import (
    CREATED,
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
    value_order_keys,
    when,
)
from fsql.sql.visibility import inside_span, not_after, union_ranks

_O, _SIDE, _WI, _US = "__fsql_o", "__fsql_side", "__fsql_wi", "__fsql_us"
_LOWEST = INT64_MIN + 1  # a lifetime first's probe: before every event of the key


def _flag_not_null(value: exp.Expr) -> exp.Expr:
    """1 where ``value`` is not NULL, else 0."""
    return exp.Case(ifs=[exp.If(this=not_null(value), true=exp.Literal.number(1))],
                    default=exp.Literal.number(0))


class NavigationSQL:
    """The CTE, join and output values of the navigation-plan first/last aggregates of one
    aggregation lookup (``members``: indexes into its outputs)."""

    def __init__(self, owner: AggregationInputs, members: list[int]) -> None:
        self.o = owner
        self.lookup = owner.lookup
        self.members = members
        self.visible = owner.p.plan.visibility(owner.lookup)  # the cut; spans per aggregate
        self.partitioned = owner.p.dialect.running_partitioned
        # LAST_VALUE/FIRST_VALUE IGNORE NULLS read the value in the one sort, per key; without
        # IGNORE NULLS (Postgres) or in one global sort (the value could be another key's),
        # a running count's groups stand in for it.
        self.ignore_nulls = self.partitioned and "ignore_nulls" in owner.p.dialect.capabilities
        self.n_keys = len(self.lookup.keys)
        self.inputs = list(dict.fromkeys(owner.input_of[j] for j in members))
        # Probe offsets from t: 0 for the probe at t (every last), w for a first of window w,
        # None for a lifetime first.
        offsets: list[int | None] = [0] if any(
            self.agg(j).function == "last" for j in members) else []
        offsets += [self.agg(j).window_us for j in members if self.agg(j).function == "first"]
        self.offsets = list(dict.fromkeys(offsets))

    def agg(self, j: int) -> AggregateColumn:
        return self.lookup.outputs[j]

    @property
    def name(self) -> str:
        return self.o.cte_name("nav")

    def keys(self) -> list[exp.Expr]:
        return [col(key_name(n)) for n in range(self.n_keys)]

    def probe(self, j: int) -> int:
        agg = self.agg(j)
        return self.offsets.index(0 if agg.function == "last" else agg.window_us)

    def dtype(self, m: int) -> DType | None:
        """The dtype of input ``m`` (declared on an aggregate of it, else the column's)."""
        for j in self.members:
            if self.o.input_of[j] == m:
                agg = self.agg(j)
                if agg.dtype is not None:
                    return agg.dtype
                if agg.input_dtype is not None:
                    return parse_dtype(agg.input_dtype, where="source column")
        return None

    # -- the CTE ---------------------------------------------------------------------------
    def ctes(self) -> list[tuple[str, exp.Expr]]:
        return [(self.name, self.cte())]

    def union(self) -> exp.Subquery:
        """Events and probe rows: (keys, time, side, created, row id, probe, t, inputs)."""
        event_side, probe_side = union_ranks(self.visible)
        bigint = data_type("BIGINT")
        events = exp.select(
            *self.keys(),
            aliased(col(TS), _O),
            aliased(exp.Literal.number(event_side), _SIDE),
            col(CREATED),
            aliased(exp.Cast(this=exp.null(), to=bigint), RID),
            aliased(exp.Cast(this=exp.null(), to=data_type("INT")), _WI),
            aliased(exp.Cast(this=exp.null(), to=bigint.copy()), T),
            *[col(input_name(m)) for m in self.inputs],
        ).from_(table(self.o.src), copy=False)
        spine_keys = [k.spine_column for k in self.lookup.keys]
        several = len(self.offsets) > 1
        if several:
            at: exp.Expr = exp.Coalesce(
                this=exp.Sub(this=col(T, SPINE), expression=col(_US, "__fsql_w")),
                expressions=[int_literal(_LOWEST)])
            probe_index: exp.Expr = col(_WI, "__fsql_w")
        else:
            offset = self.offsets[0]
            at = (int_literal(_LOWEST) if offset is None else col(T, SPINE) if offset == 0
                  else exp.Sub(this=col(T, SPINE), expression=int_literal(offset)))
            probe_index = exp.Literal.number(0)
        probes = (
            exp.select(
                *[aliased(col(k, SPINE), key_name(n)) for n, k in enumerate(spine_keys)],
                aliased(at, _O),
                aliased(exp.Literal.number(probe_side), _SIDE),
                aliased(exp.null(), CREATED),
                col(RID, SPINE),
                aliased(probe_index, _WI),
                col(T, SPINE),
                *[aliased(exp.null(), input_name(m)) for m in self.inputs],
            )
            .from_(table(SPINE), copy=False)
            .where(and_all([not_null(col(T, SPINE))]
                           + [not_null(col(k, SPINE)) for k in spine_keys]), copy=False)
        )
        if several:
            values = exp.Values(
                expressions=[
                    exp.Tuple(expressions=[
                        exp.Literal.number(p),
                        exp.null() if w is None else int_literal(w)])
                    for p, w in enumerate(self.offsets)
                ],
                alias=exp.TableAlias(this=ident("__fsql_w"), columns=[ident(_WI), ident(_US)]),
            )
            probes = probes.join(joined(values, None), copy=False)
        return exp.union(events, probes, distinct=False, copy=False).subquery(
            "__fsql_u", copy=False)

    def sorted_window(self, func: exp.Expr, m: int, *, following: bool = False) -> exp.Expr:
        """``func`` over the rows up to the current one (``following``: from it on) in input
        ``m``'s tie order, per key (or after the keys in one global sort)."""
        x = col(input_name(m))
        order = [col(_O), col(_SIDE), col(CREATED),
                 *value_order_keys(x, self.dtype(m), self.o.p.dialect)]
        if not self.partitioned:
            order = [*self.keys(), *order]
        spec = exp.WindowSpec(kind="ROWS", start="CURRENT ROW", end="UNBOUNDED",
                              end_side="FOLLOWING") if following else exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
        return exp.Window(
            this=func,
            partition_by=self.keys() if self.partitioned and self.n_keys else None,
            order=exp.Order(expressions=[exp.Ordered(this=k, nulls_first=True) for k in order]),
            spec=spec,
        )

    def running_count(self, m: int) -> exp.Expr:
        """The number of input ``m``'s non-NULL values up to the row, in the tie order."""
        return self.sorted_window(exp.Count(this=col(input_name(m))), m)

    def navigated(self, m: int, direction: str) -> list[exp.Expr]:
        """With IGNORE NULLS, in one pass: the latest non-NULL value of input ``m`` up to the
        row (``last``) or the earliest from it on (``first``), and its time. Both calls frame
        the same rows, and rows tied in the whole order hold the same value and time."""
        x = col(input_name(m))
        navigate = exp.LastValue if direction == "last" else exp.FirstValue
        following = direction == "first"
        value = self.sorted_window(exp.IgnoreNulls(this=navigate(this=x.copy())), m,
                                   following=following)
        time = self.sorted_window(
            exp.IgnoreNulls(this=navigate(this=when(not_null(x.copy()), col(_O)))), m,
            following=following)
        tag = "l" if direction == "last" else "f"
        return [aliased(value, f"__fsql_{tag}v{m}"), aliased(time, f"__fsql_{tag}o{m}")]

    def group(self, m: int, direction: str) -> exp.Expr:
        """The group of rows sharing one non-NULL value of input ``m``: the latest at or
        before them (``last``: the running count) or the earliest at or after them
        (``first``: the running count before the row)."""
        g = col(f"__fsql_g{m}")
        if direction == "last":
            return g
        return exp.Sub(this=g, expression=_flag_not_null(col(input_name(m))))

    def picked(self, m: int, direction: str) -> list[exp.Expr]:
        """The group's one non-NULL value of input ``m`` and its time, on every row."""
        x = col(input_name(m))

        def over(func: exp.Expr, ordered: bool) -> exp.Expr:
            null_last = exp.Case(ifs=[exp.If(this=is_null(x.copy()),
                                             true=exp.Literal.number(1))],
                                 default=exp.Literal.number(0))
            order = exp.Order(expressions=[exp.Ordered(this=null_last, nulls_first=True)]
                              ) if ordered else None
            return exp.Window(this=func, partition_by=[*self.keys(), self.group(m, direction)],
                              order=order)

        # FIRST_VALUE keeps any type (MAX would not take BOOL everywhere); its ORDER BY puts
        # the group's one non-NULL value first.
        value = over(exp.FirstValue(this=x.copy()), ordered=True)
        time = over(exp.Max(this=when(not_null(x.copy()), col(_O))), ordered=False)
        tag = "l" if direction == "last" else "f"
        return [aliased(value, f"__fsql_{tag}v{m}"), aliased(time, f"__fsql_{tag}o{m}")]

    def result(self, j: int) -> exp.Expr:
        """Aggregate ``j`` at its probe row: the picked value when its time is in the window."""
        agg, m = self.agg(j), self.o.input_of[j]
        t = col(T)
        if agg.function == "last":
            value, time = col(f"__fsql_lv{m}"), col(f"__fsql_lo{m}")
            if agg.window_us is None:
                return value
            window = self.o.p.plan.visibility(self.lookup, agg.window_us)
            inside: exp.Expr = inside_span(window, time, t)
        else:
            value, time = col(f"__fsql_fv{m}"), col(f"__fsql_fo{m}")
            inside = not_after(self.visible, time, t)
        return when(inside, value)

    def directions(self) -> list[tuple[int, str]]:
        """(input, "last" / "first") of every navigated input and direction."""
        return [(m, d) for m in self.inputs for d in ("last", "first")
                if (m, d) in {(self.o.input_of[j], self.agg(j).function) for j in self.members}]

    def cte(self) -> exp.Select:
        directions = self.directions()
        if self.ignore_nulls:
            picks = [p for m, d in directions for p in self.navigated(m, d)]
            navigated = exp.select(col(RID), col(_WI), col(T), *picks).from_(
                self.union(), copy=False)
        else:
            counted = exp.select(
                *self.keys(), col(_O), col(RID), col(_WI), col(T),
                *[col(input_name(m)) for m in self.inputs],
                *[aliased(self.running_count(m), f"__fsql_g{m}") for m in self.inputs],
            ).from_(self.union(), copy=False)
            picks = [p for m, d in directions for p in self.picked(m, d)]
            navigated = exp.select(col(RID), col(_WI), col(T), *picks).from_(
                counted.subquery("__fsql_n", copy=False), copy=False)
        rows = navigated.subquery("__fsql_p", copy=False)
        if len(self.offsets) == 1:
            return (
                exp.select(col(RID), *[aliased(self.result(j), f"__fsql_a{j}")
                                       for j in self.members])
                .from_(rows, copy=False)
                .where(not_null(col(RID)), copy=False)
            )
        # One row per spine row: each aggregate's value from its probe's row, read by
        # FIRST_VALUE over the row's probes with that probe first (any type: MAX would need an
        # ordered type, and Postgres has no MAX(boolean)); then the row of probe 0.
        columns: list[exp.Expr] = [col(RID), col(_WI)]
        for j in self.members:
            others_last = exp.Case(
                ifs=[exp.If(this=exp.EQ(this=col(_WI),
                                        expression=exp.Literal.number(self.probe(j))),
                            true=exp.Literal.number(0))],
                default=exp.Literal.number(1))
            pick = exp.Window(this=exp.FirstValue(this=self.result(j)),
                              partition_by=[col(RID)],
                              order=exp.Order(expressions=[exp.Ordered(this=others_last,
                                                                       nulls_first=True)]))
            columns.append(aliased(pick, f"__fsql_a{j}"))
        pivoted = (
            exp.select(*columns)
            .from_(rows, copy=False)
            .where(not_null(col(RID)), copy=False)
        )
        return (
            exp.select(col(RID), *[col(f"__fsql_a{j}") for j in self.members])
            .from_(pivoted.subquery("__fsql_q", copy=False), copy=False)
            .where(exp.EQ(this=col(_WI), expression=exp.Literal.number(0)), copy=False)
        )

    # -- outputs ---------------------------------------------------------------------------
    def joins(self) -> list[str]:
        return [self.name]

    def value(self, j: int) -> exp.Expr:
        return col(f"__fsql_a{j}", self.name)

