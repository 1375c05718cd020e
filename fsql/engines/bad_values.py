"""Find the first value of a column that fsql cannot read, to name it (row and text) in an error.

Kept free of the runner and the planner: both call it on a DuckDB relation (a spine, a file
source) when DuckDB's type detection left a timestamp column as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
from sqlglot import exp

from fsql.engines.statements import (
    create_temp_table,
    drop_table,
    from_relation,
    statement_sql,
    table,
)

_ROWS = "__fsql_bad_values"


def first_bad_timestamp(con: duckdb.DuckDBPyConnection, relation: exp.Expr,
                        params: Sequence[Any], column: str) -> tuple[int, str] | None:
    """The first non-empty value of ``column`` that is neither a timestamp nor a date.

    Returns ``(row, text)``: ``row`` counts data rows from 1 in the relation's order (for a
    CSV file, row 1 is the first line after the header) and ``text`` is the value as written.
    ``None`` when every value reads as a TIMESTAMPTZ or a DATE (DuckDB's ``TRY_CAST``). The
    relation is read once; ``con`` is left without an open result.

    >>> import sqlglot
    >>> con = duckdb.connect()
    >>> query = "SELECT * FROM (VALUES ('2024-01-01'), (NULL), ('2024-13-45')) AS t(ts)"
    >>> values = sqlglot.parse_one(query, read="duckdb").args["from_"].this
    >>> first_bad_timestamp(con, values, [], "ts")
    (3, '2024-13-45')
    """
    value = exp.column("__fsql_v")
    readable = [exp.TryCast(this=value.copy(), to=exp.DataType.build(t))
                for t in ("TIMESTAMPTZ", "DATE")]
    bad = exp.and_(
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())),
        exp.NEQ(this=exp.Trim(this=value.copy()), expression=exp.Literal.string("")),
        *[exp.Is(this=r, expression=exp.null()) for r in readable],
    )
    text = exp.cast(exp.column(exp.to_identifier(column, quoted=True)), "VARCHAR")
    # A table numbers the rows (rowid) in the relation's order, as the runner numbers a spine.
    copy = exp.select(exp.alias_(text, "__fsql_v")).from_(from_relation(relation))
    find = (exp.select(exp.Add(this=exp.column("rowid"), expression=exp.Literal.number(1)),
                       value.copy())
            .from_(table(_ROWS)).where(bad).order_by("rowid").limit(1))
    try:
        con.execute(statement_sql(create_temp_table(_ROWS, copy)), list(params))
        rows = con.execute(statement_sql(find)).fetchall()
    finally:
        con.execute(statement_sql(drop_table(_ROWS)))
    return (int(rows[0][0]), str(rows[0][1])) if rows else None
