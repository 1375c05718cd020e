"""The statements the local runner sends to DuckDB, built as sqlglot trees (no SQL text
assembled by hand, no hand quoting). Values that vary (paths, settings) are bound as
parameters wherever DuckDB takes them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlglot import exp
from sqlglot.errors import ErrorLevel

DIALECT = "duckdb"


def statement_sql(tree: exp.Expr) -> str:
    """The DuckDB text of a statement tree; a construct sqlglot cannot write raises."""
    return tree.sql(dialect=DIALECT, unsupported_level=ErrorLevel.RAISE)


def set_option(name: str) -> exp.Set:
    """``SET name = ?``: the value is bound as a parameter."""
    return exp.Set(expressions=[exp.SetItem(
        this=exp.EQ(this=exp.column(name), expression=exp.Placeholder()))])


def reader_name(path: Path) -> str:
    """The DuckDB table function that reads a local file (by its suffix)."""
    return "read_csv" if path.name.lower().endswith((".csv", ".csv.gz")) else "read_parquet"


def read_file(path: Path | None, *, reader: str = "", **options: bool) -> exp.Expr:
    """``read_parquet(path)`` / ``read_csv(path, option = value...)``; ``path`` None binds it
    as a parameter (``?``)."""
    where: exp.Expr = exp.Placeholder() if path is None else exp.Literal.string(str(path))
    args = [where] + [exp.EQ(this=exp.column(k), expression=exp.Boolean(this=v))
                      for k, v in options.items()]
    name = reader or reader_name(path) if path is not None else reader
    return exp.Anonymous(this=name, expressions=args)


def table(name: str) -> exp.Table:
    """A table (or view, or registered frame) by name, quoted."""
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def from_relation(relation: exp.Expr) -> exp.Expr:
    """``relation`` as a FROM item: a table function call becomes a table."""
    return exp.Table(this=relation) if isinstance(relation, exp.Func) else relation


def select_all(relation: exp.Expr) -> exp.Select:
    """``SELECT * FROM relation``."""
    return exp.select("*").from_(from_relation(relation), copy=False)


def describe(query: exp.Query) -> exp.Describe:
    """``DESCRIBE query``: its columns and their types."""
    return exp.Describe(this=query)


def count_rows(relation: exp.Expr) -> exp.Select:
    """``SELECT count(*) FROM relation``."""
    return exp.select(exp.Count(this=exp.Star())).from_(from_relation(relation), copy=False)


def null_counts(relation: exp.Expr, columns: Sequence[str]) -> exp.Select:
    """The rows of ``relation`` and, per column, how many are NULL."""
    counts: list[exp.Expr] = [exp.Count(this=exp.Star())]
    counts += [exp.Sub(this=exp.Count(this=exp.Star()),
                       expression=exp.Count(this=exp.column(c, quoted=True))) for c in columns]
    return exp.select(*counts).from_(from_relation(relation), copy=False)


def create_temp_table(name: str, query: exp.Query) -> exp.Create:
    """``CREATE OR REPLACE TEMP TABLE name AS query``."""
    return exp.Create(this=table(name), kind="TABLE", replace=True, expression=query,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def drop_table(name: str) -> exp.Drop:
    """``DROP TABLE IF EXISTS name``."""
    return exp.Drop(tables=[table(name)], kind="TABLE", exists=True)


def copy_to(query: exp.Expr, path: Path, fmt: str) -> exp.Copy:
    """``COPY (query) TO 'path' (FORMAT fmt[, HEADER true])``."""
    params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(fmt))]
    if fmt == "csv":
        params.append(exp.CopyParameter(this=exp.var("HEADER"), expression=exp.true()))
    return exp.Copy(this=exp.Subquery(this=query), kind=False,
                    files=[exp.Literal.string(str(path))], params=params)
