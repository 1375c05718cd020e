"""``fsql consistency``: every key of a latest table against the training-set query for a
spine of (every key of the source, T1), run by the local runner (not by the MERGE path); on a
BigQuery or Snowflake target, the latest table and the training-set query are both read from
that warehouse (google-cloud-bigquery, snowflake-connector-python)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.engines import bigquery, snowflake
from fsql.engines.runner import run_training_set
from fsql.errors import ExecutionError, QueryRejectedError
from fsql.materialize import statements as st
from fsql.materialize.layout import STATE_TABLE, TIMESTAMP, LatestTable
from fsql.materialize.run import connect_target, layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import (
    Target,
    bigquery_client,
    executable,
    parse_end,
    resolve_target,
    snowflake_connection,
)
from fsql.plan.nodes import Cut
from fsql.sql.dialect import get_dialect
from fsql.sql.tree import literal

SPINE_TIME = "event_timestamp"


@dataclass(frozen=True)
class ConsistencyResult:
    """Keys compared and the (key, feature, table value, training value) that differ."""

    view: str
    at: datetime
    keys: int
    rows: int
    mismatches: list[tuple[tuple[Any, ...], str, Any, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every key matched."""
        return not self.mismatches

    def format(self, limit: int = 20) -> str:
        """A summary line and the first ``limit`` mismatches."""
        lines = [f"{self.view} at {self.at.isoformat()}: {self.keys} keys ({self.rows} with a "
                 f"row), {len(self.mismatches)} mismatches"]
        for key, name, table, training in self.mismatches[:limit]:
            lines.append(f"  key {key!r} {name}: latest table {table!r}, training set "
                         f"{training!r}")
        return "\n".join(lines)


def same_value(a: Any, b: Any) -> bool:
    """Equal feature values: NULL equals NULL, NaN equals NaN, floats to 1e-9 relative
    (warehouses may differ in the last bits), timestamps as instants (naive = UTC)."""
    if a is None or b is None or a is pd.NA or b is pd.NA:
        return (a is None or a is pd.NA) and (b is None or b is pd.NA)
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return (a if a.tzinfo else a.replace(tzinfo=UTC)) == (
            b if b.tzinfo else b.replace(tzinfo=UTC))
    return bool(a == b)


def check_consistency(repo: Catalog, *, view: str, at: str | datetime, target: str | None = None,
                      service: str | None = None) -> ConsistencyResult:
    """Compare ``view``'s latest table with the training set of a spine (every key, ``at``):
    a key without a row must read as nothing visible (counts 0, other features NULL or their
    default), which is the training-set row of the key before any event.

    >>> check_consistency(Repo.load("examples/fraud"), view="user_risk",  # doctest: +SKIP
    ...                   at="2024-06-01").ok
    True
    """
    if service is not None:
        chosen, cut = select_views(repo, service=service)
        if view not in {v.name for v in chosen}:
            chosen = [repo.view(view)]
    else:
        chosen, cut = select_views(repo, views=[view])
    t1 = parse_end(at)
    where = resolve_target(target, root=repo.root)
    if where.scheme == "bigquery":
        return _compare(view, t1, *_read_bigquery(repo, where, view, cut, t1))
    if where.scheme == "snowflake":
        con = snowflake_connection(where)
        try:
            return _compare(view, t1, *_read_snowflake(repo, con, where, view, cut, t1))
        finally:
            con.close()
    executable(where)
    layout = layout_for(repo, repo.view(view), cut, where.prefix)
    names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
    dialect = get_dialect("duckdb")
    assert layout.source is not None
    source = absolute(layout.source, repo.root)
    run = st.RunInfo("consistency", t1, t1, full_refresh=True)
    spine_sql = st.changed_keys(layout, names, run, source, dialect).sql(dialect="duckdb")
    relation, ts, _ = st.relation_for_source(dialect, source)
    first_ts = exp.select(exp.Min(this=ts)).from_(relation).sql(dialect="duckdb")
    keys = [k for k, _ in layout.keys]
    con = connect_target(where)
    try:
        spine = con.execute(spine_sql).df()
        spine[SPINE_TIME] = pd.Timestamp(t1)
        (earliest,) = con.execute(first_ts).fetchall()
        try:
            latest = exp.select(exp.Star()).from_(exp.to_table(names.latest))
            table = con.sql(latest.sql(dialect="duckdb")).to_arrow_table()
        except duckdb.CatalogException as err:  # no such table
            raise ExecutionError(
                f"Target {where.url!r} has no latest table {names.latest}; run fsql "
                f"materialize --views {view} first") from err
    finally:
        con.close()
    spine = spine.sort_values(keys, kind="stable").reset_index(drop=True)
    # Arrow, not pandas: a NULL and a NaN stay apart.
    training = run_training_set(repo, [layout.view], spine, spine_timestamp=SPINE_TIME,
                                  cut=cut, arrow=True).to_pylist() if len(spine) else []
    stored = {tuple(r[k] for k in keys): r for r in table.to_pylist()}
    absent = _absent_reading(repo, layout, spine, earliest[0], cut) if len(spine) else {}
    return _compare(view, t1, layout, training, stored, absent)


