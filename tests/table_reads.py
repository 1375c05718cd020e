"""How often a query reads each base table, counting through CTEs as each engine evaluates
them:

- BigQuery (and Snowflake, which documents no rule) evaluate a CTE at every reference: a CTE
  referenced k times whose body reads table T reads T k times. BigQuery: "BigQuery does not
  materialize the results of non-recursive CTEs within the WITH clause"
  (https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#with_clause).
- DuckDB and Postgres compute a CTE once (stage it) when it is referenced more than once or
  declared ``MATERIALIZED``, unless it is declared ``NOT MATERIALIZED``: every reference then
  reads the staged rows, and the tables its body reads are read once. Postgres: "if a WITH
  query is non-recursive and side-effect-free ... it can be folded into the parent query ...
  By default, this happens if the parent query references the WITH query just once, but not
  if it references the WITH query more than once"
  (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-CTE-MATERIALIZATION).
  DuckDB: https://duckdb.org/docs/stable/sql/query_syntax/with ("CTE Materialization"); its
  EXPLAIN shows one CTE node read by CTE scans for a CTE referenced twice (duckdb 2.0.0).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

STAGING = frozenset({"duckdb", "postgres"})  # engines that compute a CTE read twice once


def table_reads(sql: str, dialect: str) -> dict[str, int]:
    """Reads of every table and CTE name (dotted names as written) in the query ``sql``."""
    tree = sqlglot.parse_one(sql, read=dialect)
    with_ = tree.args.get("with_")
    ctes = {cte.alias: cte for cte in (with_.expressions if with_ else [])}

    def names(node: exp.Expr) -> list[str]:
        return [exp.table_name(t) for t in node.find_all(exp.Table)]

    body = tree.copy()
    body.set("with_", None)
    references: dict[str, int] = {}
    for node in [body, *(cte.this for cte in ctes.values())]:
        for name in names(node):
            references[name] = references.get(name, 0) + 1

    def staged(name: str) -> bool:
        flag = ctes[name].args.get("materialized")
        return dialect in STAGING and flag is not False and (
            flag is True or references.get(name, 0) > 1)

    done: set[str] = set()  # staged CTEs already computed

    def reads(found: list[str], inside: tuple[str, ...]) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in found:
            parts = {name: 1}
            # A recursive CTE reads itself once; a staged CTE is computed at its first read.
            if name in ctes and name not in inside and (not staged(name) or name not in done):
                if staged(name):
                    done.add(name)
                parts = {**reads(names(ctes[name].this), (*inside, name)), name: 1}
            for key, count in parts.items():
                out[key] = out.get(key, 0) + count
        return out

    return reads(names(body), ())


def base_table_reads(sql: str, dialect: str) -> dict[str, int]:
    """Reads of the tables that are not CTEs of the query."""
    tree = sqlglot.parse_one(sql, read=dialect)
    with_ = tree.args.get("with_")
    ctes = {cte.alias for cte in (with_.expressions if with_ else [])}
    return {k: v for k, v in table_reads(sql, dialect).items() if k not in ctes}
