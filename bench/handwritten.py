"""Hand-written DuckDB queries with exactly fsql's point-in-time semantics (the baselines).

Every query reads the spine from the temp table ``spine`` (loaded in file order, so ``rowid`` is
the spine order, as fsql's runner does) and the sources from Parquet, and returns the spine's
columns followed by the features of view A then view B, one row per spine row in spine order.
The rules (docs: /work/shared/SEMANTICS.md):

- visible: ``event_ts <= t`` (inclusive cut) and ``event_ts > t - ttl`` (half-open window);
- winner: greatest ``(event_ts, created_ts)`` with NULL created oldest, then a full tie is
  broken by the view's features in declaration order, greatest wins, NULL lowest;
- a NULL key or NULL spine time matches nothing; a NULL source time is never visible.

Intervals are written in seconds (``INTERVAL 'n seconds'`` has no day or month part), so the
session time zone cannot change the arithmetic on TIMESTAMPTZ; the runner sets it to UTC anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# created_ts NULL is the oldest; a real epoch value is never this small.
_CREATED_NULL = "-9223372036854775807"
SPINE_COLUMNS = ("user_id", "merchant_id", "event_timestamp", "label")
SPINE = "(SELECT *, rowid AS rid FROM spine)"


@dataclass(frozen=True)
class ViewSpec:
    """One feature view as the hand-written SQL sees it."""

    alias: str
    key: str
    path: str
    features: tuple[str, ...]
    ttl_seconds: int

    @property
    def source(self) -> str:
        """The FROM item reading the view's Parquet file."""
        return "read_parquet('" + self.path.replace("'", "''") + "')"

    @property
    def ttl(self) -> str:
        """The TTL as a time-zone independent interval literal."""
        return f"INTERVAL '{self.ttl_seconds} seconds'"

    def tie_order(self, table: str = "") -> str:
        """ORDER BY items putting the winner of a (key, event_ts) tie first."""
        prefix = f"{table}." if table else ""
        items = [f"{prefix}created_ts DESC NULLS LAST"]
        items += [f"{prefix}{f} DESC NULLS LAST" for f in self.features]
        return ", ".join(items)

    def tie_key(self, table: str = "") -> str:
        """A ROW value ordered like the tie order (ascending: the winner is the greatest).

        Inside a DuckDB ROW comparison NULL sorts above every value, so each feature is
        preceded by an ``IS NOT NULL`` flag that puts NULL lowest.
        """
        prefix = f"{table}." if table else ""
        items = [f"coalesce(epoch_us({prefix}created_ts), {_CREATED_NULL})"]
        for f in self.features:
            items += [f"{prefix}{f} IS NOT NULL", f"{prefix}{f}"]
        return "(" + ", ".join(items) + ")"

    def payload(self, table: str = "") -> str:
        """The features packed in one STRUCT (so one arg_max/window carries them all)."""
        prefix = f"{table}." if table else ""
        return "struct_pack(" + ", ".join(f"{f} := {prefix}{f}" for f in self.features) + ")"

    def visible_rows(self) -> str:
        """Source rows that can ever match: key and event time present."""
        return f"{self.source} WHERE {self.key} IS NOT NULL AND event_ts IS NOT NULL"


def _spine_select() -> str:
    return ", ".join(f"s.{c}" for c in SPINE_COLUMNS)


def _case_in_ttl(view: ViewSpec, column: str) -> str:
    """``column`` of the matched row when it lies inside the TTL, else NULL."""
    v = view.alias
    return (f"CASE WHEN {v}.event_ts > s.event_timestamp - {view.ttl} "
            f"THEN {v}.{column} END AS {column.split('.')[-1]}")


