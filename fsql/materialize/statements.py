"""The statements of one materialization run, built as sqlglot trees for a dialect.

A run of view V ending at T1 (docs/materialization.md):

1. ``CREATE TABLE IF NOT EXISTS`` the state table and V's latest table (each dialect's
   types), and a check that fails when V's last finished run used another definition;
2. an incremental run reads the source once into a temporary table: the rows whose key can
   have changed since the previous finished run (:func:`changed_rows`);
3. ``INSERT`` a state row (run id, definition hash, T1, the source's created watermark) with
   ``finished_at`` NULL: a run that never finishes is never read as a previous run;
4. the keys to recompute (a temporary table), then the new rows: the training-set query (the
   same plan and compiler as ``fsql run``) for a spine of (those keys, T1);
5. ``MERGE`` them into the latest table, never regressing: a stored row is replaced only by a
   row at least as new by (feature_timestamp, created_timestamp), and deleted only when nothing
   is visible at T1 and it has left the view's horizon;
6. ``UPDATE`` the state row's ``finished_at`` and row counts.

Steps 2-6 run in one transaction where the dialect has them (DuckDB, BigQuery). On Snowflake
the MERGE is one atomic statement (fakesnow cannot run a MERGE inside a transaction): a crash
after it leaves the state row unfinished, and the next run recomputes from the previous
watermark, a superset of the keys, which the idempotent MERGE absorbs; merged lifetime sums
carry their own settle point per key (:mod:`fsql.materialize.lifetime`), so they are never
counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlglot import exp

from fsql.dtypes import DType
from fsql.materialize.layout import (
    CREATED_TIMESTAMP,
    FEATURE_TIMESTAMP,
    MATERIALIZED_AT,
    SETTLE_POINT,
    TIMESTAMP,
    LatestTable,
)
from fsql.materialize.pit import AS_OF, EVENTS, WINNER_CREATED, WINNER_TS
from fsql.materialize.styles import style
from fsql.plan.nodes import SourceRef
from fsql.sql.dialect import Dialect
from fsql.sql.tree import col, ident, int_literal, literal, relation_for_source, table_ref

NEW = "__fsql_new"
KEYS = "__fsql_keys"
ROWS = "__fsql_rows"
ABSENT = "__fsql_absent"
TS_US = "__fsql_ts_us"
C_US = "__fsql_c_us"
TARGET_ALIAS = "__fsql_tgt"
NEW_ALIAS = "__fsql_n"
PIT_ALIAS = "__fsql_p"  # the training-set query, in the new rows' FROM
INT64_MIN_PLUS_1 = -(2**63) + 1  # a NULL created time is the oldest

STATE_COLUMNS: tuple[tuple[str, DType], ...] = (
    ("run_id", DType("string")),
    ("view_name", DType("string")),
    ("definition_hash", DType("string")),
    ("end_time", TIMESTAMP),
    ("end_time_us", DType("int64")),
    ("created_watermark_us", DType("int64")),
    ("full_refresh", DType("bool")),
    ("rows_inserted", DType("int64")),
    ("rows_updated", DType("int64")),
    ("rows_deleted", DType("int64")),
    ("started_at", TIMESTAMP),
    ("finished_at", TIMESTAMP),
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RunInfo:
    """What identifies one run: its id, T1, when it started, and whether it rebuilds."""

    run_id: str
    end: datetime
    started_at: datetime
    full_refresh: bool = False
    # The previous finished run's end and created watermark (micros), when the caller read
    # them from the state table (DuckDB): written as constants, so that the engine can push
    # the changed-rows filter into the source scan. None: scalar subqueries on the state
    # table (printed scripts).
    known_previous: tuple[int | None, int | None] | None = None
    # What the statements write for the time the run started (``materialized_at``, the state
    # row's ``started_at`` and, for a printed script, ``finished_at``): the warehouse's clock
    # of a printed script (a dialect's ``utc_now``, copied into each place). None: the
    # literal ``started_at``.
    clock: exp.Expr | None = None

    def started(self, dialect: Dialect) -> exp.Expr:
        """The run's start time as an expression of the latest table's timestamp type."""
        return self.clock.copy() if self.clock is not None else _ts(self.started_at, dialect)

    @property
    def end_us(self) -> int:
        """T1 in microseconds since the epoch."""
        aware = self.end if self.end.tzinfo else self.end.replace(tzinfo=UTC)
        return (aware - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Names:
    """The tables a run writes (possibly qualified: ``schema.table``)."""

    latest: str
    state: str


# -- DDL ---------------------------------------------------------------------------------
def create_table(name: str, columns: tuple[tuple[str, DType], ...], dialect: Dialect, *,
                 not_null: tuple[str, ...] = (), primary_key: tuple[str, ...] = (),
                 replace: bool = False, quote: bool = False) -> exp.Create:
    """``CREATE TABLE IF NOT EXISTS`` (or ``CREATE OR REPLACE TABLE``) with fsql's types;
    ``quote``: every column name quoted (exact case on Snowflake, as fsql's feature columns)."""
    def name_of(column: str) -> exp.Identifier:
        return exp.to_identifier(column, quoted=True) if quote else ident(column)

    defs: list[exp.Expr] = []
    for column, dtype in columns:
        constraints = [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())] \
            if column in not_null else []
        defs.append(exp.ColumnDef(this=name_of(column), kind=dialect.type_sql(dtype),
                                  constraints=constraints))
    keyed = style(dialect).keys if primary_key else None
    if keyed == "primary_key":
        defs.append(exp.PrimaryKey(expressions=[name_of(k) for k in primary_key]))
    schema = exp.Schema(this=table_ref(name, dialect), expressions=defs)
    create = exp.Create(this=schema, kind="TABLE", exists=not replace, replace=replace)
    if keyed == "cluster_by":  # point reads and the MERGE's key match prune storage
        create.set("properties", exp.Properties(expressions=[exp.ClusterProperty(
            expressions=[exp.column(name_of(k)) for k in primary_key])]))
    return create


