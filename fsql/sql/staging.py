"""Stage a base table that several source CTEs read, once, as a ``MATERIALIZED`` CTE.

A snapshot view and an aggregation view over one source have two source CTEs (different
columns, filters and pruning), each reading the source's table. On an engine that computes a
``MATERIALIZED`` CTE once (Postgres; dialects/*.toml ``stage_shared_tables``), the table is read
once into ``__fsql_<view>_base`` (the columns the source CTEs use) and the source CTEs read that:

    WITH __fsql_a_base AS MATERIALIZED (SELECT user_id, ts, x FROM profiles),
         __fsql_a_src AS (SELECT ... FROM __fsql_a_base AS __fsql_s WHERE ...),
         __fsql_b_src AS (SELECT ... FROM __fsql_a_base AS __fsql_s WHERE ...)

BigQuery and Snowflake evaluate a CTE at every reference, so staging saves nothing there; their
shared sources are read once by sharing one source CTE instead (fsql/sql/compiler.py).
"""

from __future__ import annotations

from sqlglot import exp

from fsql.sql.tree import ident, lookup_cte_name

SOURCE_ALIAS = "__fsql_s"  # the alias of a source's table in its source CTE (tree.py)


def _source_from(body: exp.Expr) -> exp.From | None:
    """The FROM clause of ``body`` that reads the source's table (aliased ``__fsql_s``)."""
    for from_ in body.find_all(exp.From):
        if from_.this.alias == SOURCE_ALIAS:
            return from_
    return None


def _columns_read(from_: exp.From) -> list[exp.Identifier] | None:
    """The source columns the SELECT owning ``from_`` reads, in order of first use, or None
    where it reads them all (a star)."""
    select = from_.parent
    assert isinstance(select, exp.Select)
    seen: dict[str, exp.Identifier] = {}
    for node in select.find_all(exp.Column, exp.Star):
        if node.find_ancestor(exp.Select, exp.Subquery) is not select:
            continue  # inside a subquery (the spine's time range): not the source's
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            return None
        if node.table in ("", SOURCE_ALIAS):
            seen.setdefault(node.this.sql(), node.this)
    return list(seen.values())


def stage_shared_tables(ctes: list[tuple[str, exp.Expr]], sources: set[str],
                        materialized: set[str]) -> list[tuple[str, exp.Expr]]:
    """``ctes`` with every table read by two or more of the source CTEs named in ``sources``
    staged once before its first reader; the staging CTEs' names are added to
    ``materialized``. The source CTEs are changed in place."""
    readers: dict[exp.Expr, list[tuple[str, exp.From]]] = {}
    for name, body in ctes:
        if name not in sources:
            continue
        from_ = _source_from(body)
        if from_ is None:
            continue
        relation = from_.this.copy()
        relation.set("alias", None)
        readers.setdefault(relation, []).append((name, from_))
    staged: dict[str, tuple[str, exp.Expr]] = {}  # first reader -> the staging CTE
    for relation, reads in readers.items():
        if len(reads) < 2:
            continue
        stage = lookup_cte_name(reads[0][0].removeprefix("__fsql_").removesuffix("_src"),
                                "base")
        columns: dict[str, exp.Identifier] | None = {}
        for _, from_ in reads:
            used = _columns_read(from_)
            if used is None or columns is None:
                columns = None
                continue
            for column in used:
                columns.setdefault(column.sql(), column)
        projections: list[exp.Expr] = [exp.Star()] if not columns else [
            exp.Column(this=c.copy()) for c in columns.values()]
        body = exp.Select(expressions=projections, from_=exp.From(this=relation))
        for _, from_ in reads:
            from_.set("this", exp.Table(this=ident(stage),
                                        alias=exp.TableAlias(this=ident(SOURCE_ALIAS))))
        staged[reads[0][0]] = (stage, body)
        materialized.add(stage)
    if not staged:
        return ctes
    out: list[tuple[str, exp.Expr]] = []
    for name, body in ctes:
        if name in staged:
            out.append(staged[name])
        out.append((name, body))
    return out
