"""Lifetime aggregates merged with the stored value (docs/materialization.md, "Lifetime
aggregates"): an incremental run of an aggregation view reads, for the keys it recomputes,
only the rows that can be new since the previous run plus the rows its finite windows need,
and combines them with hidden state columns of the latest table.

The rows of a key are split by the settle point stored with its sums (the run P that wrote
them: end P, created watermark W; late-arrival allowance L) into *settled* rows,
S_P = {(created IS NULL or created < W - L) and ts < P - L}, which every run after P is
assumed to have seen (rows land in created order give or take L, or without a created time
with an event time after P - L: the rule by which runs find late rows), and the rest, the
*delta*: created >= W - L or ts >= P - L. The point is stored per key, by the same MERGE as
the sums, so that a run whose state row was never finished leaves consistent sums. Per
lifetime aggregate:

- count and sum (additive): a hidden column holds the aggregate over the key's settled rows
  only; the value at T1 is that plus the aggregate over the delta rows visible at T1, and the
  new hidden value adds the delta rows that are settled for this run's S;
- min and max (idempotent): the stored value (without its default) merged with every row read;
- first and last: the stored winner (value, event time, created time) is one more row in the
  tie order (event time, created time NULL oldest, value), so the full-tie rule is unchanged;
- avg: a sum and a count of the settled non-NULL values (as count and sum), and the value is
  their totals divided when the new rows are written (:func:`averaged`), not an aggregate of
  the training-set query: so only in a view without Derived features.

The state is fed to the training-set plan as extra source rows (one per key carrying the
stored count, sum, min and max, one per first/last carrying its winner) whose inputs are NULL
for every other aggregate, and the aggregates are rewritten to read per-aggregate input
columns (the ``where`` filter applied when the row is read): the planner, compiler and every
dialect's plans are unchanged. stddev, variance and count_distinct over the lifetime are not
merged: a view with one of them keeps reading the recomputed keys' whole history
(docs/materialization.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlglot import exp

from fsql.dtypes import DType
from fsql.materialize import statements as st
from fsql.materialize.layout import (
    FEATURE_TIMESTAMP,
    SETTLED_END,
    SETTLED_MARK,
    TIMESTAMP,
    LatestTable,
)
from fsql.plan.nodes import AggregateColumn, AggregationLookup, SourceRef
from fsql.sql.dialect import Dialect
from fsql.sql.expressions import to_sql
from fsql.sql.tree import col, ident, int_literal, literal, relation_for_source, table_ref

ADDITIVE = ("count", "sum")
IDEMPOTENT = ("min", "max")
BY_TIME = ("first", "last")
AVERAGE = "avg"  # a sum and a count of the non-NULL values, divided when the row is written
MERGED = (*ADDITIVE, *IDEMPOTENT, *BY_TIME, AVERAGE)
# The created time of a first/last winner whose created time is NULL (NULL is the oldest):
# stored so that "no winner" (NULL) and "a winner created at NULL" stay apart.
NULL_CREATED = datetime(1, 1, 1, tzinfo=UTC)
BOUNDS = "__fsql_mb"
NEW_WATERMARK = "__fsql_wn"
# Each key's settle point, stored with its hidden sums: the end (micros) and the created
# watermark of the run that computed them. A key's rows are split into settled and new by
# its own stored point, never by the state table's last finished run, so that a run whose
# MERGE landed but whose state row was never finished (Snowflake: the MERGE is outside a
# transaction) leaves sums that the next run reads consistently.
STORED = "__fsql_sk"  # the latest table, joined to the source rows of an incremental run


def merges(layout: LatestTable) -> bool:
    """Whether ``layout``'s view merges its lifetime aggregates with the stored values: an
    aggregation view with at least one lifetime aggregate, all of them count, sum, min, max,
    first, last or avg (an avg only in a view without Derived features: the average is
    computed after the training-set query, which computes the Derived ones)."""
    if not layout.is_aggregation:
        return False
    lifetime = [f for f in layout.view.features if getattr(f, "window", None) is None]
    functions = {getattr(f, "function", "") for f in lifetime}
    if AVERAGE in functions and layout.view.derived:
        return False
    return bool(lifetime) and functions <= set(MERGED)


def settled(name: str) -> str:
    """The hidden column of a count or sum over the settled rows."""
    return f"__fsql_s__{name}"


def counted(name: str) -> str:
    """The hidden column of an avg's count of settled non-NULL values."""
    return f"__fsql_n__{name}"