def create_state_table(names: Names, dialect: Dialect) -> exp.Create:
    """The state table: one row per run (finished or not) of every view."""
    return create_table(names.state, STATE_COLUMNS, dialect)


def create_latest_table(layout: LatestTable, names: Names, dialect: Dialect, *,
                        replace: bool = False) -> exp.Create:
    """The latest table: typed keys (the primary key), features, and the three times."""
    keys = tuple(k for k, _ in layout.keys)
    return create_table(names.latest, layout.columns, dialect, not_null=keys,
                        primary_key=keys, replace=replace, quote=True)


# -- state -------------------------------------------------------------------------------
def _string(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def _ts(value: datetime, dialect: Dialect) -> exp.Expr:
    return literal(value, TIMESTAMP, dialect)


def _finished_runs(layout: LatestTable, names: Names) -> exp.Expr:
    return exp.and_(
        exp.EQ(this=col("view_name"), expression=_string(layout.state_name)),
        exp.EQ(this=col("definition_hash"), expression=_string(layout.definition_hash)),
        exp.Not(this=exp.Is(this=col("finished_at"), expression=exp.null())), copy=False)


def previous(column: str, layout: LatestTable, names: Names, dialect: Dialect,
             run: RunInfo | None = None) -> exp.Expr:
    """``(SELECT MAX(column) FROM state WHERE <this view's finished runs>)``: NULL before the
    first run and after a definition change; the constant when ``run`` knows it."""
    if run is not None and run.known_previous is not None:
        value = dict(zip(("end_time_us", "created_watermark_us"), run.known_previous,
                         strict=True))[column]
        return exp.Cast(this=exp.null(), to=dialect.type_sql(DType("int64"))) \
            if value is None else int_literal(value)
    select = exp.select(exp.Max(this=col(column))).from_(
        table_ref(names.state, dialect), copy=False).where(_finished_runs(layout, names),
                                                           copy=False)
    return select.subquery(copy=False)


def created_watermark(source: SourceRef, dialect: Dialect, *, layout: LatestTable | None = None,
                      names: Names | None = None, run: RunInfo | None = None) -> exp.Expr:
    """The greatest created time (micros) in the source now. A full run reads it before the
    new rows, so that a row landing meanwhile is at worst read twice, never skipped; an
    incremental run takes it from the rows it read (table ``ROWS``, every row created since
    the previous watermark minus late_arrival): the greater of those and the previous one."""
    if source.created_column is None:
        return exp.Cast(this=exp.null(), to=dialect.type_sql(DType("int64")))
    if run is None or run.full_refresh:
        relation, _, created = relation_for_source(dialect, source)
        return exp.select(exp.Max(this=created)).from_(relation, copy=False).subquery(
            copy=False)
    assert layout is not None and names is not None
    newest = exp.select(exp.Max(this=dialect.epoch_micros_sql(
        col(source.created_column), "timestamp"))).from_(
        exp.Table(this=ident(ROWS)), copy=False).subquery(copy=False)
    before = previous("created_watermark_us", layout, names, dialect, run)
    return exp.Case(ifs=[
        exp.If(this=exp.Is(this=before.copy(), expression=exp.null()), true=newest.copy()),
        exp.If(this=exp.Is(this=newest.copy(), expression=exp.null()), true=before.copy()),
        exp.If(this=exp.GT(this=newest.copy(), expression=before.copy()), true=newest.copy()),
    ], default=before.copy())


def insert_state(layout: LatestTable, names: Names, run: RunInfo, source: SourceRef,
                 dialect: Dialect) -> exp.Insert:
    """The run's state row, unfinished."""
    values: list[exp.Expr] = [
        _string(run.run_id), _string(layout.state_name), _string(layout.definition_hash),
        _ts(run.end, dialect), int_literal(run.end_us),
        created_watermark(source, dialect, layout=layout, names=names, run=run),
        exp.Boolean(this=run.full_refresh),
        *[exp.Cast(this=exp.null(), to=dialect.type_sql(DType("int64"))) for _ in range(3)],
        run.started(dialect),
        exp.Cast(this=exp.null(), to=dialect.type_sql(TIMESTAMP)),
    ]
    select = exp.select(*values)
    return exp.Insert(this=exp.Schema(this=table_ref(names.state, dialect),
                                      expressions=[ident(c) for c, _ in STATE_COLUMNS]),
                      expression=select)


def finish_state(names: Names, run: RunInfo, dialect: Dialect, *,
                 finished_at: datetime | None = None,
                 counts: tuple[int, int, int] | None = None) -> exp.Update:
    """Mark the run's state row finished (with its row counts when they are known), at
    ``finished_at`` (None: when the run started, :meth:`RunInfo.started`)."""
    done = run.started(dialect) if finished_at is None else _ts(finished_at, dialect)
    sets: list[exp.Expr] = [exp.EQ(this=col("finished_at"), expression=done)]
    if counts is not None:
        for column, value in zip(("rows_inserted", "rows_updated", "rows_deleted"), counts,
                                 strict=True):
            sets.append(exp.EQ(this=col(column), expression=int_literal(value)))
    return exp.Update(this=table_ref(names.state, dialect), expressions=sets,
                      where=exp.Where(this=exp.EQ(this=col("run_id"),
                                                  expression=_string(run.run_id))))


def definition_guard(layout: LatestTable, names: Names, dialect: Dialect) -> exp.Select:
    """A statement that fails (the dialect's raise-error expression) when the view's last
    finished run used another definition: a printed script refuses to mix two definitions'
    rows, as ``fsql materialize`` does before it writes anything."""
    last = exp.select(col("definition_hash")).from_(
        table_ref(names.state, dialect), copy=False).where(exp.and_(
            exp.EQ(this=col("view_name"), expression=_string(layout.state_name)),
            exp.Not(this=exp.Is(this=col("finished_at"), expression=exp.null())), copy=False),
        copy=False).order_by(exp.Ordered(this=col("finished_at"), desc=True), copy=False
                             ).limit(1, copy=False)
    message = _string(
        f"fsql: FeatureView {layout.view.name!r} changed since {names.latest} was written "
        f"(definition {layout.definition_hash}); rebuild it with --full-refresh")
    failed = exp.NEQ(this=last.subquery(copy=False), expression=_string(layout.definition_hash))
    fail = exp.Cast(this=dialect.raise_error(message), to=dialect.type_sql(DType("int64")))
    return exp.select(exp.alias_(exp.Case(ifs=[exp.If(this=failed, true=fail)]),
                                 "definition_check", copy=False))


# -- the spine: keys that can have changed -----------------------------------------------
def changed_rows(layout: LatestTable, names: Names, run: RunInfo, source: SourceRef,
                 dialect: Dialect) -> list[exp.Expr]:
    """The conditions (ANDed) on a source row that make its key one to recompute: see
    :func:`changed_keys`. On a full run: a key that is not NULL."""
    conds, changed = _changed_terms(layout, names, run, source, dialect)
    if changed:
        conds.insert(len(conds) - 1, exp.Paren(this=exp.or_(*changed, copy=False)))
    return conds


def _changed_terms(layout: LatestTable, names: Names, run: RunInfo, source: SourceRef,
                   dialect: Dialect) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """(conditions ANDed, terms ORed) of :func:`changed_rows`."""
    _, ts, created = relation_for_source(dialect, source)
    key_columns = [layout.view.source.column_for(k) for k, _ in layout.keys]
    conds: list[exp.Expr] = [exp.Not(this=exp.Is(this=col(c), expression=exp.null()))
                             for c in key_columns]
    if run.full_refresh:
        return conds, []
    end = int_literal(run.end_us)
    prev_t = previous("end_time_us", layout, names, dialect, run)
    late = int_literal(layout.late_us)

    def since(offset_us: int) -> exp.Expr:
        low = exp.Sub(this=exp.Sub(this=prev_t.copy(), expression=int_literal(offset_us)),
                      expression=late.copy())
        high = exp.Sub(this=end.copy(), expression=int_literal(offset_us))
        return exp.and_(exp.GTE(this=ts.copy(), expression=low),
                        exp.LTE(this=ts.copy(), expression=high), copy=False)

    changed: list[exp.Expr] = [since(0)]
    if run.known_previous is None or run.known_previous[0] is None:
        changed.insert(0, exp.Is(this=prev_t.copy(), expression=exp.null()))
    if source.created_column is not None:
        # No watermark yet (the source had no created time at the previous run): every row
        # with one is new.
        watermark = exp.Coalesce(this=exp.Sub(
            this=previous("created_watermark_us", layout, names, dialect, run),
            expression=late.copy()), expressions=[int_literal(INT64_MIN_PLUS_1)])
        changed.append(exp.GTE(this=created.copy(), expression=watermark))
    changed += [since(w) for w in layout.windows_us]
    # A run older than the table's changes nothing.
    conds.append(exp.GTE(this=end.copy(), expression=exp.Coalesce(
        this=prev_t.copy(), expressions=[end.copy()])))
    return conds, changed


def _candidate_columns(source: SourceRef, layout: LatestTable, dialect: Dialect
                       ) -> list[tuple[str, str, exp.DataType]]:
    """(source column, latest-table column, type) of the rows an incremental run reads: the
    keys, the event time, the created time, and a snapshot view's fields."""
    view = layout.view
    out = [(view.source.column_for(k), k, dialect.type_sql(d)) for k, d in layout.keys]
    out.append((source.timestamp_column, FEATURE_TIMESTAMP,
                dialect.type_sql(DType(source.timestamp_dtype))))
    if source.created_column is not None:
        out.append((source.created_column, CREATED_TIMESTAMP, dialect.type_sql(TIMESTAMP)))
    if not layout.is_aggregation:
        dtypes = dict(layout.features)
        out += [(view.source.column_for(f.name), f.name, dialect.type_sql(dtypes[f.name]))
                for f in view.features]
    return out


def _cast(node: exp.Expr, to: exp.DataType, name: str) -> exp.Expr:
    return exp.alias_(exp.Cast(this=node, to=to.copy()), ident(name), copy=False)


def candidate_rows(source: SourceRef, layout: LatestTable, names: Names, run: RunInfo,
                   dialect: Dialect) -> exp.Select:
    """An incremental run's one read of the source: the rows whose key it recomputes
    (:func:`changed_rows`), with the columns of :func:`_candidate_columns`. The recomputed
    keys, the new created watermark and (snapshot views) the training-set query's rows all
    come from this table."""
    columns = [_cast(col(c), to, c) for c, _, to in _candidate_columns(source, layout, dialect)]
    conds, changed = _changed_terms(layout, names, run, source, dialect)
    if run.known_previous is None or len(changed) < 2:
        relation, _, _ = relation_for_source(dialect, source)
        return exp.select(*columns).from_(relation, copy=False).where(
            exp.and_(*changed_rows(layout, names, run, source, dialect), copy=False),
            copy=False)
    # The bounds are constants (the caller read the previous run): one disjoint branch per
    # term, UNION ALL, so that each term's range on one column is pushed into the scan (a
    # file's row-group statistics prune it; an OR across two columns prunes nothing).
    branches: list[exp.Select] = []
    for i, term in enumerate(changed):
        earlier = [exp.Not(this=exp.Coalesce(this=exp.Paren(this=t.copy()),
                                              expressions=[exp.false()]))
                   for t in changed[:i]]
        relation, _, _ = relation_for_source(dialect, source)
        branches.append(exp.select(*[c.copy() for c in columns]).from_(relation, copy=False)
                        .where(exp.and_(*[c.copy() for c in conds], term.copy(), *earlier,
                                        copy=False), copy=False))
    query: exp.Query = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False, copy=False)
    return exp.select(exp.Star()).from_(query.subquery("__fsql_c", copy=False), copy=False)


