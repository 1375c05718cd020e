"""The SQL inside the dbt models fsql writes (docs/dbt.md): each one compiled tree per branch,
rendered for the dialect, with dbt's relations (``ref``, ``source``, ``this``) and the run's
end time put in only at the very end, where the tree holds placeholder names for them.

A view's latest model (``<view>_latest``) computes its rows as ``fsql materialize`` does: the
training-set plan of the view (the same planner and compiler) for a spine of (key, T1). It has
two branches, chosen by dbt's ``is_incremental()``:

- the first build: every key of the source, the rows with something visible at T1;
- an incremental build: only the keys that can have changed since the previous build (the
  latest T1 in the table, ``materialized_at``), each new row left joined to the stored one and
  kept only where fsql's never-regress rules say the MERGE may write it. dbt's merge then
  updates or inserts exactly those rows; a row whose key has nothing visible at T1 and whose
  stored row left the view's horizon is written with a NULL ``feature_timestamp`` and deleted
  by the model's post-hook (dbt's merge itself cannot delete).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.errors import CompileError
from fsql.materialize import statements as st
from fsql.materialize.layout import FEATURE_TIMESTAMP, MATERIALIZED_AT, LatestTable
from fsql.materialize.pit import AS_OF, latest_rows_plan
from fsql.plan.nodes import PointInTimePlan, SourceRef, SpineRef
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import Dialect
from fsql.sql.tree import col, ident, int_literal, relation_for_source

DEFINITION = "__fsql_definition"  # the view's definition hash, on every row of a latest model

# T1 of a build: the dbt variable, else when the dbt run started (UTC), as a timestamp text.
END_JINJA = ("{{ var('fsql_end', run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) }}")
_END = "__fsql_dbt_end__"
_PLACEHOLDER = "__fsql_dbt_rel_{}__"
_NO_RUN = st.RunInfo("dbt", datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class Relation:
    """A dbt relation: ``ref('model')`` or ``source('name', 'table')``."""

    kind: str  # "ref" | "source"
    parts: tuple[str, ...]

    @property
    def jinja(self) -> str:
        """The relation as dbt Jinja: ``{{ ref('m') }}``."""
        args = ", ".join(f"'{p}'" for p in self.parts)
        return f"{{{{ {self.kind}({args}) }}}}"

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(repr(p) for p in self.parts)})"


THIS = Relation("this", ())


@dataclass
class Shell:
    """The placeholders of one model's trees and the dbt Jinja each becomes in the text.
    ``sources`` maps an fsql source name to its dbt source relation."""

    sources: dict[str, Relation]
    jinja: dict[str, str] = field(default_factory=dict)

    def table(self, relation: Relation) -> exp.Table:
        """A table node standing for ``relation``."""
        text = "{{ this }}" if relation is THIS else relation.jinja
        for name, known in self.jinja.items():
            if known == text:
                return exp.Table(this=exp.to_identifier(name))
        name = _PLACEHOLDER.format(len(self.jinja))
        self.jinja[name] = text
        return exp.Table(this=exp.to_identifier(name))

    def source(self, source: SourceRef) -> SourceRef:
        """``source`` read through its dbt source (a query source stays inline)."""
        if source.kind == "query":
            return source
        relation = self.sources[source.name]
        placeholder = self.table(relation).name
        return replace(source, kind="table", ref=placeholder, csv_types=())

    def fill(self, text: str) -> str:
        """``text`` with every placeholder replaced by its Jinja (each must occur)."""
        for name, jinja in self.jinja.items():
            pattern = re.compile(rf"[\"`]?\b{re.escape(name)}\b[\"`]?")
            text, count = pattern.subn(_constant(jinja), text)
            if not count:
                raise CompileError(f"internal: placeholder {name} vanished from a dbt model")
        return text.replace(f"'{_END}'", f"'{END_JINJA}'")


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement function for ``re.sub``: ``text`` as is (no backslash escapes)."""
    return lambda _match: text


def end_time(dialect: Dialect) -> exp.Expr:
    """T1 as the dialect's UTC timestamp literal of the text dbt puts in."""
    return dialect.template("timestamp_literal", x=exp.Literal.string(_END))


def _quoted(name: str, table: str | None = None) -> exp.Column:
    return st.quoted(name, table)


def _lookup_sources(plan: PointInTimePlan, shell: Shell, *,
                    pruned: LatestTable | None = None, dialect: Dialect | None = None
                    ) -> PointInTimePlan:
    lookups = []
    for lookup in plan.lookups:
        source = shell.source(lookup.source)
        if pruned is not None and dialect is not None:
            source = st.pruned_source(source, pruned, dialect)
        lookups.append(replace(lookup, source=source))
    return replace(plan, lookups=tuple(lookups))