def _total(name: str) -> str:
    """An avg's sum over every row this run merges (settled state and new rows)."""
    return f"__fsql_as__{name}"


def _total_count(name: str) -> str:
    """An avg's count of non-NULL values over every row this run merges."""
    return f"__fsql_an__{name}"


def _sum_dtype(agg: AggregateColumn) -> DType:
    """What an avg's hidden sum holds: int64 for an int64 input (exact), else float64."""
    return DType("int64") if agg.input_dtype == "int64" else DType("float64")


def raw(name: str) -> str:
    """The hidden column of a min, max, first or last without its default."""
    return f"__fsql_r__{name}"


def winner_ts(name: str) -> str:
    """The hidden event time of a first/last winner."""
    return f"__fsql_rt__{name}"


def winner_created(name: str) -> str:
    """The hidden created time of a first/last winner (:data:`NULL_CREATED` for NULL)."""
    return f"__fsql_rc__{name}"


def _merged(lookup: AggregationLookup) -> list[tuple[int, AggregateColumn]]:
    return [(j, a) for j, a in enumerate(lookup.outputs)
            if a.window_us is None and a.function in MERGED and a.feature]


def state_columns(layout: LatestTable, lookup: AggregationLookup
                  ) -> tuple[tuple[str, DType], ...]:
    """The hidden columns the latest table of a merging view gains, after its features."""
    has_created = lookup.source.created_column is not None
    out: list[tuple[str, DType]] = []
    for _, agg in _merged(lookup):
        dtype = agg.dtype or DType("float64")
        if agg.function == "count":
            out.append((settled(agg.feature), DType("int64")))
        elif agg.function == AVERAGE:
            out += [(settled(agg.feature), _sum_dtype(agg)), (counted(agg.feature),
                                                              DType("int64"))]
        elif agg.function == "sum":
            out.append((settled(agg.feature), dtype))
        else:
            out.append((raw(agg.feature), dtype))
        if agg.function in BY_TIME:
            out.append((winner_ts(agg.feature), TIMESTAMP))
            if has_created:
                out.append((winner_created(agg.feature), TIMESTAMP))
    out.append((SETTLED_END, DType("int64")))
    if has_created:
        out.append((SETTLED_MARK, DType("int64")))
    return tuple(out)


def with_state(layout: LatestTable, lookup: AggregationLookup) -> LatestTable:
    """``layout`` with the hidden state columns as extra data columns: created, written by the
    MERGE and compared by its never-regressing rule like features."""
    return replace(layout, features=(*layout.features, *state_columns(layout, lookup)))


def _input(i: int) -> str:
    return f"__fsql_i{i}"


def _settle_input(i: int) -> str:
    return f"__fsql_si{i}"


def _time_input(i: int) -> str:
    return f"__fsql_ti{i}"


def _created_input(i: int) -> str:
    return f"__fsql_ci{i}"


def _count_input(i: int) -> str:
    return f"__fsql_ni{i}"


def _count_settle_input(i: int) -> str:
    return f"__fsql_nsi{i}"


END_INPUT = "__fsql_sei"
MARK_INPUT = "__fsql_swi"


@dataclass(frozen=True)
class _Rows:
    """What one run's merged lookup reads: the times of the previous run and of this one."""

    layout: LatestTable
    lookup: AggregationLookup
    names: st.Names
    run: st.RunInfo
    dialect: Dialect