def asof_struct(views: tuple[ViewSpec, ...]) -> str:
    """(i) fsql's own idea, written directly: ASOF whose inequality compares ROW values
    (event_ts, created, flag, feature, ...), so the whole tie order is the match key."""
    ctes, joins, cols = [], [], []
    for v in views:
        ctes.append(f"{v.alias} AS (SELECT {v.key}, event_ts, {', '.join(v.features)}, "
                    f"(event_ts, {v.tie_key()[1:-1]}) AS o FROM {v.visible_rows()})")
        nulls = ", ".join(["NULL"] * (2 * len(v.features)))
        probe = (f"CASE WHEN s.event_timestamp IS NOT NULL THEN (s.event_timestamp + "
                 f"INTERVAL '1 microsecond', -9223372036854775808, {nulls}) END")
        joins.append(f"ASOF LEFT JOIN {v.alias} ON s.{v.key} = {v.alias}.{v.key} "
                     f"AND {probe} > {v.alias}.o")
        cols += [_case_in_ttl(v, f) for f in v.features]
    return (f"WITH {', '.join(ctes)} SELECT {_spine_select()}, {', '.join(cols)} "
            f"FROM {SPINE} s {' '.join(joins)} ORDER BY s.rid")


def _dedup_then_asof(views: tuple[ViewSpec, ...], dedup: Callable[[ViewSpec], str]) -> str:
    ctes, joins, cols = [], [], []
    for v in views:
        ctes.append(f"{v.alias} AS ({dedup(v)})")
        joins.append(f"ASOF LEFT JOIN {v.alias} ON s.{v.key} = {v.alias}.{v.key} "
                     f"AND s.event_timestamp >= {v.alias}.event_ts")
        cols += [_case_in_ttl(v, f"w.{f}") for f in v.features]
    return (f"WITH {', '.join(ctes)} SELECT {_spine_select()}, {', '.join(cols)} "
            f"FROM {SPINE} s {' '.join(joins)} ORDER BY s.rid")


def dedup_qualify_asof(views: tuple[ViewSpec, ...]) -> str:
    """(ii) One row per (key, event_ts) by ROW_NUMBER over the tie order, then a plain ASOF
    on event_ts (no ties left for ASOF to pick arbitrarily)."""
    return _dedup_then_asof(views, lambda v: (
        f"SELECT {v.key}, event_ts, {v.payload()} AS w FROM {v.visible_rows()} "
        f"QUALIFY row_number() OVER (PARTITION BY {v.key}, event_ts "
        f"ORDER BY {v.tie_order()}) = 1"))


def dedup_argmax_asof(views: tuple[ViewSpec, ...]) -> str:
    """(ii-b) As (ii), the dedup as GROUP BY (key, event_ts) with arg_max(payload, tie key)."""
    return _dedup_then_asof(views, lambda v: (
        f"SELECT {v.key}, event_ts, arg_max({v.payload()}, {v.tie_key()}) AS w "
        f"FROM {v.visible_rows()} GROUP BY {v.key}, event_ts"))


def _winner_per_rid(views: tuple[ViewSpec, ...], winner: Callable[[ViewSpec], str]) -> str:
    """LEFT JOIN each view's (rid, w) winners to the spine, in spine order."""
    ctes = [f"{v.alias} AS ({winner(v)})" for v in views]
    cols = [f"{v.alias}.w.{f} AS {f}" for v in views for f in v.features]
    joins = [f"LEFT JOIN {v.alias} ON s.rid = {v.alias}.rid" for v in views]
    return (f"WITH {', '.join(ctes)} SELECT {_spine_select()}, {', '.join(cols)} "
            f"FROM {SPINE} s {' '.join(joins)} ORDER BY s.rid")


def _range_join(v: ViewSpec) -> str:
    return (f"FROM {SPINE} s JOIN {v.source} r ON s.{v.key} = r.{v.key} "
            f"AND r.event_ts <= s.event_timestamp AND r.event_ts > s.event_timestamp - {v.ttl}")


