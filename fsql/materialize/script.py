"""One view's run as an ordered list of named statements (sqlglot trees) for a dialect: what
DuckDB executes and what ``fsql materialize --dialect D --print`` prints. What differs per
warehouse is the table of fsql/materialize/styles.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.materialize import lifetime
from fsql.materialize import statements as st
from fsql.materialize.layout import LatestTable
from fsql.materialize.pit import AS_OF, latest_rows_plan
from fsql.materialize.styles import style
from fsql.plan.nodes import AggregationLookup, Lookup, PointInTimePlan, SourceRef, SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import ident


@dataclass(frozen=True)
class Step:
    """One statement of a run: its name (for progress, failure injection) and its tree."""

    name: str
    tree: exp.Expr


def absolute(source: SourceRef, root: Path) -> SourceRef:
    """A file source named by its absolute path: what an executed statement reads (a
    relative one could be shadowed by a file of the working directory)."""
    if source.kind != "path":
        return source
    return replace(source, ref=str((root / source.ref).resolve()))


def rows_plan(repo: Catalog, layout: LatestTable, names: st.Names, run: st.RunInfo,
              dialect: Dialect, *, local: bool) -> PointInTimePlan:
    """The training-set plan (plus the MERGE's columns) for the spine of the keys in table
    ``KEYS``; an incremental run reads only those keys' rows of the source, and a view whose
    lifetime aggregates merge with the stored values (:mod:`fsql.materialize.lifetime`) only
    their new rows and the rows of the finite windows."""
    keys = tuple(k for k, _ in layout.keys)
    text = st.spine(layout, run, dialect).sql(dialect=dialect.sqlglot)
    plan = latest_rows_plan(repo, layout, SpineRef("query", text, AS_OF, columns=(*keys, AS_OF)),
                            dialect=dialect.name)
    lookups: list[Lookup | AggregationLookup] = []
    for lookup in plan.lookups:
        source = absolute(lookup.source, repo.root) if local else lookup.source
        if lifetime.merges(layout):
            assert isinstance(lookup, AggregationLookup)
            lookups.append(lifetime.merged_lookup(lookup, layout, names, run, dialect, source))
            continue
        if not run.full_refresh and not layout.is_aggregation:
            source = st.snapshot_candidates(source, layout, names, run, dialect)
        else:  # the rows inside the horizon; incremental: of the recomputed keys only
            source = st.pruned_source(source, layout, dialect, run,
                                      keys=not run.full_refresh)
        lookups.append(replace(lookup, source=source))
    return replace(plan, lookups=tuple(lookups))


def key_source(repo: Catalog, layout: LatestTable, *, local: bool) -> SourceRef:
    """The view's source as the statements read it (by absolute path when ``local``)."""
    assert layout.source is not None
    return absolute(layout.source, repo.root) if local else layout.source


def _original(repo: Catalog, layout: LatestTable, dialect: Dialect) -> AggregationLookup:
    """The training-set plan's aggregation lookup of a merging view (before the merge)."""
    keys = tuple(k for k, _ in layout.keys)
    (original,) = latest_rows_plan(repo, layout, SpineRef(
        "query", "SELECT 1", AS_OF, columns=(*keys, AS_OF)), dialect=dialect.name).lookups
    assert isinstance(original, AggregationLookup)
    return original


def table_layout(repo: Catalog, layout: LatestTable, dialect: Dialect) -> LatestTable:
    """The columns a run writes: ``layout``'s, plus the hidden state columns of a view whose
    lifetime aggregates merge with the stored values (data columns for the MERGE)."""
    if not lifetime.merges(layout):
        return layout
    return lifetime.with_state(layout, _original(repo, layout, dialect))


def computed_features(repo: Catalog, layout: LatestTable, dialect: Dialect
                      ) -> dict[str, exp.Expr]:
    """The features the new rows compute from the training-set query's columns rather than
    read (a merging view's lifetime avgs: stored sum over stored count)."""
    if not lifetime.merges(layout):
        return {}
    return lifetime.averaged(_original(repo, layout, dialect), dialect, st.PIT_ALIAS)


def view_steps(repo: Catalog, layout: LatestTable, names: st.Names, run: st.RunInfo,
               dialect_name: str, *, local: bool = False) -> list[Step]:
    """The statements of one view's run, in order. ``local``: file sources by absolute path
    (for execution here); else as the definitions name them (printed scripts)."""
    dialect = get_dialect(dialect_name)
    how = style(dialect)
    source = key_source(repo, layout, local=local)
    plan = rows_plan(repo, layout, names, run, dialect, local=local)
    computed = computed_features(repo, layout, dialect)
    layout = table_layout(repo, layout, dialect)
    rows = st.new_rows(compile_plan(plan, dialect), layout, run, dialect, computed=computed)
    steps = [Step("create_state", st.create_state_table(names, dialect)),
             Step("create_latest", st.create_latest_table(layout, names, dialect,
                                                          replace=run.full_refresh))]
    if not run.full_refresh:
        steps.append(Step("check_definition", st.definition_guard(layout, names, dialect)))
    if how.transaction:
        steps.append(Step("begin", exp.Transaction()))
    if not run.full_refresh:
        rows_read = st.candidate_rows(source, layout, names, run, dialect)
        steps.append(Step("read_rows", st.create_keys(rows_read, dialect, st.ROWS)))
    steps.append(Step("insert_state", st.insert_state(layout, names, run, source, dialect)))
    keys = st.changed_keys(layout, names, run, source, dialect, in_horizon_only=True)
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
    steps.append(Step("finish_state", st.finish_state(names, run, dialect)))
    if how.drop_temporary:
        steps += [Step(f"drop_{name}", exp.Drop(tables=[exp.Table(this=ident(name))],
                                                 kind="TABLE", exists=True))
                  for name in (st.NEW, st.KEYS, st.ROWS)]
    if how.transaction:
        steps.append(Step("commit", exp.Commit()))
    return steps


def render_step(step: Step, dialect_name: str, *, copy: bool = True) -> str:
    """One statement as text, ending with ``;`` (``copy=False``: the generator may rewrite
    the step's tree in place, for a tree nothing else reads)."""
    dialect = get_dialect(dialect_name)
    text = render(step.tree, dialect, copy=copy).rstrip()
    if isinstance(step.tree, exp.Transaction) and style(dialect).transaction_words:
        text = "BEGIN TRANSACTION"
    if isinstance(step.tree, exp.Commit) and style(dialect).transaction_words:
        text = "COMMIT TRANSACTION"
    return text + ";"