def _condition_value(agg: AggregateColumn, lookup: AggregationLookup, dialect: Dialect,
                     ) -> tuple[exp.Expr | None, exp.Expr]:
    """(the ``where`` filter as SQL or None, the aggregated value: the column or 1)."""
    value: exp.Expr = exp.Literal.number(1) if agg.column is None else col(agg.column)
    if agg.where is None:
        return None, value
    return to_sql(agg.where, dialect, lambda name: col(name),
                  input_dtypes=lookup.source_dtypes), value


def _when(conds: list[exp.Expr | None], value: exp.Expr) -> exp.Expr:
    present = [c for c in conds if c is not None]
    if not present:
        return value
    return exp.Case(ifs=[exp.If(this=exp.and_(*[exp.Paren(this=c) for c in present],
                                              copy=False), true=value)])


def _cast(node: exp.Expr, dtype: DType | str | None, dialect: Dialect) -> exp.Expr:
    if dtype is None:
        return node
    return exp.Cast(this=node, to=dialect.type_sql(DType(dtype) if isinstance(dtype, str)
                                                   else dtype))


def _us(node: exp.Expr, dialect: Dialect) -> exp.Expr:
    return dialect.epoch_micros_sql(node, "timestamp")


def _delta(r: _Rows, ts: exp.Expr, created: exp.Expr) -> exp.Expr | None:
    """A source row is not settled at the previous run (None: a full run, every row is)."""
    if r.run.full_refresh:
        return None
    late = int_literal(r.layout.late_us)
    prev_end = st.previous("end_time_us", r.layout, r.names, r.dialect, r.run)
    # No previous finished run (NULL): nothing is settled, every row is new.
    by_time: exp.Expr = exp.Paren(this=exp.or_(
        exp.Is(this=prev_end.copy(), expression=exp.null()),
        exp.GTE(this=ts.copy(), expression=exp.Sub(this=prev_end, expression=late)),
        copy=False))
    if r.lookup.source.created_column is None:
        return by_time
    mark = exp.Coalesce(this=exp.Sub(
        this=st.previous("created_watermark_us", r.layout, r.names, r.dialect, r.run),
        expression=late.copy()), expressions=[int_literal(st.INT64_MIN_PLUS_1)])
    return exp.Paren(this=exp.or_(exp.GTE(this=created.copy(), expression=mark), by_time,
                                  copy=False))


def _key_delta(r: _Rows, ts: exp.Expr, created: exp.Expr) -> exp.Expr | None:
    """A source row is not settled at its key's stored settle point (table ``STORED``, left
    joined; no stored row: every row is new). None on a full run. Every such row is also a
    row of :func:`_delta` (a key's point is never older than the previous finished run's,
    or no row landed in between: the landing rule), which is what the scan reads."""
    if r.run.full_refresh:
        return None
    late = int_literal(r.layout.late_us)
    end = st.quoted(SETTLED_END, STORED)
    by_time: exp.Expr = exp.or_(
        exp.Is(this=end.copy(), expression=exp.null()),
        exp.GTE(this=ts.copy(), expression=exp.Sub(this=end, expression=late)), copy=False)
    if r.lookup.source.created_column is not None:
        mark = exp.Coalesce(this=exp.Sub(this=st.quoted(SETTLED_MARK, STORED),
                                         expression=late.copy()),
                            expressions=[int_literal(st.INT64_MIN_PLUS_1)])
        by_time = exp.or_(by_time, exp.GTE(this=created.copy(), expression=mark), copy=False)
    return exp.Paren(this=by_time)


def _new_mark(r: _Rows) -> exp.Expr:
    """This run's created watermark (its state row's), as a scalar subquery."""
    return exp.select(exp.Max(this=col("created_watermark_us"))).from_(
        table_ref(r.names.state, r.dialect), copy=False).where(
        exp.EQ(this=col("run_id"), expression=exp.Literal.string(r.run.run_id)),
        copy=False).subquery(copy=False)