def changed_keys(layout: LatestTable, shell: Shell, dialect: Dialect, *,
                 incremental: bool) -> exp.Query:
    """The keys a build recomputes (named as the view's join keys): every key of the source on
    the first build; else, with ``prev`` the latest T1 in the table (NULL when it is empty),
    the keys of :func:`fsql.materialize.statements.changed_keys` with ``prev`` for the
    previous run's T1 and for its created watermark (a row created since ``prev -
    late_arrival`` is new: rows are taken to be created, give or take ``late_arrival``, when
    they land), plus stored snapshot rows leaving the TTL. A build whose T1 is older than the
    table's changes nothing."""
    assert layout.source is not None
    source = shell.source(layout.source)
    relation, ts, created = relation_for_source(dialect, source)
    view = layout.view
    key_columns = [view.source.column_for(k) for k, _ in layout.keys]
    conds: list[exp.Expr] = [exp.Not(this=exp.Is(this=col(c), expression=exp.null()))
                             for c in key_columns]
    expiring: exp.Query | None = None
    if incremental:
        end = dialect.epoch_micros_sql(end_time(dialect), "timestamp")
        prev = exp.select(exp.Max(this=dialect.epoch_micros_sql(
            _quoted(MATERIALIZED_AT), "timestamp"))).from_(shell.table(THIS), copy=False
                                                            ).subquery(copy=False)
        late = int_literal(layout.late_us)

        def since(offset_us: int) -> exp.Expr:
            low = exp.Sub(this=exp.Sub(this=prev.copy(), expression=int_literal(offset_us)),
                          expression=late.copy())
            high = exp.Sub(this=end.copy(), expression=int_literal(offset_us))
            return exp.and_(exp.GTE(this=ts.copy(), expression=low),
                            exp.LTE(this=ts.copy(), expression=high), copy=False)

        changed: list[exp.Expr] = [exp.Is(this=prev.copy(), expression=exp.null()), since(0)]
        if source.created_column is not None:
            changed.append(exp.GTE(this=created.copy(), expression=exp.Sub(
                this=prev.copy(), expression=late.copy())))
        changed += [since(w) for w in layout.windows_us]
        not_older = exp.GTE(this=end.copy(), expression=exp.Coalesce(
            this=prev.copy(), expressions=[end.copy()]))
        conds += [exp.Paren(this=exp.or_(*changed, copy=False)), not_older]
        if not layout.is_aggregation and layout.horizon_us is not None:
            stored_ts = dialect.epoch_micros_sql(_quoted(FEATURE_TIMESTAMP), "timestamp")
            expiring = exp.select(*[_quoted(k) for k, _ in layout.keys]).from_(
                shell.table(THIS), copy=False).where(exp.and_(
                    exp.LTE(this=stored_ts, expression=exp.Sub(
                        this=end.copy(), expression=int_literal(layout.horizon_us))),
                    not_older.copy(), copy=False), copy=False)
    keys: exp.Query = exp.select(*[exp.alias_(col(c), k, copy=False)
                                   for c, (k, _) in zip(key_columns, layout.keys, strict=True)]
                                 ).from_(relation, copy=False).where(
        exp.and_(*conds, copy=False), copy=False)
    if expiring is not None:
        return exp.union(keys, expiring, distinct=True, copy=False)
    assert isinstance(keys, exp.Select)
    return keys.distinct(copy=False)