def snapshot_candidates(source: SourceRef, layout: LatestTable, names: Names, run: RunInfo,
                        dialect: Dialect) -> SourceRef:
    """An incremental snapshot run's source: the new rows (table ``ROWS``) and the stored
    winners, as rows of the source. It is exact for an append-only source: a row visible at
    T1 that was already there at the previous run P is not newer than P's winner, and when
    that winner has left the TTL so have all of them (the tie order starts with the event
    time). The training-set query over these rows then picks the same winner as over the
    whole history, full-tie rule included, and reads no key's history."""
    columns = _candidate_columns(source, layout, dialect)
    rows = exp.select(*[col(c) for c, _, _ in columns]).from_(
        exp.Table(this=ident(ROWS)), copy=False)
    winners = exp.select(*[_cast(quoted(t), to, c) for c, t, to in columns]).from_(
        table_ref(names.latest, dialect), copy=False)
    union = exp.union(rows, winners, distinct=False, copy=False)
    return replace(source, kind="query", ref=union.sql(dialect=dialect.sqlglot),
                   query_dialect=dialect.sqlglot, csv_types=())


def changed_keys(layout: LatestTable, names: Names, run: RunInfo, source: SourceRef,
                 dialect: Dialect, *, in_horizon_only: bool = False) -> exp.Query:
    """The keys a run recomputes (named as the view's join keys): every key of the source on
    a full run, else the keys whose value at T1 can differ from the previous finished run's:

    - an event entering: event time in [previous T1 - late_arrival, T1];
    - a row created since the previous run's watermark minus late_arrival (late rows,
      corrections; rows are taken to land in created-time order, give or take late_arrival);
    - an event leaving a window w: event time in [previous T1 - w - late_arrival, T1 - w];
    - a stored snapshot row leaving the TTL: feature_timestamp <= T1 - ttl.

    Every bound is widened to include both ends: recomputing one key too many is harmless
    (the MERGE is idempotent), missing one is not. ``in_horizon_only`` (a full run into an
    empty table): only the keys with a row inside the horizon at T1, the others have nothing
    visible and get no row."""
    relation, _, _ = relation_for_source(dialect, source)
    view = layout.view
    key_columns = [view.source.column_for(k) for k, _ in layout.keys]
    conds = changed_rows(layout, names, run, source, dialect)
    end = int_literal(run.end_us)
    union_expiring: exp.Query | None = None
    if not run.full_refresh and not layout.is_aggregation and layout.horizon_us is not None:
        stored_ts = dialect.epoch_micros_sql(quoted(FEATURE_TIMESTAMP), "timestamp")
        union_expiring = exp.select(*[quoted(k) for k, _ in layout.keys]).from_(
            table_ref(names.latest, dialect), copy=False).where(
            exp.LTE(this=stored_ts, expression=exp.Sub(
                this=end.copy(), expression=int_literal(layout.horizon_us))), copy=False)
    aliases = [exp.alias_(col(c), k, copy=False)
               for c, (k, _) in zip(key_columns, layout.keys, strict=True)]
    if run.full_refresh:
        _, ts, _ = relation_for_source(dialect, source)
        horizon = in_horizon(ts, layout, run) if in_horizon_only else None
        keys: exp.Query = exp.select(*aliases).from_(relation, copy=False).where(
            exp.and_(*conds, *([horizon] if horizon is not None else []), copy=False),
            copy=False)
    else:  # the rows the run read (candidate_rows), not the source again
        keys = exp.select(*aliases).from_(exp.Table(this=ident(ROWS)), copy=False)
    if union_expiring is not None:
        keys = exp.union(keys, union_expiring, distinct=True, copy=False)
    else:
        assert isinstance(keys, exp.Select)
        keys = keys.distinct(copy=False)
    return keys