def _settles(r: _Rows, ts: exp.Expr, created: exp.Expr) -> exp.Expr:
    """A source row is settled for this run: created before its new watermark minus L (or
    NULL) and event time before T1 - L."""
    early = exp.LT(this=ts.copy(), expression=int_literal(r.run.end_us - r.layout.late_us))
    if r.lookup.source.created_column is None:
        return early
    mark = exp.Sub(this=col(NEW_WATERMARK, BOUNDS), expression=int_literal(r.layout.late_us))
    return exp.and_(exp.Paren(this=exp.or_(
        exp.Is(this=created.copy(), expression=exp.null()),
        exp.LT(this=created.copy(), expression=mark), copy=False)), early, copy=False)


def _bounds(r: _Rows) -> exp.Expr:
    """A one-row relation with this run's created watermark (its state row, written before
    the new rows), cross joined: one scalar read, not one per source row. The greatest of
    the run id's rows: a printed script run twice writes two state rows with one run id."""
    return exp.select(exp.alias_(_new_mark(r), NEW_WATERMARK, copy=False)
                      ).subquery(BOUNDS, copy=False)


def _keys_match(r: _Rows, column_of: dict[str, exp.Column]) -> exp.Expr:
    """The row's key is one of table ``KEYS`` (``column_of``: each key's column)."""
    inner = "__fsql_kk"
    match = exp.and_(*[exp.EQ(this=col(k, inner), expression=column_of[k])
                       for k, _ in r.layout.keys], copy=False)
    return exp.Exists(this=exp.select(exp.Literal.number(1)).from_(
        exp.Table(this=ident(st.KEYS), alias=exp.TableAlias(this=ident(inner))), copy=False
    ).where(match, copy=False))


