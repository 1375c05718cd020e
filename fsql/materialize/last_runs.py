"""Each view's last completed run read from a warehouse's state table (``fsql_materializations``)
in one query (BigQuery: :func:`last_runs`; Snowflake: :func:`snowflake_last_runs`): per
view, the definition hash of its last finished run and the greatest T1 of the finished runs
of that definition, what ``run.last_run`` reads from a DuckDB target.

>>> print(last_runs_query("p.ds.fsql_materializations", ["snap"])
...       .sql(dialect="bigquery"))  # doctest: +ELLIPSIS
WITH finished AS (SELECT view_name, definition_hash, end_time_us, finished_at FROM ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from fsql.engines import bigquery, snowflake
from fsql.errors import QueryRejectedError
from fsql.materialize.layout import STATE_TABLE, LatestTable
from fsql.materialize.targets import Target
from fsql.sql.compiler import finalize, render
from fsql.sql.dialect import get_dialect

VIEW, HASH, END = "view_name", "definition_hash", "end_time_us"


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def last_runs_query(state: str, views: Sequence[str]) -> exp.Select:
    """``view_name``, ``definition_hash``, ``end_time_us`` of each of ``views`` (their state
    names) with a finished run in the state table ``state``: the hash of the run that finished
    last (ties: the greater T1, then the smaller hash, so no choice is left to the warehouse)
    and the greatest T1 among finished runs of that hash."""
    finished = exp.select(VIEW, HASH, END, "finished_at").from_(exp.to_table(state)).where(
        exp.and_(exp.Not(this=exp.Is(this=_col("finished_at"), expression=exp.null())),
                 _col(VIEW).isin(*[exp.Literal.string(v) for v in views])))
    order = exp.Order(expressions=[exp.Ordered(this=_col("finished_at"), desc=True),
                                   exp.Ordered(this=_col(END), desc=True),
                                   exp.Ordered(this=_col(HASH))])
    rank = exp.Window(this=exp.RowNumber(), partition_by=[_col(VIEW)], order=order)
    ranked = exp.select(VIEW, HASH, exp.alias_(rank, "n")).from_("finished")
    last = exp.select(VIEW, HASH).from_(ranked.subquery("r")).where(
        exp.EQ(this=_col("n"), expression=exp.Literal.number(1)))
    on = exp.and_(exp.EQ(this=_col(VIEW, "f"), expression=_col(VIEW, "l")),
                  exp.EQ(this=_col(HASH, "f"), expression=_col(HASH, "l")))
    return (exp.select(exp.alias_(_col(VIEW, "f"), VIEW), exp.alias_(_col(HASH, "f"), HASH),
                       exp.alias_(exp.Max(this=_col(END, "f")), END))
            .from_(exp.to_table("finished").as_("f"))
            .join(exp.to_table("last_run").as_("l"), on=on)
            .group_by(_col(VIEW, "f"), _col(HASH, "f"))
            .with_("finished", as_=finished).with_("last_run", as_=last))


def last_runs(bq: Any, where: Target, layouts: Sequence[LatestTable]
              ) -> dict[str, tuple[int, str]]:
    """State name -> (T1 in microseconds, definition hash) of each view's last completed run on
    the BigQuery target ``where``, read in one query; a view without one (or no state table
    at all) is absent."""
    state = where.qualified(STATE_TABLE)
    query = last_runs_query(state, [layout.state_name for layout in layouts])
    try:
        rows = bigquery.query_arrow(bq, query.sql(dialect="bigquery"), dataset=None,
                                    what=f"reading the last runs from {state}").to_pylist()
    except QueryRejectedError as err:
        if no_such_table(err):  # no run ever finished on this dataset
            return {}
        raise
    return runs_of([(r[VIEW], r[HASH], r[END]) for r in rows])


def snowflake_last_runs(con: Any, where: Target, layouts: Sequence[LatestTable]
                        ) -> dict[str, tuple[int, str]]:
    """The same on the Snowflake target ``where`` (connection ``con``)."""
    state = where.qualified(STATE_TABLE)
    query = last_runs_query(state, [layout.state_name for layout in layouts])
    dialect = get_dialect("snowflake")
    try:
        rows = snowflake.execute(con, render(finalize(query, dialect), dialect),
                                 what=f"reading the last runs from {state}").fetchall()
    except QueryRejectedError as err:
        if no_such_table(err):
            return {}
        raise
    return runs_of(rows)


def no_such_table(err: BaseException) -> bool:
    """Whether the warehouse refused a statement because a table does not exist (BigQuery:
    "Not found: Table ..."; Snowflake: "... does not exist or not authorized")."""
    text = str(err).lower()
    return "not found" in text or "does not exist" in text


def runs_of(rows: Sequence[Sequence[Any]]) -> dict[str, tuple[int, str]]:
    """The query's rows (view, hash, T1; a warehouse may return T1 as a decimal) by view."""
    return {str(view): (int(end), str(digest)) for view, digest, end in rows
            if end is not None}