def _compare(view: str, t1: datetime, layout: LatestTable, training: list[dict[str, Any]],
             stored: dict[tuple[Any, ...], dict[str, Any]], absent: dict[str, Any]
             ) -> ConsistencyResult:
    """Each key's training-set row (one per key of the source) against its stored row, or
    against ``absent`` (nothing visible) when the table has none; stored keys the source
    does not have are mismatches too."""
    keys = [k for k, _ in layout.keys]
    features = [f for f, _ in layout.features]
    mismatches = []
    for record in training:
        key = tuple(record[k] for k in keys)
        have = stored.get(key, absent)
        for name in features:
            if not same_value(plain_value(have[name]), plain_value(record[name])):
                mismatches.append((key, name, plain_value(have[name]), plain_value(record[name])))
    extra = set(stored) - {tuple(r[k] for k in keys) for r in training}
    for key in sorted(extra, key=repr):
        mismatches.append((key, "(row)", "present", "key not in the source"))
    return ConsistencyResult(view, t1, len(training), len(stored), mismatches)


def _read_bigquery(repo: Catalog, where: Target, view: str, cut: Cut, t1: datetime
                   ) -> tuple[LatestTable, list[dict[str, Any]],
                              dict[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """In BigQuery: the training-set rows of (every key of the source, ``t1``), the latest
    table's rows by key, and what a key reads before the source's first event."""
    bq = bigquery_client(where)
    dataset = f"{where.host}.{where.database}"
    layout = layout_for(repo, repo.view(view), cut, where.prefix, dialect="bigquery")
    names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
    dialect = get_dialect("bigquery")
    assert layout.source is not None
    run = st.RunInfo("consistency", t1, t1, full_refresh=True)
    every_key = st.changed_keys(layout, names, run, layout.source, dialect).subquery("k")
    keys = [k for k, _ in layout.keys]

    def spine(micros: int) -> str:  # every key at one time, a query BigQuery runs in place
        at = exp.func("TIMESTAMP_MICROS", exp.Literal.number(micros))
        return exp.select(*keys, exp.alias_(at, SPINE_TIME)).from_(every_key.copy()).sql(
            dialect="bigquery")

    try:
        stored_rows = bigquery.query_arrow(
            bq, exp.select(exp.Star()).from_(exp.to_table(names.latest)).sql(dialect="bigquery"),
            dataset=None, what=f"reading {names.latest}").to_pylist()
    except QueryRejectedError as err:
        raise ExecutionError(f"Target {where.url!r} has no readable latest table {names.latest}"
                             f" ({err}); run fsql materialize --views {view} first") from None
    stored = {tuple(r[k] for k in keys): r for r in stored_rows}
    t1_us = (t1 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    training = bigquery.training_set(repo, [layout.view], spine(t1_us), bq=bq, dataset=dataset,
                                     spine_timestamp=SPINE_TIME, cut=cut)[0].to_pylist()
    if not training:
        return layout, [], stored, {}
    relation, ts, _ = st.relation_for_source(dialect, layout.source)
    first = bigquery.query_arrow(bq, exp.select(exp.alias_(exp.Min(this=ts), "first_us"))
                                 .from_(relation).sql(dialect="bigquery"), dataset=dataset,
                                 what="reading the source's first event time").to_pylist()
    probe = spine(int(first[0]["first_us"]) - 86_400_000_000) + " LIMIT 1"
    absent = bigquery.training_set(repo, [layout.view], probe, bq=bq, dataset=dataset,
                                   spine_timestamp=SPINE_TIME, cut=cut)[0].to_pylist()[0]
    return layout, training, stored, absent


def _read_snowflake(repo: Catalog, con: Any, where: Target, view: str, cut: Cut, t1: datetime
                    ) -> tuple[LatestTable, list[dict[str, Any]],
                               dict[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """In Snowflake (one session): the training-set rows of (every key of the source,
    ``t1``), a query spine run in place, the latest table's rows by key, and what a key
    reads before the source's first event."""
    dialect = get_dialect("snowflake")
    layout = layout_for(repo, repo.view(view), cut, where.prefix, dialect="snowflake")
    names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
    assert layout.source is not None
    run = st.RunInfo("consistency", t1, t1, full_refresh=True)
    every_key = st.changed_keys(layout, names, run, layout.source, dialect).subquery("k")
    keys = [k for k, _ in layout.keys]

    def spine(at: datetime) -> str:  # every key at one time, a query Snowflake runs in place
        return exp.select(*keys, exp.alias_(literal(at, TIMESTAMP, dialect), SPINE_TIME)
                          ).from_(every_key.copy()).sql(dialect="snowflake")

    try:
        table = snowflake.query_arrow(
            con, exp.select(exp.Star()).from_(exp.to_table(names.latest)).sql(
                dialect="snowflake"), what=f"reading {names.latest}")
    except QueryRejectedError as err:
        raise ExecutionError(f"Target {where.url!r} has no readable latest table {names.latest}"
                             f" ({err}); run fsql materialize --views {view} first") from None
    # Snowflake upper-cases unquoted names: read them as the definitions spell them.
    spelled = {n.upper(): n for n in (*keys, *(f for f, _ in layout.features))}
    stored_rows = [{spelled.get(k, k): v for k, v in r.items()} for r in table.to_pylist()]
    stored = {tuple(r[k] for k in keys): r for r in stored_rows}
    training = snowflake.training_set(repo, [layout.view], spine(t1), con=con,
                                      spine_timestamp=SPINE_TIME, cut=cut)[0].to_pylist()
    if not training:
        return layout, [], stored, {}
    relation, ts, _ = st.relation_for_source(dialect, layout.source)
    first = snowflake.query_arrow(con, exp.select(exp.alias_(exp.Min(this=ts), "first_us"))
                                  .from_(relation).sql(dialect="snowflake"),
                                  what="reading the source's first event time").to_pylist()
    (first_us,) = first[0].values()
    before = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(first_us),
                                                          days=-1)
    absent = snowflake.training_set(repo, [layout.view], spine(before) + " LIMIT 1", con=con,
                                    spine_timestamp=SPINE_TIME, cut=cut)[0].to_pylist()[0]
    return layout, training, stored, absent


def _absent_reading(repo: Catalog, layout: Any, spine: pd.DataFrame, earliest_us: int,
                    cut: Any) -> dict[str, Any]:
    """The training-set row of a key a day before the source's first event: nothing is
    visible, so it is what a key without a row reads as."""
    probe = spine.head(1).copy()
    probe[SPINE_TIME] = pd.Timestamp(earliest_us, unit="us", tz="UTC") - timedelta(days=1)
    rows = run_training_set(repo, [layout.view], probe, spine_timestamp=SPINE_TIME,
                            cut=cut, arrow=True)
    return dict(rows.to_pylist()[0])


def plain_value(value: Any) -> Any:
    """A Python value (pandas' NA and NaT as None, NumPy scalars unwrapped)."""
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value