def _source_rows(r: _Rows, source: SourceRef) -> exp.Select:
    """The rows read from the source: every row on a full run; else the recomputed keys'
    delta rows and the rows inside the longest finite window."""
    lookup, dialect = r.lookup, r.dialect
    relation, ts, created = relation_for_source(dialect, source)
    delta = _delta(r, ts, created)
    mine = _key_delta(r, ts, created)
    settle = _settles(r, ts, created)
    merged = dict(_merged(lookup))
    columns: list[exp.Expr] = [col(k.source_column) for k in lookup.keys]
    columns.append(col(source.timestamp_column))
    if source.created_column:
        columns.append(col(source.created_column))
    for j, agg in enumerate(lookup.outputs):
        where, value = _condition_value(agg, lookup, dialect)
        if j not in merged:
            columns.append(exp.alias_(_when([where], value), _input(j), copy=False))
            continue
        if agg.function == "count":
            counted = [where] if agg.column is None else \
                [where, exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))]
            one = int_literal(1)
            columns.append(exp.alias_(_cast(_when([mine, *counted], one), "int64", dialect),
                                      _input(j), copy=False))
            columns.append(exp.alias_(_cast(_when([mine, settle.copy(), *counted],
                                                  one.copy()), "int64", dialect),
                                      _settle_input(j), copy=False))
        elif agg.function == AVERAGE:
            dtype = _sum_dtype(agg)
            known = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
            columns += [
                exp.alias_(_cast(_when([mine, where], value), dtype, dialect), _input(j),
                           copy=False),
                exp.alias_(_cast(_when([mine, settle.copy(), where], value.copy()), dtype,
                                 dialect), _settle_input(j), copy=False),
                exp.alias_(_cast(_when([mine, where, known], int_literal(1)), "int64",
                                 dialect), _count_input(j), copy=False),
                exp.alias_(_cast(_when([mine, settle.copy(), where, known.copy()],
                                       int_literal(1)), "int64", dialect),
                           _count_settle_input(j), copy=False)]
        elif agg.function == "sum":
            columns.append(exp.alias_(_cast(_when([mine, where], value), agg.dtype, dialect),
                                      _input(j), copy=False))
            columns.append(exp.alias_(_cast(_when([mine, settle.copy(), where], value.copy()),
                                            agg.dtype, dialect), _settle_input(j), copy=False))
        else:
            columns.append(exp.alias_(_cast(_when([where], value), agg.dtype, dialect),
                                      _input(j), copy=False))
        if agg.function in BY_TIME:
            known = exp.Not(this=exp.Is(this=_when([where], value.copy()),
                                        expression=exp.null()))
            columns.append(exp.alias_(exp.Case(ifs=[exp.If(
                this=known, true=col(source.timestamp_column))]), _time_input(j), copy=False))
            if source.created_column:
                stamp = exp.Coalesce(this=_cast(col(source.created_column), TIMESTAMP,
                                                dialect),
                                     expressions=[literal(NULL_CREATED, TIMESTAMP, dialect)])
                columns.append(exp.alias_(exp.Case(ifs=[exp.If(this=known.copy(),
                                                               true=stamp)]),
                                          _created_input(j), copy=False))
    columns.append(exp.alias_(int_literal(r.run.end_us), END_INPUT, copy=False))
    if source.created_column:
        columns.append(exp.alias_(col(NEW_WATERMARK, BOUNDS), MARK_INPUT, copy=False))
    select = exp.select(*columns).from_(relation, copy=False)
    if source.created_column:
        select = select.join(_bounds(r), join_type="CROSS", copy=False)
    if r.run.full_refresh:
        return select
    column_of = {k: col(r.layout.view.source.column_for(k), "__fsql_s") for k, _ in r.layout.keys}
    # the stored settle points under names no source column has (unqualified source
    # columns stay unambiguous)
    stored_keys = [f"__fsql_sk{i}" for i in range(len(r.layout.keys))]
    points = [SETTLED_END, *([SETTLED_MARK] if source.created_column else [])]
    stored = exp.select(*[exp.alias_(st.quoted(k), ident(n), copy=False)
                          for (k, _), n in zip(r.layout.keys, stored_keys, strict=True)],
                        *[st.quoted(p) for p in points]).from_(
        table_ref(r.names.latest, dialect), copy=False)
    select = select.join(stored.subquery(STORED, copy=False), join_type="LEFT",
                         on=exp.and_(*[exp.EQ(this=col(n, STORED),
                                              expression=column_of[k].copy())
                                       for (k, _), n in zip(r.layout.keys, stored_keys,
                                                            strict=True)], copy=False),
                         copy=False)
    finite = [a.window_us for a in lookup.outputs if a.window_us is not None]
    wanted: exp.Expr = delta if delta is not None else exp.true()
    if finite:
        window = exp.GTE(this=ts.copy(), expression=int_literal(r.run.end_us - max(finite)))
        wanted = exp.Paren(this=exp.or_(wanted, window, copy=False))
    return select.where(exp.and_(_keys_match(r, column_of), wanted, copy=False),
                        copy=False)