def spine(layout: LatestTable, run: RunInfo, dialect: Dialect) -> exp.Select:
    """The training-set spine: ``(keys..., AS_OF = T1)`` for every row of table ``KEYS``."""
    return exp.select(*[col(k) for k, _ in layout.keys],
                      exp.alias_(_ts(run.end, dialect), AS_OF, copy=False)).from_(
        exp.Table(this=ident(KEYS)), copy=False)


def in_horizon(ts: exp.Expr, layout: LatestTable, run: RunInfo) -> exp.Expr | None:
    """A source row's event time is inside the view's horizon at T1, both ends included:
    [T1 - horizon, T1] (a superset of what any cut sees at T1), or None when the horizon is
    unbounded (no TTL, a lifetime aggregate). No row outside it changes a value at T1: a
    snapshot view's winner is inside the TTL, every window of an aggregation view inside the
    longest one. Constant bounds, so that a file scan skips row groups by their statistics."""
    if layout.horizon_us is None:
        return None
    return exp.and_(
        exp.GTE(this=ts.copy(), expression=int_literal(run.end_us - layout.horizon_us)),
        exp.LTE(this=ts.copy(), expression=int_literal(run.end_us)), copy=False)


def pruned_source(source: SourceRef, layout: LatestTable, dialect: Dialect,
                  run: RunInfo | None = None, *, keys: bool = True) -> SourceRef:
    """``source`` restricted, when ``run`` is given, to the rows inside the view's horizon at
    its T1 (:func:`in_horizon`) and, with ``keys``, to the rows of the keys in table
    ``KEYS``: an incremental run reads the history of the keys it recomputes only (a
    semi-join; the training-set plan is otherwise unchanged). ``source`` itself when neither
    restricts anything."""
    relation, ts, _ = relation_for_source(dialect, source)
    conds: list[exp.Expr] = []
    if keys:
        inner = "__fsql_kk"
        match = exp.and_(*[exp.EQ(this=col(k, inner),
                                  expression=col(layout.view.source.column_for(k), "__fsql_s"))
                           for k, _ in layout.keys], copy=False)
        conds.append(exp.Exists(this=exp.select(exp.Literal.number(1)).from_(
            exp.Table(this=ident(KEYS), alias=exp.TableAlias(this=ident(inner))), copy=False
        ).where(match, copy=False)))
    horizon = None if run is None else in_horizon(ts, layout, run)
    if horizon is not None:
        conds.insert(0, horizon)
    if not conds:
        return source
    query = exp.select(exp.Column(this=exp.Star(), table=ident("__fsql_s"))).from_(
        relation, copy=False).where(exp.and_(*conds, copy=False), copy=False)
    return replace(source, kind="query", ref=query.sql(dialect=dialect.sqlglot),
                   query_dialect=dialect.sqlglot, csv_types=())


