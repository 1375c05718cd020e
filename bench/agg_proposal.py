"""A prototype of the proposed DuckDB lowering of windowed aggregations, built from fsql's plan.

fsql today (fsql/aggregation_sql.py) evaluates every aggregate as a RANGE-framed window over
one union of events and spine rows per key: DuckDB evaluates each frame at *every* row of the
union (events included, ~10x the spine rows), with a segment tree whose per-row cost grows with
the frame, and a partition is evaluated mostly by one thread. On Zipf-skewed keys the hottest
key's partition (~2M rows) dominates. The proposal keeps frames only where nothing cheaper is exact,
and each part below can be switched on alone (``Options``) to measure its gain:

- ``counts="running"``: count(*) and count(col) over (t - w, t] = P(t) - P(t - w), where P(x)
  is the number of (non-NULL) events with ts <= x. One global sort of events and *probe rows*
  (one per spine row and distinct window, at t - w, plus one at t), ordered by (key, time,
  events before probes), and one running COUNT per counted column over it: no PARTITION BY,
  so no per-key segment tree and no hot partition. Integers: exact.
- ``distinct="islands"``: count_distinct(col) over (t - w, t]: value v is in the window iff
  t lies in [ts_e, ts_e + w) for one of its events e. Merge those intervals per (key, v) into
  islands with lag/lead over PARTITION BY key, v (small partitions): an island's first event
  has no previous event of v within w, its last event no next one within w, and the island
  ends at that last ts + w. The count at t = (island-first events with ts <= t) - (island-last
  events with ts <= t - w): two more running counts in the same pass, read at the probes at t
  and t - w. Exact, no merge-sort tree, no extra rows.
- ``avg="ratio"``: avg = sum / count(col), the sum from its frame (or blocks) and the count
  from the running pass (DuckDB's AVG(DOUBLE) is that division too), instead of another
  framed aggregate.
- ``last="asof"``: first/last(col) over w = one ASOF JOIN on the tie order STRUCT(ts, created,
  value) of the non-NULL events (what fsql's snapshot lookups already do), then a check that
  the event is inside the window; instead of MIN/MAX of a STRUCT over frames.
- ``sums="blocks"``, ``minmax="blocks"``: sum/min/max over (t - w, t] as the aggregate of at
  most 2 log2(n) *dyadic blocks* of the events in the global (key, ts) order. The running
  count pass already gives each event its position and each probe the positions P(t - w) and
  P(t), so the window is positions [P(t - w), P(t)); level-l blocks aggregate positions
  [b 2^l, (b + 1) 2^l) (each level one GROUP BY of the one below: 2n rows in all); the window
  is covered by the blocks inside it whose parent is not (<= 2 per level), found with bit
  arithmetic per spine row and looked up with one hash join. Evaluated at the spine rows only,
  with hash joins and aggregates that run on every core: no frame at every event, no hot
  partition. Exactly the window's rows (float sums in another order: within 1e-15 here).
- ``sums="fixed"``: sum over (t - w, t] = S(t) - S(t - w) in the same global running pass,
  each value rounded to a 128-bit integer multiple of 2^-q, q as large as the data allows
  (q = 124 - ceil(log2 max|x|) - ceil(log2 rows), a scalar subquery), so the running sums are
  exact integers: exact for integer columns, and for floats an absolute error per value of at
  most 2^-(q+1) (~1e-27 here), not relative to the window's sum. Not exact for a window whose
  values are all ~1e-18 of the column's largest, so: for comparison, not proposed.
- ``sums="prefix"`` (lossy, for comparison only): float sum as a difference of per-key running
  float sums; its rounding error is relative to the key's running total, not the window's sum.

Whatever is not switched to another plan (and stddev, variance) keeps fsql's framed plan. Only
what the benchmark needs is implemented: one aggregation view with one key, inclusive cut, no
``where=``, no created cutoff. The spine is fsql's loaded spine table (``__fsql_spine_input``
with its row id ``__fsql_rid``) and the output has fsql's columns and types.

    python bench/agg_proposal.py SPINE.parquet [FEATURES]   # prints the SQL
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

_INT64_MIN = -(2**63)
_CREATED_NULL = _INT64_MIN + 1  # a NULL created time is the oldest (fsql's tie order)
_BLOCK_LEVELS = 40  # dyadic levels: windows of up to 2^40 events

@dataclass(frozen=True)
class Options:
    """Which parts of the proposal are on (see the module docstring)."""

    counts: str = "frames"  # or "running"
    distinct: str = "frames"  # or "islands"
    avg: str = "frames"  # or "ratio" (needs counts="running")
    last: str = "frames"  # or "asof"
    sums: str = "frames"  # or "blocks", "fixed" (128-bit fixed point), "prefix" (lossy)
    minmax: str = "frames"  # or "blocks"
    settings: tuple[str, ...] = ()  # DuckDB SET statements run before the query


PROPOSALS: dict[str, Options] = {
    "prop_frames": Options(),
    "prop_last_asof": Options(last="asof"),
    "prop_counts_running": Options(counts="running", avg="ratio"),
    "prop_distinct_islands": Options(distinct="islands"),
    "prop_exact": Options(counts="running", distinct="islands", avg="ratio", last="asof"),
    "prop_fixed_sums": Options(counts="running", distinct="islands", avg="ratio",
                               last="asof", sums="fixed"),
    "prop_blocks": Options(counts="running", distinct="islands", avg="ratio", last="asof",
                           sums="blocks", minmax="blocks"),
    "prop_blocks_4gb": Options(counts="running", distinct="islands", avg="ratio", last="asof",
                               sums="blocks", minmax="blocks",
                               settings=("SET memory_limit = '4GB'",)),
    "prop_prefix_sums": Options(counts="running", distinct="islands", avg="ratio",
                                last="asof", sums="prefix"),
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _type(agg: Any) -> str:
    if agg.function in ("count", "count_distinct"):
        return "BIGINT"
    if agg.function in ("avg", "stddev", "variance"):
        return "DOUBLE"
    dtype = agg.dtype.name if agg.dtype is not None else "float64"
    return {"float64": "DOUBLE", "int64": "BIGINT", "string": "VARCHAR", "bool": "BOOLEAN",
            "timestamp": "TIMESTAMP", "date": "DATE"}.get(dtype, "DOUBLE")


def _literal(value: Any, sql_type: str) -> str:
    if value is None:
        return f"CAST(NULL AS {sql_type})"
    if isinstance(value, str):
        return f"CAST({_lit(value)} AS {sql_type})"
    return f"CAST({value!r} AS {sql_type})"


class ProposalSQL:
    """The proposed query for one aggregation lookup over fsql's loaded spine."""

    def __init__(self, lookup: Any, spine: Any, options: Options) -> None:
        if len(lookup.keys) != 1:
            raise NotImplementedError("prototype: one join key")
        if any(a.where is not None for a in lookup.outputs):
            raise NotImplementedError("prototype: no where=")
        if lookup.source.kind != "path":
            raise NotImplementedError("prototype: file sources")
        if options.avg == "ratio" and options.counts != "running":
            raise ValueError("avg='ratio' needs counts='running'")
        self.lookup, self.spine, self.o = lookup, spine, options
        self.key = lookup.keys[0]
        self.aggs = list(lookup.outputs)

    # -- which aggregate goes where ----------------------------------------------------------
    def mode(self, agg: Any) -> str:
        """frames, running, islands, ratio, asof or prefix."""
        f = agg.function
        if f == "count" and self.o.counts == "running":
            return "running"
        if f == "count_distinct" and self.o.distinct == "islands":
            return "islands"
        if f == "avg" and self.o.avg == "ratio":
            return "ratio"
        if f in ("first", "last") and self.o.last == "asof":
            return "asof"
        if (f == "sum" and self.o.sums == "blocks") or (f in ("min", "max") and (
                self.o.minmax == "blocks")):
            return "blocks"
        if f == "sum" and self.o.sums != "frames":
            return "prefix"
        return "frames"

    def blocked(self) -> list[tuple[str, str, int | None]]:
        """(function, column, window) of every aggregate over dyadic blocks (avg's sums too)."""
        out: dict[tuple[str, str, int | None], None] = {}
        for agg in self.aggs:
            if self.mode(agg) == "blocks":
                out[(agg.function, agg.column, agg.window_us)] = None
            elif self.mode(agg) == "ratio" and self.o.sums == "blocks":
                out[("sum", agg.column, agg.window_us)] = None
        return list(out)

    def framed(self) -> list[tuple[str, str, str | None, int | None]]:
        """(alias, function, column, window) of every framed aggregate, avg's sums included."""
        out: dict[tuple[str, str | None, int | None], str] = {}
        for j, agg in enumerate(self.aggs):
            mode = self.mode(agg)
            if mode == "frames":
                out.setdefault((agg.function, agg.column, agg.window_us), f"f{j}")
            elif mode == "ratio" and self.o.sums == "frames":
                out.setdefault(("sum", agg.column, agg.window_us), f"f{j}s")
        return [(alias, f, c, w) for (f, c, w), alias in out.items()]

    def frame_alias(self, function: str, column: str | None, window: int | None) -> str:
        return next(a for a, f, c, w in self.framed()
                    if (f, c, w) == (function, column, window))

    def counted(self) -> list[tuple[str | None, int | None]]:
        """(column or None for rows, window) of every running count (avg's counts included)."""
        return list(dict.fromkeys((a.column, a.window_us) for a in self.aggs
                                  if self.mode(a) in ("running", "ratio", "prefix")))

    def prefixed(self) -> list[tuple[str, int | None]]:
        """(column, window) of every sum as a running-sum difference (sums='fixed'/'prefix')."""
        out: dict[tuple[str, int | None], None] = {}
        for agg in self.aggs:
            if agg.function in ("sum", "avg") and self.o.sums in ("fixed", "prefix") and (
                    agg.function == "sum" or self.mode(agg) == "ratio"):
                out[(agg.column, agg.window_us)] = None
        return list(out)

    def islands(self) -> list[tuple[str, int | None]]:
        return list(dict.fromkeys((a.column, a.window_us) for a in self.aggs
                                  if self.mode(a) == "islands"))

    # -- SQL -----------------------------------------------------------------------------
    def columns_used(self) -> list[str]:
        return list(dict.fromkeys(a.column for a in self.aggs if a.column is not None))

    def sql(self) -> str:
        lk, src = self.lookup, self.lookup.source
        ts_col = _q(self.spine.timestamp_column)
        skey, ekey = _q(self.key.spine_column), _q(self.key.source_column)
        cols = self.columns_used()
        colmap = {c: f"x{n}" for n, c in enumerate(cols)}
        self.colmap = colmap
        created = (f"epoch_us({_q(src.created_column)})" if src.created_column
                   else "CAST(NULL AS BIGINT)")
        longest = lk.longest_window_us
        lower = (f"AND epoch_us({_q(src.timestamp_column)}) >= (SELECT min(__t) FROM sp) - "
                 f"{longest}" if longest is not None
                 else f"AND {_q(src.timestamp_column)} IS NOT NULL")
        ctes = [
            f"sp AS (SELECT *, epoch_us({ts_col}) AS __t FROM __fsql_spine_input)",
            f"good AS (SELECT __fsql_rid AS rid, {skey} AS k, __t AS t FROM sp "
            f"WHERE __t IS NOT NULL AND {skey} IS NOT NULL)",
            f"ev AS (SELECT {ekey} AS k, epoch_us({_q(src.timestamp_column)}) AS ts, "
            f"{created} AS c"
            + "".join(f", {_q(c)} AS {x}" for c, x in colmap.items())
            + f" FROM read_parquet({_lit(src.ref)}) WHERE {ekey} IS NOT NULL "
            f"AND epoch_us({_q(src.timestamp_column)}) <= (SELECT max(__t) FROM sp) {lower})",
        ]
        joins: list[str] = []
        if self.framed():
            ctes.append(self.frames_cte())
            joins.append("fr")
        if self.counted() or self.islands() or self.blocked():
            ctes += self.running_ctes()
            joins.append("cn")
        if self.blocked():
            joins.append("bk")
        for j, agg in enumerate(self.aggs):
            if self.mode(agg) == "asof":
                ctes.append(self.asof_cte(j, agg))
                joins.append(f"la{j}")
        outs = [self.output(j, agg) for j, agg in enumerate(self.aggs)]
        join_sql = "".join(f"\nLEFT JOIN {name} ON {name}.rid = sp.__fsql_rid" for name in joins)
        return ("WITH " + ",\n".join(ctes)
                + f"\nSELECT sp.* EXCLUDE (__fsql_rid, __t), {', '.join(outs)}\nFROM sp"
                + join_sql + "\nORDER BY sp.__fsql_rid")

    def frames_cte(self) -> str:
        x = self.colmap
        aggs = []
        outer = []
        for alias, function, column, window in self.framed():
            value = "one" if column is None else x[column]
            start = "UNBOUNDED" if window is None else str(window - 1)
            spec = (f"PARTITION BY k ORDER BY o RANGE BETWEEN {start} PRECEDING "
                    "AND CURRENT ROW")
            if function in ("first", "last"):
                arg = (f"CASE WHEN {value} IS NOT NULL THEN {{'o': o, 'c': coalesce(c, "
                       f"{_CREATED_NULL}), 'v': {value}}} END")
                call = f"{'min' if function == 'first' else 'max'}({arg})"
                outer.append(f"struct_extract({alias}, 'v') AS {alias}")
            else:
                name = {"count_distinct": "count", "stddev": "stddev_samp"}.get(
                    function, function)
                distinct = "DISTINCT " if function == "count_distinct" else ""
                call = f"{name}({distinct}{value})"
                outer.append(alias)
            aggs.append(f"{call} OVER ({spec}) AS {alias}")
        ev_cols = "".join(f", {v}" for v in x.values())
        sp_cols = "".join(f", NULL AS {v}" for v in x.values())
        return (f"fr AS (SELECT rid, {', '.join(outer)} FROM (SELECT rid, {', '.join(aggs)} "
                f"FROM (SELECT k, ts AS o, c, NULL::BIGINT AS rid, 1 AS one{ev_cols} FROM ev "
                f"UNION ALL SELECT k, t, NULL, rid, NULL{sp_cols} FROM good)) "
                "WHERE rid IS NOT NULL)")

    def running_ctes(self) -> list[str]:
        """Probe rows, event and island points, one global running COUNT per counted column,
        then one row per spine row (differences of the counts at its probes)."""
        x = self.colmap
        counted, islands, prefixed = self.counted(), self.islands(), self.prefixed()
        blocked = self.blocked()
        windows = list(dict.fromkeys([0] + [w for _, w in counted] + [w for _, w in prefixed]
                                     + [w for _, _, w in blocked] + [w for _, w in islands]))
        probe_of = {w: i for i, w in enumerate(windows)}
        probes = ", ".join(f"({i}, {'NULL' if w is None else w})" for i, w in enumerate(windows))
        # One running count per counted column (not per window): the window only picks the
        # probe subtracted. Islands: a running count of island-first events (read at t) and
        # one of island-last events (read at t - w: an island ends at its last ts + w).
        # With blocks, the running count of all events (None) is also each event's position.
        count_cols = list(dict.fromkeys([None] * bool(blocked) + [c for c, _ in counted]))
        sum_cols = list(dict.fromkeys(c for c, _ in prefixed))
        block_cols = list(dict.fromkeys(c for _, c, _ in blocked))
        fixed = self.o.sums == "fixed"
        names = ([f"n{n}" for n in range(len(count_cols))]
                 + [f"{kind}{n}" for n in range(len(islands)) for kind in ("is", "ie")]
                 + [f"s{n}" for n in range(len(sum_cols))]
                 + [f"v{n}" for n in range(len(block_cols))])

        def row(values: dict[str, str], alias: bool = False) -> str:
            return ", ".join(f"{values.get(n, 'NULL')}{f' AS {n}' if alias else ''}"
                             for n in names)

        first = {f"n{n}": ("1" if c is None else x[c]) for n, c in enumerate(count_cols)}
        first.update({f"s{n}": (f"CAST(round({x[c]} * pow(2, sc.q{n})) AS HUGEINT)" if fixed
                                else x[c]) for n, c in enumerate(sum_cols)})
        first.update({f"v{n}": x[c] for n, c in enumerate(block_cols)})
        island_cols = list(dict.fromkeys(c for c, _ in islands))
        for n, (column, window) in enumerate(islands):
            m, value = island_cols.index(column), x[column]
            if window is None:
                first[f"is{n}"] = f"CASE WHEN {value} IS NOT NULL AND prev{m} IS NULL THEN 1 END"
                continue
            first[f"is{n}"] = (f"CASE WHEN {value} IS NOT NULL AND (prev{m} IS NULL OR "
                               f"ts - prev{m} >= {window}) THEN 1 END")
            first[f"ie{n}"] = (f"CASE WHEN {value} IS NOT NULL AND (next{m} IS NULL OR "
                               f"next{m} - ts >= {window}) THEN 1 END")
        # Typed NULLs in the first branch fix the union's column types.
        first.update({n: "NULL::INTEGER" for n in names if n not in first})
        parts = [f"SELECT k, ts AS o, 0 AS kind, 0 AS src, NULL::BIGINT AS rid, "
                 f"NULL::INTEGER AS i, {row(first, alias=True)} "
                 f"FROM {'evx' if islands else 'ev'}{', sc' if fixed and sum_cols else ''}"]
        ctes = []
        if islands:
            # Each event's previous and next event of the same (key, value): small partitions.
            lags = ", ".join(
                f"lag(ts) OVER m{m} AS prev{m}, lead(ts) OVER m{m} AS next{m}"
                for m in range(len(island_cols)))
            specs = ", ".join(f"m{m} AS (PARTITION BY k, {x[c]} ORDER BY ts)"
                              for m, c in enumerate(island_cols))
            ctes.append(f"evx AS (SELECT *, {lags} FROM ev WINDOW {specs})")
        if fixed and sum_cols:
            # q: the most fractional bits for which |x| * 2^q * rows stays below 2^124.
            scales = ", ".join(
                f"CAST(124 - ceil(log2(greatest(max(abs({x[c]})), 1e-300))) - "
                f"ceil(log2(count(*) + 1)) AS INTEGER) AS q{n}" for n, c in enumerate(sum_cols))
            ctes.append(f"sc AS (SELECT {scales} FROM ev)")
        # A lifetime window's probe sits before every point of the key.
        parts.append(f"SELECT k, coalesce(t - w.us, {_INT64_MIN + 1}), 1, 2, rid, w.i, {row({})} "
                     f"FROM good, (VALUES {probes}) AS w(i, us)")
        running = [f"count({n}) OVER g AS {n}" for n in names if n[0] in "ni"]
        running += [n for n in names if n.startswith("v")]
        running += [f"sum({n}) OVER {'g' if fixed else 'h'} AS {n}"
                    for n in names if n.startswith("s")]
        windows_sql = "g AS (ORDER BY k, o, kind ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
        if prefixed and not fixed:
            windows_sql += (", h AS (PARTITION BY k ORDER BY o, kind ROWS BETWEEN UNBOUNDED "
                            "PRECEDING AND CURRENT ROW)")
        ctes.append(f"runall AS MATERIALIZED (SELECT rid, i, src, {', '.join(running)} FROM ("
                    + " UNION ALL ".join(parts) + f") WINDOW {windows_sql})")
        ctes.append("run AS (SELECT * FROM runall WHERE rid IS NOT NULL)")
        pivots = []
        for n, (column, window) in enumerate(counted):
            c = f"n{count_cols.index(column)}"
            pivots.append(f"max({c}) FILTER (WHERE i = 0) - max({c}) FILTER (WHERE i = "
                          f"{probe_of[window]}) AS c{n}")
        for n, (_, window) in enumerate(islands):
            ends = f"is{n}" if window is None else f"ie{n}"
            pivots.append(f"max(is{n}) FILTER (WHERE i = 0) - max({ends}) FILTER (WHERE i = "
                          f"{probe_of[window]}) AS u{n}")
        for n, (column, window) in enumerate(prefixed):
            m = sum_cols.index(column)
            diff = (f"coalesce(max(s{m}) FILTER (WHERE i = 0), 0) - coalesce(max(s{m}) "
                    f"FILTER (WHERE i = {probe_of[window]}), 0)")
            if fixed:
                diff = f"CAST({diff} AS DOUBLE) / (SELECT pow(2, q{m}) FROM sc)"
            pivots.append(f"{diff} AS p{n}")
        if blocked:
            n0 = f"n{count_cols.index(None)}"
            pivots.append(f"max({n0}) FILTER (WHERE i = 0) AS hi")
            pivots += [f"max({n0}) FILTER (WHERE i = {probe_of[w]}) AS lo{probe_of[w]}"
                       for w in dict.fromkeys(w for _, _, w in blocked)]
        ctes.append(f"cn AS (SELECT rid, {', '.join(pivots)} FROM run GROUP BY rid)")
        if blocked:
            ctes += self.block_ctes(blocked, block_cols, probe_of, n0)
        return ctes

    def block_ctes(self, blocked: list[tuple[str, str, int | None]], block_cols: list[str],
                   probe_of: dict[int | None, int], n0: str) -> list[str]:
        """sum/min/max over (t - w, t] = the aggregate of <= 2 log2(n) dyadic blocks of the
        events in global (key, ts) order: exactly the window's events, looked up by hash join
        at the spine rows only (no frame evaluated at every event)."""
        stats = list(dict.fromkeys((f, c) for f, c, _ in blocked))
        cols = {fc: f"{fc[0]}{block_cols.index(fc[1])}" for fc in stats}
        level0 = ", ".join(f"v{block_cols.index(c)} AS {cols[(f, c)]}" for f, c in stats)
        ctes = [f"b0 AS MATERIALIZED (SELECT {n0} - 1 AS b, {level0} FROM runall "
                "WHERE src = 0)"]
        up = ", ".join(f"{f}({cols[(f, c)]}) AS {cols[(f, c)]}" for f, c in stats)
        for level in range(1, _BLOCK_LEVELS):
            ctes.append(f"b{level} AS MATERIALIZED (SELECT b >> 1 AS b, {up} FROM b{level - 1} "
                        "GROUP BY b >> 1)")
        ctes.append("blocks AS (" + " UNION ALL ".join(
            f"SELECT {level} AS l, * FROM b{level}" for level in range(_BLOCK_LEVELS)) + ")")
        windows = list(dict.fromkeys(w for _, _, w in blocked))
        ctes.append("q AS (" + " UNION ALL ".join(
            f"SELECT rid, {probe_of[w]} AS wi, lo{probe_of[w]} AS lo, hi FROM cn "
            f"WHERE hi > lo{probe_of[w]}" for w in windows) + ")")
        # Level l: blocks [a, bb) lie inside [lo, hi); keep those whose parent does not.
        ctes.append(
            "lv AS (SELECT rid, wi, l, (lo + (1 << l) - 1) >> l AS a, hi >> l AS bb, "
            "(lo + (2 << l) - 1) >> (l + 1) AS a2, hi >> (l + 1) AS b2 FROM ("
            "SELECT rid, wi, lo, hi, unnest(range(0, CAST(floor(log2(hi - lo)) AS INTEGER) + 1))"
            " AS l FROM q))")
        ctes.append(
            "cand AS (SELECT rid, wi, l, a AS b FROM lv WHERE a < bb AND a < 2 * a2 "
            "UNION ALL SELECT rid, wi, l, bb - 1 FROM lv WHERE bb - 1 >= a AND bb - 1 >= 2 * b2 "
            "AND NOT (bb - 1 = a AND a < 2 * a2))")
        aggs = []
        for f, c, w in blocked:
            aggs.append(f"{f}(blocks.{cols[(f, c)]}) FILTER (WHERE cand.wi = {probe_of[w]}) "
                        f"AS {self.block_alias(f, c, w)}")
        ctes.append(f"bk AS (SELECT cand.rid, {', '.join(aggs)} FROM cand JOIN blocks "
                    "ON blocks.l = cand.l AND blocks.b = cand.b GROUP BY cand.rid)")
        self.probe_of = probe_of
        return ctes

    def block_alias(self, function: str, column: str, window: int | None) -> str:
        return f"bk_{function}_{self.colmap[column]}_{'life' if window is None else window}"

    def asof_cte(self, j: int, agg: Any) -> str:
        value = self.colmap[agg.column]
        order = f"{{'ts': ts, 'c': coalesce(c, {_CREATED_NULL}), 'v': {value}}}"
        sql_type = _type(agg)
        events = (f"(SELECT k, ts, {value} AS v, {order} AS ord FROM ev "
                  f"WHERE {value} IS NOT NULL)")
        if agg.function == "last":
            probe = (f"{{'ts': g.t + 1, 'c': CAST({_INT64_MIN} AS BIGINT), "
                     f"'v': CAST(NULL AS {sql_type})}}")
            cond = f"{probe} > e.ord"
        else:
            start = "g.t - " + str(agg.window_us) if agg.window_us is not None else str(
                _INT64_MIN)
            probe = (f"{{'ts': {start}, 'c': CAST({2**63 - 1} AS BIGINT), "
                     f"'v': CAST(NULL AS {sql_type})}}")
            cond = f"{probe} < e.ord"
        return (f"la{j} AS (SELECT g.rid, g.t, e.ts, e.v FROM good AS g ASOF JOIN {events} AS e "
                f"ON g.k = e.k AND {cond})")

    def output(self, j: int, agg: Any) -> str:
        mode = self.mode(agg)
        sql_type = _type(agg)
        if mode == "frames":
            value = f"fr.{self.frame_alias(agg.function, agg.column, agg.window_us)}"
        elif mode == "blocks":
            value = f"bk.{self.block_alias(agg.function, agg.column, agg.window_us)}"
        elif mode == "running":
            value = f"cn.c{self.counted().index((agg.column, agg.window_us))}"
        elif mode == "islands":
            value = f"cn.u{self.islands().index((agg.column, agg.window_us))}"
        elif mode == "prefix":
            n = self.counted().index((agg.column, agg.window_us))
            p = self.prefixed().index((agg.column, agg.window_us))
            value = f"CASE WHEN cn.c{n} > 0 THEN cn.p{p} END"
        elif mode == "ratio":
            n = self.counted().index((agg.column, agg.window_us))
            if self.o.sums == "blocks":
                total = f"bk.{self.block_alias('sum', agg.column, agg.window_us)}"
            elif self.o.sums != "frames":
                total = f"cn.p{self.prefixed().index((agg.column, agg.window_us))}"
            else:
                total = f"fr.{self.frame_alias('sum', agg.column, agg.window_us)}"
            value = f"{total} / nullif(cn.c{n}, 0)"
        else:  # asof
            inside = (f"la{j}.ts <= la{j}.t" if agg.function == "first" else
                      "TRUE" if agg.window_us is None else
                      f"la{j}.ts > la{j}.t - {agg.window_us}")
            value = f"CASE WHEN {inside} THEN la{j}.v END"
        value = f"CAST({value} AS {sql_type})"
        default = _literal(agg.default, sql_type)
        if agg.function in ("count", "count_distinct"):
            value = f"coalesce({value}, 0)"
            default = f"CAST(NULL AS {sql_type})" if agg.default is None else default
        elif agg.default is not None:
            value = f"coalesce({value}, {default})"
        valid = f"sp.__t IS NOT NULL AND sp.{_q(self.key.spine_column)} IS NOT NULL"
        return f"CASE WHEN {valid} THEN {value} ELSE {default} END AS {_q(agg.output_name)}"


def proposal_sql(repo: Any, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                 spine: Any, options: Options) -> str:
    """Load ``spine`` into ``con`` as fsql's runner does and return the proposed query."""
    from fsql.plan import AggregationLookup
    from fsql.planner import build_plan
    from fsql.runner import SPINE_INPUT, load_spine

    ref = load_spine(con, spine, timestamp_column="event_timestamp")
    types = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {SPINE_INPUT}").fetchall()
             if r[0] != ref.row_id_column}
    plan = build_plan(repo, features, ref, spine_types=types)
    (lookup,) = plan.lookups
    assert isinstance(lookup, AggregationLookup)
    return ProposalSQL(lookup, ref, options).sql()


def main(argv: Sequence[str]) -> int:
    """Print the proposed query (all exact parts on) for a spine file."""
    from pathlib import Path

    from fsql.repo import Repo
    from fsql.runner import connect

    repo = Repo.load(Path(__file__).resolve().parent / "agg_features")
    features = argv[1] if len(argv) > 1 else "agg_bench"
    print(proposal_sql(repo, features, connect(), argv[0], PROPOSALS["prop_exact"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