def _state_rows(r: _Rows, source: SourceRef, columns: list[str]) -> list[exp.Select]:
    """The stored state of the recomputed keys as source rows: one row per key (count, sum,
    min, max; event time the stored feature_timestamp, the latest event seen), one per
    first/last winner. A stored row is read whether or not the run that wrote it finished
    (a run that stopped after its MERGE): its sums are over the rows settled at its own
    stored point, which is how :func:`_key_delta` splits the rows read."""
    lookup, dialect = r.lookup, r.dialect
    ts_type = DType(source.timestamp_dtype)
    merged = dict(_merged(lookup))
    alias = "__fsql_l"

    def stored(name: str) -> exp.Column:
        return st.quoted(name, alias)

    def row(values: dict[str, exp.Expr], where: exp.Expr) -> exp.Select:
        select = exp.select(*[exp.alias_(values.get(c, exp.null()), ident(c), copy=False)
                              for c in columns])
        column_of = {k: stored(k) for k, _ in r.layout.keys}
        return select.from_(table_ref(r.names.latest, dialect, alias=alias), copy=False).where(
            exp.and_(_keys_match(r, column_of), where, copy=False), copy=False)

    keys = {k.source_column: stored(layout_key) for k, (layout_key, _) in
            zip(lookup.keys, r.layout.keys, strict=True)}
    bulk: dict[str, exp.Expr] = {**keys, source.timestamp_column: _cast(
        stored(FEATURE_TIMESTAMP), ts_type, dialect), END_INPUT: int_literal(r.run.end_us)}
    if source.created_column:
        bulk[MARK_INPUT] = _new_mark(r)
    rows = []
    for j, agg in merged.items():
        if agg.function in ADDITIVE or agg.function == AVERAGE:
            bulk[_input(j)] = stored(settled(agg.feature))
            bulk[_settle_input(j)] = stored(settled(agg.feature))
            if agg.function == AVERAGE:
                bulk[_count_input(j)] = stored(counted(agg.feature))
                bulk[_count_settle_input(j)] = stored(counted(agg.feature))
        elif agg.function in IDEMPOTENT:
            bulk[_input(j)] = stored(raw(agg.feature))
        else:
            winner: dict[str, exp.Expr] = {
                **{k: v.copy() for k, v in keys.items()},
                source.timestamp_column: _cast(stored(winner_ts(agg.feature)), ts_type, dialect),
                _input(j): stored(raw(agg.feature)),
                _time_input(j): _cast(stored(winner_ts(agg.feature)), ts_type, dialect)}
            if source.created_column:
                winner[source.created_column] = exp.Nullif(
                    this=stored(winner_created(agg.feature)),
                    expression=literal(NULL_CREATED, TIMESTAMP, dialect))
                winner[_created_input(j)] = stored(winner_created(agg.feature))
            rows.append(row(winner, exp.Not(this=exp.Is(
                this=stored(winner_ts(agg.feature)), expression=exp.null()))))
    return [row(bulk, exp.true()), *rows]


def averaged(lookup: AggregationLookup, dialect: Dialect, alias: str) -> dict[str, exp.Expr]:
    """Each merged lifetime avg's value from the merged query's columns (table ``alias``):
    the sum over its count, the default (or NULL) when no value was counted. An integer sum
    is exact and divided once (as AVG does); a float sum adds the stored sum of the settled
    rows to the new rows, so it may differ from a rescan in the last bits."""
    out: dict[str, exp.Expr] = {}
    double = dialect.type_sql(DType("float64"))
    for _, agg in _merged(lookup):
        if agg.function != AVERAGE:
            continue
        total = exp.Column(this=exp.to_identifier(_total(agg.feature), quoted=True),
                           table=ident(alias))
        n = exp.Column(this=exp.to_identifier(_total_count(agg.feature), quoted=True),
                       table=ident(alias))
        default = exp.Cast(this=exp.null(), to=double.copy()) if agg.default is None else \
            literal(agg.default, DType("float64"), dialect)
        out[agg.feature] = exp.Case(
            ifs=[exp.If(this=exp.GT(this=exp.Coalesce(this=n, expressions=[int_literal(0)]),
                                    expression=int_literal(0)),
                        true=exp.Div(this=exp.Cast(this=total, to=double.copy()),
                                     expression=exp.Cast(this=n.copy(), to=double.copy())))],
            default=default)
    return out


