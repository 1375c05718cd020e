"""One view's run as an ordered list of named statements (sqlglot trees) for a dialect: what
DuckDB executes and what ``fsql materialize --dialect D --print`` prints.

What differs per warehouse is one small table (:data:`STYLES`): whether the data statements
run inside an explicit transaction, and whether the new rows are staged in a temporary table
(which also lets DuckDB count them before the MERGE) or are the MERGE's own source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.errors import UnsupportedError
from fsql.materialize import statements as st
from fsql.materialize.layout import LatestTable
from fsql.materialize.pit import AS_OF, latest_rows_plan
from fsql.plan.nodes import PointInTimePlan, SourceRef, SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import ident


@dataclass(frozen=True)
class MergeStyle:
    """How a dialect runs one view's data statements."""

    transaction: bool  # BEGIN ... COMMIT around state + new rows + MERGE + state
    staged: bool  # the new rows go to a temporary table first (else: the MERGE's source)
    begin: str = "BEGIN TRANSACTION"


STYLES: dict[str, MergeStyle] = {
    # https://duckdb.org/docs/stable/sql/statements/transactions (DDL is transactional too)
    "duckdb": MergeStyle(transaction=True, staged=True),
    # https://cloud.google.com/bigquery/docs/transactions: DML and temporary tables inside
    # BEGIN TRANSACTION ... COMMIT TRANSACTION; DDL on permanent tables is not allowed there.
    "bigquery": MergeStyle(transaction=True, staged=True),
    # https://docs.snowflake.com/en/sql-reference/sql/merge: one MERGE is atomic. fakesnow
    # cannot run a MERGE inside an explicit transaction; the state row is written before
    # (unfinished) and marked finished after it (docs/materialization.md, "Atomicity").
    "snowflake": MergeStyle(transaction=False, staged=False),
}


@dataclass(frozen=True)
class Step:
    """One statement of a run: its name (for progress, failure injection) and its tree."""

    name: str
    tree: exp.Expr


def style(dialect: Dialect) -> MergeStyle:
    """The dialect's merge style, or an error naming the dialects that have one."""
    if dialect.name not in STYLES:
        raise UnsupportedError(
            f"fsql writes materialization statements for {', '.join(STYLES)}, not "
            f"{dialect.name}")
    return STYLES[dialect.name]


def absolute(source: SourceRef, root: Path) -> SourceRef:
    """A file source named by its absolute path: what an executed statement reads (a
    relative one could be shadowed by a file of the working directory)."""
    if source.kind != "path":
        return source
    return replace(source, ref=str((root / source.ref).resolve()))


def rows_plan(repo: Catalog, layout: LatestTable, run: st.RunInfo, dialect: Dialect, *,
              local: bool) -> PointInTimePlan:
    """The training-set plan (plus the MERGE's columns) for the spine of the keys in table
    ``KEYS``; an incremental run reads only those keys' rows of the source."""
    keys = tuple(k for k, _ in layout.keys)
    text = st.spine(layout, run, dialect).sql(dialect=dialect.sqlglot)
    plan = latest_rows_plan(repo, layout, SpineRef("query", text, AS_OF, columns=(*keys, AS_OF)),
                            dialect=dialect.name)
    lookups = []
    for lookup in plan.lookups:
        source = absolute(lookup.source, repo.root) if local else lookup.source
        if not run.full_refresh:
            source = st.pruned_source(source, layout, dialect)
        lookups.append(replace(lookup, source=source))
    return replace(plan, lookups=tuple(lookups))


def key_source(repo: Catalog, layout: LatestTable, *, local: bool) -> SourceRef:
    """The view's source as the statements read it (by absolute path when ``local``)."""
    assert layout.source is not None
    return absolute(layout.source, repo.root) if local else layout.source


def view_steps(repo: Catalog, layout: LatestTable, names: st.Names, run: st.RunInfo,
               dialect_name: str, *, local: bool = False) -> list[Step]:
    """The statements of one view's run, in order. ``local``: file sources by absolute path
    (for execution here); else as the definitions name them (printed scripts)."""
    dialect = get_dialect(dialect_name)
    how = style(dialect)
    source = key_source(repo, layout, local=local)
    plan = rows_plan(repo, layout, run, dialect, local=local)
    rows = st.new_rows(compile_plan(plan, dialect), layout, run, dialect)
    steps = [Step("create_state", st.create_state_table(names, dialect)),
             Step("create_latest", st.create_latest_table(layout, names, dialect,
                                                          replace=run.full_refresh))]
    if not run.full_refresh:
        steps.append(Step("check_definition", st.definition_guard(layout, names, dialect)))
    if how.transaction:
        steps.append(Step("begin", exp.Transaction()))
    steps.append(Step("insert_state", st.insert_state(layout, names, run, source, dialect)))
    keys = st.changed_keys(layout, names, run, source, dialect)
    steps.append(Step("changed_keys", st.create_keys(keys, dialect)))
    if how.staged:
        temp = exp.Create(this=exp.Table(this=ident(st.NEW)), kind="TABLE", expression=rows,
                          replace=True,
                          properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
        steps.append(Step("new_rows", temp))
        using: exp.Expr = exp.Table(this=ident(st.NEW))
    else:
        using = rows
    steps.append(Step("merge", st.merge(layout, names, run, using, dialect)))
    steps.append(Step("finish_state", st.finish_state(names, run, dialect,
                                                      finished_at=run.started_at)))
    if dialect.name == "duckdb":  # one connection runs every view: a name is reused
        steps += [Step(f"drop_{name}", exp.Drop(tables=[exp.Table(this=ident(name))],
                                                 kind="TABLE", exists=True))
                  for name in (st.NEW, st.KEYS)]
    if how.transaction:
        steps.append(Step("commit", exp.Commit()))
    return steps


def render_step(step: Step, dialect_name: str) -> str:
    """One statement as text, ending with ``;``."""
    dialect = get_dialect(dialect_name)
    text = render(step.tree, dialect).rstrip()
    if isinstance(step.tree, exp.Transaction) and dialect.name == "bigquery":
        text = "BEGIN TRANSACTION"
    if isinstance(step.tree, exp.Commit) and dialect.name == "bigquery":
        text = "COMMIT TRANSACTION"
    return text + ";"