def range_row_number(views: tuple[ViewSpec, ...]) -> str:
    """(iii) Join every spine row to all its visible rows, keep ROW_NUMBER() = 1."""
    return _winner_per_rid(views, lambda v: (
        f"SELECT s.rid, {v.payload('r')} AS w {_range_join(v)} "
        f"QUALIFY row_number() OVER (PARTITION BY s.rid "
        f"ORDER BY r.event_ts DESC, {v.tie_order('r')}) = 1"))


def range_argmax(views: tuple[ViewSpec, ...]) -> str:
    """(iii-b) As (iii), the winner as GROUP BY rid with arg_max(payload, (ts, tie key))."""
    return _winner_per_rid(views, lambda v: (
        f"SELECT s.rid, arg_max({v.payload('r')}, (r.event_ts, {v.tie_key('r')[1:-1]})) AS w "
        f"{_range_join(v)} GROUP BY s.rid"))


def _fetch_winner(v: ViewSpec, matched: str) -> str:
    """Rows at the matched (key, event_ts) of each spine row; the tie order picks one."""
    return (f"SELECT m.rid, {v.payload('r')} AS w FROM ({matched}) m "
            f"JOIN {v.source} r ON r.{v.key} = m.{v.key} AND r.event_ts = m.mts "
            f"QUALIFY row_number() OVER (PARTITION BY m.rid ORDER BY {v.tie_order('r')}) = 1")


def two_phase_asof(views: tuple[ViewSpec, ...]) -> str:
    """(iv) Phase 1: ASOF on a narrow (key, event_ts) projection finds each spine row's
    winning event time (ties do not matter: tied rows share it) and applies the TTL.
    Phase 2: an equi-join on (key, event_ts) fetches the features of the rows at that time,
    and ROW_NUMBER over the tie order keeps one."""
    def winner(v: ViewSpec) -> str:
        matched = (f"SELECT s.rid, s.{v.key}, i.event_ts AS mts FROM {SPINE} s "
                   f"ASOF JOIN (SELECT {v.key}, event_ts FROM {v.visible_rows()}) i "
                   f"ON s.{v.key} = i.{v.key} AND s.event_timestamp >= i.event_ts "
                   f"WHERE i.event_ts > s.event_timestamp - {v.ttl}")
        return _fetch_winner(v, matched)
    return _winner_per_rid(views, winner)


def two_phase_window(views: tuple[ViewSpec, ...]) -> str:
    """(v) As (iv), phase 1 as a running max(event_ts) over source and spine rows merged in
    (key, time) order, source rows first at equal times (the inclusive cut)."""
    def winner(v: ViewSpec) -> str:
        merged = (f"SELECT {v.key}, event_ts AS t, 0 AS side, event_ts AS src_ts, "
                  f"NULL::BIGINT AS rid FROM {v.visible_rows()} UNION ALL "
                  f"SELECT {v.key}, event_timestamp, 1, NULL, rid FROM {SPINE} "
                  f"WHERE {v.key} IS NOT NULL AND event_timestamp IS NOT NULL")
        matched = (f"SELECT rid, {v.key}, mts FROM (SELECT rid, {v.key}, t, max(src_ts) OVER "
                   f"(PARTITION BY {v.key} ORDER BY t, side ROWS UNBOUNDED PRECEDING) AS mts "
                   f"FROM ({merged})) WHERE rid IS NOT NULL AND mts > t - {v.ttl}")
        return _fetch_winner(v, matched)
    return _winner_per_rid(views, winner)


METHODS: dict[str, Callable[[tuple[ViewSpec, ...]], str]] = {
    "hw_asof_struct": asof_struct,
    "hw_dedup_qualify_asof": dedup_qualify_asof,
    "hw_dedup_argmax_asof": dedup_argmax_asof,
    "hw_range_row_number": range_row_number,
    "hw_range_argmax": range_argmax,
    "hw_two_phase_asof": two_phase_asof,
    "hw_two_phase_window": two_phase_window,
}