def latest_select(repo: Catalog, layout: LatestTable, shell: Shell, dialect: Dialect, *,
                  incremental: bool) -> exp.Select:
    """One branch of the latest model: the rows dbt's merge writes."""
    keys = tuple(k for k, _ in layout.keys)
    spine = exp.select(*[col(k) for k in keys],
                       exp.alias_(end_time(dialect), AS_OF, copy=False)).from_(
        exp.Table(this=ident(st.KEYS)), copy=False)
    plan = latest_rows_plan(repo, layout, SpineRef(
        "query", spine.sql(dialect=dialect.sqlglot), AS_OF, columns=(*keys, AS_OF)),
        dialect=dialect.name)
    plan = _lookup_sources(plan, shell, pruned=layout if incremental else None,
                           dialect=dialect)
    rows = st.new_rows(compile_plan(plan, dialect), layout, _NO_RUN, dialect)
    for column in rows.expressions:  # materialized_at: this build's T1
        if column.alias == MATERIALIZED_AT:
            column.set("this", end_time(dialect))
    # Typed as fsql materialize creates the table (dbt creates it from this SELECT).
    out = [exp.alias_(exp.Cast(this=st.quoted(name, st.NEW_ALIAS), to=dialect.type_sql(dtype)),
                      exp.to_identifier(name, quoted=True), copy=False)
           for name, dtype in layout.columns]
    out.append(exp.alias_(exp.Literal.string(layout.definition_hash),
                          exp.to_identifier(DEFINITION, quoted=True), copy=False))
    select = exp.select(*out).from_(rows.subquery(st.NEW_ALIAS, copy=False), copy=False)
    absent = exp.Column(this=ident(st.ABSENT), table=ident(st.NEW_ALIAS))
    if not incremental:
        select = select.where(exp.Not(this=absent), copy=False)
    else:
        end_us = dialect.epoch_micros_sql(end_time(dialect), "timestamp")
        rules = st.conditions(layout, _NO_RUN, dialect, end_us=end_us)
        target = shell.table(THIS)
        target.set("alias", exp.TableAlias(this=ident(st.TARGET_ALIAS)))
        missing = exp.Is(this=st.quoted(keys[0], st.TARGET_ALIAS), expression=exp.null())
        stored = exp.Not(this=missing.copy())
        keep = exp.or_(
            exp.and_(missing, rules.insert, copy=False),
            exp.and_(stored.copy(), exp.Paren(this=exp.or_(rules.update, rules.delete,
                                                          copy=False)), copy=False),
            copy=False)
        select = select.join(target, on=rules.on, join_type="LEFT", copy=False).where(
            keep, copy=False)
    return select.with_(st.KEYS, as_=changed_keys(layout, shell, dialect,
                                                  incremental=incremental), copy=False)


def definition_guard(layout: LatestTable) -> str:
    """The incremental branch's first line: a Jinja expression that stops the build when the
    stored rows were written by another definition of the view (same columns, other
    semantics: a TTL, a window, a filter), which dbt's ``on_schema_change`` cannot see."""
    wanted = layout.definition_hash

    def text(value: str) -> str:  # a Jinja string literal
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    message = (text(f"fsql: FeatureView {layout.view.name!r} changed since {layout.name} was "
                    "built (definition ") + " ~ __fsql_stored ~ "
               + text(f" -> {wanted}): rebuild it with dbt build --full-refresh --select "
                      f"{layout.name}"))
    stored = (f"run_query('SELECT DISTINCT ' ~ adapter.quote('{DEFINITION}') ~ ' FROM ' ~ this)"
              ".columns[0].values()")
    return ("{%- set __fsql_stored = (" + stored + " | reject('equalto', '" + wanted
            + "') | join(', ')) if execute else '' -%}\n"
            "{{ exceptions.raise_compiler_error(" + message + ") if __fsql_stored else '' }}")


def latest_sql(repo: Catalog, layout: LatestTable, shell: Shell, dialect: Dialect
               ) -> tuple[str, str]:
    """(first build, incremental build) SQL texts of the latest model, Jinja filled in."""
    texts = []
    for incremental in (False, True):
        branch = Shell(shell.sources)  # each branch names the relations it reads
        tree = latest_select(repo, layout, branch, dialect, incremental=incremental)
        texts.append(branch.fill(render(tree, dialect, copy=False)).rstrip())
    return texts[0], definition_guard(layout) + "\n" + texts[1]


def delete_sql(layout: LatestTable, shell: Shell, dialect: Dialect) -> str:
    """The post-hook: delete the rows the incremental branch marked (NULL
    ``feature_timestamp``: nothing visible at T1 and the stored row left the horizon)."""
    tree = exp.Delete(this=shell.table(THIS), where=exp.Where(
        this=exp.Is(this=_quoted(FEATURE_TIMESTAMP), expression=exp.null())))
    return shell.fill(render(tree, dialect)).strip()


def training_sql(plan: PointInTimePlan, shell: Shell, dialect: Dialect) -> str:
    """The training-set query of ``plan`` (whose spine is a placeholder table), Jinja filled
    in."""
    plan = _lookup_sources(plan, shell)
    return shell.fill(render(compile_plan(plan, dialect), dialect)).rstrip()


def rowcount_sql(training: Relation, spine: Relation, shell: Shell, dialect: Dialect) -> str:
    """One row: the training model's and the spine's row counts, and whether they are equal
    (the schema test checks ``rows_equal`` is true: no spine row dropped or duplicated)."""
    def count(relation: Relation) -> exp.Expr:
        return exp.select(exp.Count(this=exp.Star())).from_(
            shell.table(relation), copy=False).subquery(copy=False)

    tree = exp.select(
        exp.alias_(count(training), "training_rows", copy=False),
        exp.alias_(count(spine), "spine_rows", copy=False),
        exp.alias_(exp.EQ(this=count(training), expression=count(spine)), "rows_equal",
                   copy=False))
    return shell.fill(render(tree, dialect)).rstrip()
