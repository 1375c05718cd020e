"""Small builders shared by the SQL layers: identifiers, internal names, typed literals and
the FROM item of a source. Everything is a sqlglot node; nothing is pasted as text."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlglot
from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import CompileError, UnsupportedError
from fsql.plan.nodes import SourceRef
from fsql.sql.dialect import Dialect, data_type, parsed_sql

SPINE = "__fsql_spine"
RID = "__fsql_rid"
T = "__fsql_t"
TS = "__fsql_ts"
CREATED = "__fsql_c"
_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
CREATED_NULL = INT64_MIN + 1  # a NULL created time is the oldest in the tie order
Node = TypeVar("Node", bound=exp.Expr)


def ident(name: str) -> exp.Identifier:
    """An identifier, quoted when its characters require it (reserved words: see finalize)."""
    return exp.to_identifier(name, quoted=not _SAFE.match(name))


def col(name: str, table: str | None = None) -> exp.Column:
    """A column reference built from parts (never parsed from a pasted string)."""
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table(name: str, alias: str | None = None) -> exp.Table:
    """A CTE or table referenced by one (internal) name."""
    node = exp.Table(this=ident(name))
    if alias:
        node.set("alias", exp.TableAlias(this=ident(alias)))
    return node


def is_null(node: exp.Expr) -> exp.Expr:
    return exp.Is(this=node, expression=exp.null())


def not_null(node: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(node))


def tie_struct(ts: exp.Expr, created: exp.Expr,
               value: exp.Expr) -> exp.Expr:
    """STRUCT(o, c, v) ordered as the tie rule: event time, created (NULL oldest), value."""
    fields = {"o": ts, "c": exp.Coalesce(this=created, expressions=[int_literal(CREATED_NULL)]),
              "v": value}
    return exp.Struct(expressions=[
        exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in fields.items()])


def nodes_of(tree: exp.Expr, kind: type[Node]) -> list[Node]:
    """The nodes of ``kind`` in ``tree`` (``tree`` included), found before any is changed:
    what ``list(tree.find_all(kind))`` finds, without its generator's cost per node (a
    tree's walk was a tenth of compiling it)."""
    found: list[Node] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            found.append(node)
        for value in node.args.values():
            if type(value) is list:
                stack.extend(v for v in value if isinstance(v, exp.Expr))
            elif isinstance(value, exp.Expr):
                stack.append(value)
    return found


def key_name(i: int) -> str:
    return f"__fsql_k{i}"


def input_name(m: int) -> str:
    """Aggregation input ``m`` (one per distinct column and ``where=``) in the source CTE."""
    return f"__fsql_x{m}"


def feat_name(i: int) -> str:
    return f"__fsql_f{i}"


def lookup_cte_name(lookup: str, part: str) -> str:
    """A CTE of lookup ``lookup`` (a view's name in the request): ``__fsql_<view>_<part>``.
    Parts have no underscore, so two lookups' CTE names never meet (``a`` + ``x_src`` would
    need a part with one); lookup names that differ only in case are refused by the planner.
    A name with other characters than letters, digits and underscores (``amount usd``,
    ``größe``) is spelled with underscores and a short hash of the name, so that internal
    names stay plain identifiers on every dialect and two such names never meet."""
    assert "_" not in part
    if not _SAFE.match(lookup):
        digest = hashlib.sha1(lookup.encode()).hexdigest()[:8]
        lookup = f"{re.sub(r'[^A-Za-z0-9_]', '_', lookup)}_h{digest}"
    return f"__fsql_{lookup}_{part}"


def src_cte_name(lookup: str) -> str:
    """The CTE holding lookup ``lookup``'s source rows."""
    return lookup_cte_name(lookup, "src")


def view_cte_name(lookup: str) -> str:
    """The CTE of the chain that adds lookup ``lookup``'s point-in-time winner to every
    spine row (fsql/sql/compiler.py)."""
    return lookup_cte_name(lookup, "pit")


def table_ref(name: str, dialect: Dialect, alias: str | None = None) -> exp.Table:
    """A (possibly dotted) table name; BigQuery writes ``project.dataset.table`` as one name."""
    if dialect.table_path_as_one_identifier:
        table = exp.Table(this=exp.to_identifier(name, quoted="." in name or not _SAFE.match(name)))
    else:
        parts = name.split(".")
        if len(parts) > 3 or not all(parts):
            raise CompileError(
                f"Table name {name!r} must be 'table', 'schema.table' or 'db.schema.table'"
            )
        names: list[str | None] = [None] * (3 - len(parts)) + parts
        table = exp.Table(
            this=ident(parts[-1]),
            db=ident(names[1]) if names[1] else None,
            catalog=ident(names[0]) if names[0] else None,
        )
    if alias:
        table.set("alias", exp.TableAlias(this=ident(alias)))
    return table


def file_reader(path: str, alias: str | None = None,
                types: tuple[tuple[str, str], ...] = ()) -> exp.Expr:
    """``read_parquet(path)`` or ``read_csv(path[, types = {...}])`` as a FROM item."""
    func = "read_csv" if path.lower().endswith((".csv", ".csv.gz")) else "read_parquet"
    args: list[exp.Expr] = [exp.Literal.string(path)]
    if types:
        args.append(exp.EQ(this=exp.column("types"), expression=exp.Struct(expressions=[
            exp.PropertyEQ(this=exp.to_identifier(c, quoted=True), expression=exp.Literal.string(t))
            for c, t in types])))
    node = exp.Table(this=exp.Anonymous(this=func, expressions=args))
    if alias:
        node.set("alias", exp.TableAlias(this=ident(alias)))
    return node