def create_keys(keys: exp.Query, dialect: Dialect, name: str = KEYS) -> exp.Create:
    """``CREATE TEMPORARY TABLE <name> AS`` a query (the keys a run recomputes, the rows an
    incremental run reads)."""
    return exp.Create(this=exp.Table(this=ident(name)), kind="TABLE", expression=keys,
                      replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


# -- the new rows and the MERGE ----------------------------------------------------------
def new_rows(pit: exp.Expr, layout: LatestTable, run: RunInfo, dialect: Dialect, *,
             with_time: str | None = None,
             computed: dict[str, exp.Expr] | None = None) -> exp.Select:
    """The latest-table rows computed by the training-set query ``pit`` (one per spine key),
    with the times and the ``ABSENT`` flag (nothing visible at T1) the MERGE reads;
    ``with_time``: also the spine time, under that name (offline tables); ``computed``:
    features computed from the query's columns (table ``PIT_ALIAS``) rather than read."""
    assert isinstance(pit, exp.Query), "the compiler returns a query"
    pit.set("order", None)  # row order means nothing to a MERGE source
    alias = PIT_ALIAS
    computed = computed or {}

    def out(name: str) -> exp.Expr:
        return exp.Column(this=exp.to_identifier(name, quoted=True), table=ident(alias))

    ts = exp.Cast(this=out(WINNER_TS), to=dialect.type_sql(TIMESTAMP))
    if not layout.is_aggregation and layout.has_created:
        created: exp.Expr = exp.Cast(this=out(WINNER_CREATED), to=dialect.type_sql(TIMESTAMP))
        absent: exp.Expr = exp.Is(this=out(WINNER_TS), expression=exp.null())
    elif not layout.is_aggregation:
        created = exp.Cast(this=exp.null(), to=dialect.type_sql(TIMESTAMP))
        absent = exp.Is(this=out(WINNER_TS), expression=exp.null())
    else:
        created = exp.Cast(this=exp.null(), to=dialect.type_sql(TIMESTAMP))
        absent = exp.EQ(this=out(EVENTS), expression=exp.Literal.number(0))
    columns: list[exp.Expr] = [exp.alias_(col(k, alias), exp.to_identifier(k, quoted=True),
                                          copy=False) for k, _ in layout.keys]
    if with_time is not None:
        columns.append(exp.alias_(exp.Cast(this=col(AS_OF, alias),
                                           to=dialect.type_sql(TIMESTAMP)),
                                  exp.to_identifier(with_time, quoted=True), copy=False))
    columns += [exp.alias_(computed[f].copy() if f in computed else out(f),
                           exp.to_identifier(f, quoted=True), copy=False)
                for f, _ in layout.features]
    columns += [
        exp.alias_(ts, exp.to_identifier(FEATURE_TIMESTAMP, quoted=True), copy=False),
        exp.alias_(created, exp.to_identifier(CREATED_TIMESTAMP, quoted=True), copy=False),
        exp.alias_(run.started(dialect), exp.to_identifier(MATERIALIZED_AT, quoted=True),
                   copy=False),
        exp.alias_(absent, ABSENT, copy=False),
        exp.alias_(dialect.epoch_micros_sql(ts.copy(), "timestamp"), TS_US, copy=False),
        exp.alias_(dialect.epoch_micros_sql(created.copy(), "timestamp"), C_US, copy=False),
    ]
    return exp.select(*columns).from_(pit.subquery(alias, copy=False), copy=False)


def quoted(name: str, table: str | None = None) -> exp.Column:
    """A latest-table column: always quoted (exact case on every dialect)."""
    return exp.Column(this=exp.to_identifier(name, quoted=True),
                      table=ident(table) if table else None)


def _new(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=name not in (ABSENT, TS_US, C_US)),
                      table=ident(NEW_ALIAS))


