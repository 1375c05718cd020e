"""How often a query reads each base table, counting through CTEs: a CTE referenced k times
whose body reads table T reads T k times (BigQuery does not materialize CTEs, so that is how
often it scans T)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def table_reads(sql: str, dialect: str) -> dict[str, int]:
    """Reads of every table and CTE name (dotted names as written) in the query ``sql``."""
    tree = sqlglot.parse_one(sql, read=dialect)
    with_ = tree.args.get("with_")
    ctes = {cte.alias: cte.this for cte in (with_.expressions if with_ else [])}
    memo: dict[str, dict[str, int]] = {}

    def names(node: exp.Expr) -> list[str]:
        return [exp.table_name(t) for t in node.find_all(exp.Table)]

    def reads(found: list[str], inside: tuple[str, ...]) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in found:
            parts = {name: 1}
            if name in ctes and name not in inside:  # a recursive CTE reads itself: once
                if name not in memo:
                    memo[name] = reads(names(ctes[name]), (*inside, name))
                parts = {**memo[name], name: 1}
            for key, count in parts.items():
                out[key] = out.get(key, 0) + count
        return out

    body = tree.copy()
    body.set("with_", None)
    return reads(names(body), ())


def base_table_reads(sql: str, dialect: str) -> dict[str, int]:
    """Reads of the tables that are not CTEs of the query."""
    tree = sqlglot.parse_one(sql, read=dialect)
    with_ = tree.args.get("with_")
    ctes = {cte.alias for cte in (with_.expressions if with_ else [])}
    return {k: v for k, v in table_reads(sql, dialect).items() if k not in ctes}