def merged_lookup(lookup: AggregationLookup, layout: LatestTable, names: st.Names,
                  run: st.RunInfo, dialect: Dialect, source: SourceRef) -> AggregationLookup:
    """``lookup`` reading the source rows of :func:`_source_rows` plus (incremental runs) the
    stored state as rows, each aggregate rewritten over its own input column; the outputs
    are the features and the hidden state columns of :func:`state_columns`."""
    r = _Rows(layout, lookup, names, run, dialect)
    real = _source_rows(r, source)
    columns = [e.alias_or_name for e in real.expressions]
    parts: list[exp.Select] = [real]
    if not run.full_refresh:
        parts += _state_rows(r, source, columns)
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False, copy=False)
    merged = dict(_merged(lookup))
    ts_dtype = source.timestamp_dtype
    outputs: list[AggregateColumn] = []
    dtypes = dict(lookup.source_dtypes)
    for j, agg in enumerate(lookup.outputs):
        plain = replace(agg, where=None, column=_input(j))
        if j not in merged and agg.window_us is None:
            # the run's own lifetime count and latest event time (the MERGE's columns):
            # over every row, the state rows included
            outputs.append(agg)
            continue
        if agg.column is None or agg.function == "count":
            dtypes[_input(j)] = dtypes[_settle_input(j)] = "int64"
        elif agg.column in lookup.source_dtypes:
            dtypes[_input(j)] = lookup.source_dtypes[agg.column]
        if j not in merged:
            outputs.append(plain)
            continue
        name = agg.feature
        if agg.function == AVERAGE:  # the feature itself: averaged(), after the query
            summed = _sum_dtype(agg)
            dtypes[_input(j)] = dtypes[_settle_input(j)] = summed.name
            dtypes[_count_input(j)] = dtypes[_count_settle_input(j)] = "int64"
            for column, output, out_dtype in (
                    (_input(j), _total(name), summed),
                    (_settle_input(j), settled(name), summed),
                    (_count_input(j), _total_count(name), DType("int64")),
                    (_count_settle_input(j), counted(name), DType("int64"))):
                outputs.append(AggregateColumn("sum", column, None, None, output, out_dtype,
                                               None, input_dtype=out_dtype.name))
            continue
        if agg.function in ADDITIVE:
            dtype = DType("int64") if agg.function == "count" else agg.dtype
            in_dtype = "int64" if agg.function == "count" else agg.input_dtype
            default = 0 if agg.function == "count" and agg.default is None else agg.default
            outputs.append(replace(plain, function="sum", dtype=dtype, default=default,
                                   input_dtype=in_dtype))
            outputs.append(replace(plain, function="sum", column=_settle_input(j),
                                   output_name=settled(name), dtype=dtype, default=None,
                                   input_dtype=in_dtype, hidden=False, feature=""))
            continue
        outputs.append(plain)
        outputs.append(replace(plain, output_name=raw(name), default=None, hidden=False,
                               feature=""))
        if agg.function in BY_TIME:
            pick = "max" if agg.function == "last" else "min"
            outputs.append(AggregateColumn(pick, _time_input(j), None, None, winner_ts(name),
                                           DType(ts_dtype), None, input_dtype=ts_dtype))
            dtypes[_time_input(j)] = ts_dtype
            if source.created_column:
                outputs.append(AggregateColumn(agg.function, _created_input(j), None, None,
                                               winner_created(name), TIMESTAMP, None,
                                               input_dtype="timestamp"))
                dtypes[_created_input(j)] = "timestamp"
    points = [(END_INPUT, SETTLED_END)]
    if source.created_column:
        points.append((MARK_INPUT, SETTLED_MARK))
    for column, name in points:  # the same on every row: this run's settle point
        outputs.append(AggregateColumn("max", column, None, None, name, DType("int64"), None,
                                       input_dtype="int64"))
        dtypes[column] = "int64"
    text = query.sql(dialect=dialect.sqlglot)
    new_source = replace(source, kind="query", ref=text, query_dialect=dialect.sqlglot,
                         csv_types=())
    return replace(lookup, source=new_source, outputs=tuple(outputs), source_dtypes=dtypes)