def _old(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=ident(TARGET_ALIAS))


@dataclass(frozen=True)
class Conditions:
    """When the MERGE deletes, updates and inserts (also used to count the rows)."""

    delete: exp.Expr
    update: exp.Expr
    insert: exp.Expr
    on: exp.Expr


def conditions(layout: LatestTable, run: RunInfo, dialect: Dialect, *,
               end_us: exp.Expr | None = None) -> Conditions:
    """The never-regressing rules (``end_us``: T1 in micros as an expression, for SQL whose
    T1 is known only when it runs, as a dbt model's; default ``run.end_us``):

    - delete: nothing is visible at T1 and the stored row has left the horizon at T1;
    - update: something is visible, and the new (feature_timestamp, created_timestamp) is
      newer than the stored one, or equal with other values (the full-tie rule), or the
      stored row has left the horizon;
    - insert: a new key with something visible."""
    old_ts = dialect.epoch_micros_sql(_old(FEATURE_TIMESTAMP), "timestamp")
    old_c = exp.Coalesce(this=dialect.epoch_micros_sql(_old(CREATED_TIMESTAMP), "timestamp"),
                         expressions=[int_literal(INT64_MIN_PLUS_1)])
    new_c = exp.Coalesce(this=_new(C_US), expressions=[int_literal(INT64_MIN_PLUS_1)])
    if layout.horizon_us is None:
        left: exp.Expr = exp.false()
    elif end_us is not None:
        left = exp.LTE(this=old_ts.copy(), expression=exp.Sub(
            this=end_us.copy(), expression=int_literal(layout.horizon_us)))
    else:
        left = exp.LTE(this=old_ts.copy(), expression=int_literal(
            run.end_us - layout.horizon_us))
    differs = exp.or_(*[exp.Not(this=exp.NullSafeEQ(this=_new(f), expression=_old(f)))
                        for f, _ in layout.features if f not in SETTLE_POINT], copy=False)
    newer = exp.or_(
        exp.GT(this=_new(TS_US), expression=old_ts.copy()),
        exp.and_(exp.EQ(this=_new(TS_US), expression=old_ts.copy()),
                 exp.GT(this=new_c.copy(), expression=old_c.copy()), copy=False),
        exp.and_(exp.EQ(this=_new(TS_US), expression=old_ts.copy()),
                 exp.EQ(this=new_c.copy(), expression=old_c.copy()),
                 exp.Paren(this=differs), copy=False),
        left.copy(), copy=False)
    present = exp.Not(this=_new(ABSENT))
    on = exp.and_(*[exp.EQ(this=_old(k), expression=_new(k)) for k, _ in layout.keys],
                  copy=False)
    return Conditions(
        delete=exp.and_(_new(ABSENT), exp.Paren(this=left), copy=False),
        update=exp.and_(present.copy(), exp.Paren(this=newer), copy=False),
        insert=present.copy(), on=on)