def from_item(
    kind: str, ref: str, dialect: Dialect, *, what: str, query_dialect: str | None = None,
    csv_types: tuple[tuple[str, str], ...] = (),
) -> exp.Expr:
    """The FROM item for a table, a query or a local file."""
    if kind == "table":
        return table_ref(ref, dialect)
    if kind == "query":
        try:
            parsed = parsed_sql(ref, query_dialect or dialect.sqlglot)
        except sqlglot.errors.ParseError as err:
            raise CompileError(f"{what}: cannot parse its query: {err}") from None
        if not isinstance(parsed, exp.Query):
            raise CompileError(f"{what}: query= must be a SELECT, got {parsed.key.upper()}")
        return parsed.subquery()  # a copy: the parsed tree is shared
    if not dialect.reads_local_files:
        raise UnsupportedError(
            f"{what} reads the local file {ref!r}, which {dialect.name} cannot read; load it "
            f"into a warehouse table and declare table= (or compile for duckdb)"
        )
    return file_reader(ref, types=csv_types)


def literal(value: Any, dtype: DType, dialect: Dialect) -> exp.Expr:
    """A typed constant (a feature default). Timestamps are UTC instants written with the
    dialect's explicit-zone template (no session zone reads them); NaN and infinities are
    cast from the strings every dialect parses ('NaN', 'inf', '-inf')."""
    if value is None:
        return exp.Cast(this=exp.null(), to=dialect.type_sql(dtype))
    if isinstance(value, bool):
        node: exp.Expr = exp.Boolean(this=value)
    elif isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        node = exp.Literal.string(text)
    elif isinstance(value, float):
        node = exp.Literal.number(repr(value))
    elif isinstance(value, (int, Decimal)):
        node = exp.Literal.number(str(value))
    elif isinstance(value, datetime):
        utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        text = utc.isoformat(sep=" ", timespec="microseconds")
        return dialect.template("timestamp_literal", x=exp.Literal.string(text))
    elif isinstance(value, date):
        return dialect.template("date_literal", x=exp.Literal.string(value.isoformat()))
    else:
        node = exp.Literal.string(str(value))
    return exp.Cast(this=node, to=dialect.type_sql(dtype))


def and_all(conditions: Sequence[exp.Expr]) -> exp.Expr:
    """AND of ``conditions``; sqlglot parenthesizes OR operands."""
    return exp.and_(*conditions, copy=False)


def int_literal(value: int) -> exp.Expr:
    node: exp.Expr = exp.Literal.number(abs(value))
    return exp.Neg(this=node) if value < 0 else node


def relation_for_source(
    dialect: Dialect, src: SourceRef
) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """The source's FROM item (aliased), and its event and created times in epoch micros."""
    relation = from_item(
        src.kind,
        src.ref,
        dialect,
        what=f"Source {src.name!r}",
        query_dialect=src.query_dialect,
        csv_types=src.csv_types,
    )
    relation.set("alias", exp.TableAlias(this=ident("__fsql_s")))
    ts = dialect.epoch_micros_sql(col(src.timestamp_column), src.timestamp_dtype)
    created = (
        dialect.epoch_micros_sql(col(src.created_column), "timestamp")
        if src.created_column
        else exp.Cast(this=exp.null(), to=data_type("BIGINT"))
    )
    return relation, ts, created


def value_order_keys(value: exp.Expr, dtype: DType | None,
                     dialect: Dialect) -> list[exp.Expr]:
    """ORDER BY keys that sort ``value`` by fsql's rule (NULL lowest comes from NULLS FIRST;
    NaN greatest; strings by code point): a dialect that sorts NaN lowest orders floats by
    (IS_NAN(x), x), and strings get the dialect's ``string_order`` (Postgres: COLLATE "C")."""
    if dialect.nan_sorts_lowest and dtype is not None and dtype.name == "float64":
        return [dialect.is_nan(value), value]
    if dtype is not None and dtype.name == "string":
        return [dialect.string_order(value)]
    return [value]


def exact_int64(value: exp.Expr, dialect: Dialect, what: str) -> exp.Expr:
    """``value`` (an exact wide integer) as int64, or a query error naming ``what`` when it
    does not fit: a sum never wraps, rounds or silently becomes a float."""
    int64 = dialect.type_sql(DType("int64"))
    fits = exp.Between(this=value.copy(), low=int_literal(INT64_MIN),
                       high=int_literal(INT64_MAX))
    message = exp.Concat(expressions=[
        exp.Literal.string(f"fsql: {what} overflows int64 at a spine row: "),
        exp.Cast(this=value.copy(), to=dialect.type_sql(DType("string"))),
        exp.Literal.string("; declare dtype='decimal(38,0)' on the Aggregate for wider sums"),
    ])
    null = exp.Cast(this=exp.null(), to=int64)
    return exp.Case(ifs=[exp.If(this=is_null(value.copy()), true=null),
                         exp.If(this=fits, true=exp.Cast(this=value, to=int64.copy()))],
                    default=exp.Cast(this=dialect.raise_error(message), to=int64.copy()))


def aliased(node: exp.Expr, name: str | exp.Identifier) -> exp.Expr:
    """``node AS name`` holding ``node`` itself: ``exp.alias_`` would copy it first (the
    builders share no node, so there is nothing to copy)."""
    return exp.alias_(node, name, copy=False)


def joined(this: exp.Expr, on: exp.Expr | None) -> exp.Join:
    """``INNER JOIN this ON on``, or ``CROSS JOIN this`` without a condition: what
    ``Select.join(join_type=...)`` builds, without parsing the join type on every call."""
    join = exp.Join(this=this, kind="CROSS" if on is None else "INNER")
    if on is not None:
        join.set("on", on)
    return join


def when(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    """``CASE WHEN condition THEN value END`` (NULL otherwise)."""
    return exp.Case(ifs=[exp.If(this=condition, true=value)])
