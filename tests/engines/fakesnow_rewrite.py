"""Test-harness-only SQL rewrites that let fakesnow 0.12.1 run Snowflake SQL that fsql emits.

fsql's shipped SQL is never changed: :func:`rewrite_for_fakesnow` is applied by the test engine
just before it sends a query to fakesnow.

There is exactly one rewrite, for ``ASOF JOIN``:

    FROM l ASOF JOIN r MATCH_CONDITION (l.t >= r.t) ON l.k = r.k AND l.j = r.j
 -> FROM l ASOF LEFT JOIN r ON l.k = r.k AND l.j = r.j AND l.t >= r.t

Why: fakesnow translates Snowflake SQL to DuckDB with sqlglot, which parses ``MATCH_CONDITION`` but
prints it unchanged for DuckDB, so DuckDB rejects the query ("syntax error at or near ...").
DuckDB's own ASOF join takes the equality conditions and the single inequality together in ``ON``
and picks, per left row, the closest right row satisfying the inequality, as Snowflake does.
Snowflake's ASOF JOIN keeps unmatched left rows and pads the right columns with NULLs, which in
DuckDB is ``ASOF LEFT JOIN`` (its plain ``ASOF JOIN`` is inner and would drop those rows).

So the rewrite (1) removes ``MATCH_CONDITION``, (2) appends its comparison to the ``ON``
conjuncts (or makes it the whole ``ON`` when there is none; an ``OR`` in ``ON`` stays
parenthesised) and (3) makes the join ``LEFT``. ``ASOF JOIN ... USING (...)`` is not rewritten
(DuckDB cannot combine it with an arbitrary match condition): it raises ``NotImplementedError``.

SQL without an ASOF join is returned as the very same string (no parse/print round trip). SQL
with one is re-printed by sqlglot in the Snowflake dialect: its meaning is otherwise unchanged,
but formatting and sqlglot's canonical spelling of some constructs may differ from fsql's text
(the engine tests check that re-printing the probed constructs gives the same results).

Everything else probed against fakesnow 0.12.1 ran without rewriting (see the engine tests).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def rewrite_for_fakesnow(sql: str) -> str:
    """Return ``sql`` with each ``ASOF JOIN ... MATCH_CONDITION`` made runnable by fakesnow.

    See the module docstring for exactly what changes and why. Raises ``sqlglot.errors.ParseError``
    if ``sql`` mentions ASOF and cannot be parsed as Snowflake SQL.
    """
    if "asof" not in sql.lower():
        return sql
    tree = sqlglot.parse_one(sql, read="snowflake")
    changed = False
    for join in tree.find_all(exp.Join):
        match_condition = join.args.get("match_condition")
        if join.method.upper() != "ASOF" or match_condition is None:
            continue
        if join.args.get("using"):
            raise NotImplementedError(
                "ASOF JOIN ... MATCH_CONDITION ... USING (...) cannot be rewritten for fakesnow"
            )
        on = join.args.get("on")
        conjuncts = (
            list(on.flatten()) if isinstance(on, exp.And) else ([on] if on is not None else [])
        )
        join.set("match_condition", None)
        join.set("on", exp.and_(*conjuncts, match_condition))
        join.set("side", "LEFT")
        changed = True
    return tree.sql(dialect="snowflake") if changed else sql