def merge(layout: LatestTable, names: Names, run: RunInfo, using: exp.Expr,
          dialect: Dialect) -> exp.Merge:
    """``MERGE INTO <latest> USING <new rows>`` with the never-regressing rules."""
    rules = conditions(layout, run, dialect)
    data = [*(k for k, _ in layout.keys), *(f for f, _ in layout.features),
            FEATURE_TIMESTAMP, CREATED_TIMESTAMP, MATERIALIZED_AT]
    updated = data[len(layout.keys):]
    update = exp.Update(expressions=[
        exp.EQ(this=exp.Column(this=exp.to_identifier(c, quoted=True)), expression=_new(c))
        for c in updated])
    insert = exp.Insert(
        this=exp.Tuple(expressions=[exp.Column(this=exp.to_identifier(c, quoted=True))
                                    for c in data]),
        expression=exp.Tuple(expressions=[_new(c) for c in data]))
    whens = exp.Whens(expressions=[
        exp.When(matched=True, source=False, condition=rules.delete, then=exp.var("DELETE")),
        exp.When(matched=True, source=False, condition=rules.update, then=update),
        exp.When(matched=False, source=False, condition=rules.insert, then=insert),
    ])
    if isinstance(using, exp.Query):
        using = using.subquery(NEW_ALIAS, copy=False)
    else:
        using.set("alias", exp.TableAlias(this=ident(NEW_ALIAS)))
    return exp.Merge(this=table_ref(names.latest, dialect, alias=TARGET_ALIAS), using=using,
                     on=rules.on, whens=whens)


def count_changes(layout: LatestTable, names: Names, run: RunInfo, dialect: Dialect
                  ) -> exp.Select:
    """(inserted, updated, deleted) the MERGE of table ``NEW`` will write: run before it."""
    rules = conditions(layout, run, dialect)
    matched = exp.Not(this=exp.Is(this=_old(layout.keys[0][0]), expression=exp.null()))

    def count(cond: exp.Expr) -> exp.Expr:
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))],
                                     default=exp.Literal.number(0)))

    join = exp.Join(this=table_ref(names.latest, dialect, alias=TARGET_ALIAS), side="LEFT",
                    on=rules.on)
    return exp.select(
        count(exp.and_(exp.Not(this=matched.copy()), rules.insert, copy=False)),
        count(exp.and_(matched.copy(), rules.update, copy=False)),
        count(exp.and_(matched.copy(), rules.delete, copy=False)),
    ).from_(exp.Table(this=ident(NEW), alias=exp.TableAlias(this=ident(NEW_ALIAS))),
            copy=False).join(join, copy=False)
