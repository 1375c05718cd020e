"""Printing a sqlglot tree exactly as sqlglot prints it, without the work that changes nothing.

sqlglot's generators rewrite every ``SELECT`` before printing it (``TRANSFORMS[exp.Select]``,
a :func:`sqlglot.transforms.preprocess` chain): BigQuery and Snowflake turn ``EXPLODE``
projections into ``UNNEST`` joins, qualify the columns of unnested arrays, and expand
``GENERATE_DATE_ARRAY``. Each of those rewrites searches the whole sub-tree of the ``SELECT``
(or builds its scope) for nodes fsql never writes, so printing a query of nested ``SELECT``\\ s
searched every inner one again for each one around it: most of the time of printing a
BigQuery or Snowflake query (bench/README.md, golden check).

:func:`sql` prints with a subclass of the dialect's generator whose ``SELECT`` chain leaves
out the rewrites of :data:`IDLE_WITHOUT`, each of which returns its input unchanged when the
``SELECT`` has no node of the listed types below it (one walk of the tree finds those that
do); a ``SELECT`` with one below it, or one that the generator builds while printing (not
part of the tree passed in), goes through sqlglot's whole chain. And it remembers the text
of each identifier (name, quoted or not) where that is all the text depends on: a query
names the same columns hundreds of times. Rewrites that are not listed (or
a sqlglot whose chain cannot be read) are kept: the output is byte-identical to
``tree.sql(dialect=...)`` (tests/test_generation.py compares them on every golden).

>>> from sqlglot import parse_one
>>> sql(parse_one("SELECT a FROM (SELECT a FROM t) AS s"), "bigquery")
'SELECT a FROM (SELECT a FROM t) AS s'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.errors import ErrorLevel
from sqlglot.generator import Generator

from fsql.sql.tree import nodes_of

Rewrite = Callable[[exp.Expr], exp.Expr]

# sqlglot's SELECT rewrites (module.qualname) that return their input unchanged unless the
# tree holds a node of one of these types; read from sqlglot 30's sources:
# - explode_projection_to_unnest: changes a SELECT only for a projection with an exp.Explode
#   (Posexplode and PosexplodeOuter are subclasses) in its scope;
# - unqualify_unnest, Snowflake's _qualify_unnested_columns and _eliminate_dot_variant_lookup:
#   only for an exp.Unnest in the SELECT's scope;
# - Snowflake's _transform_generate_date_array: only for an exp.GenerateDateArray below it.
IDLE_WITHOUT: dict[str, tuple[type[exp.Expr], ...]] = {
    "sqlglot.transforms.explode_projection_to_unnest.<locals>._explode_projection_to_unnest":
        (exp.Explode,),
    "sqlglot.transforms.unqualify_unnest": (exp.Unnest,),
    "sqlglot.generators.snowflake._qualify_unnested_columns": (exp.Unnest,),
    "sqlglot.generators.snowflake._eliminate_dot_variant_lookup": (exp.Unnest,),
    "sqlglot.generators.snowflake._transform_generate_date_array": (exp.GenerateDateArray,),
}


def sql(tree: exp.Expr, dialect: str, *, pretty: bool = False, copy: bool = True,
        identify: bool | str = False, unsupported_level: ErrorLevel = ErrorLevel.WARN) -> str:
    """``tree.sql(dialect=dialect, pretty=..., copy=..., identify=..., unsupported_level=...)``:
    the same text, with less work (the module's docstring says which). ``copy=False`` lets the
    generator rewrite ``tree`` in place (as sqlglot's does).

    >>> from sqlglot import parse_one
    >>> sql(parse_one("SELECT 1 AS x"), "snowflake", pretty=True)
    'SELECT\\n  1 AS x'
    """
    found = _fast(dialect)
    if found is None:
        return SqlglotDialect.get_or_raise(dialect).generate(
            tree, copy=copy, pretty=pretty, identify=identify,
            unsupported_level=unsupported_level)
    generator = found.cls(pretty=pretty, identify=identify,
                          unsupported_level=unsupported_level, dialect=found.dialect)
    if copy:
        tree = tree.copy()
    idle = _idle_selects(tree, found.triggers) if found.triggers else {}
    setattr(generator, "fsql_idle", idle)  # noqa: B010 (a slot)
    return generator.generate(tree, copy=False)


def _idle_selects(tree: exp.Expr, triggers: tuple[type[exp.Expr], ...]
                  ) -> dict[int, exp.Expr]:
    """The ``SELECT``\\ s of ``tree`` with no node of ``triggers`` below them, by id (the
    values keep them alive, so that no node built while printing can take one's id)."""
    idle: dict[int, exp.Expr] = {}
    for node in nodes_of(tree, exp.Expr):  # parents before children
        if type(node) is exp.Select:
            idle[id(node)] = node
        elif isinstance(node, triggers):
            parent = node.parent
            while parent is not None:
                idle.pop(id(parent), None)
                parent = parent.parent
    return idle


class _Fast:
    """A dialect's faster generator class and the node types that send a tree to sqlglot's."""

    def __init__(self, dialect: SqlglotDialect, cls: type[Generator],
                 triggers: tuple[type[exp.Expr], ...]) -> None:
        self.dialect = dialect
        self.cls = cls
        self.triggers = triggers


@cache
def _fast(dialect: str) -> _Fast | None:
    """The faster generator of ``dialect``, or None when it would save nothing (sqlglot's
    SELECT chain holds nothing to skip or is not a :func:`sqlglot.transforms.preprocess`
    this module can read, and identifiers cannot be cached)."""
    instance = SqlglotDialect.get_or_raise(dialect)
    base = instance.generator_class
    body: dict[str, Any] = {"__slots__": ("fsql_idle",)}
    triggers: tuple[type[exp.Expr], ...] = ()
    full = base.TRANSFORMS.get(exp.Select)
    chain = _chain(full) if full is not None else None
    if chain is not None and any(_name(r) in IDLE_WITHOUT for r in chain[0]):
        rewrites, then = chain
        triggers = tuple(dict.fromkeys(t for r in rewrites
                                       for t in IDLE_WITHOUT.get(_name(r), ())))
        reduced = _preprocess([r for r in rewrites if _name(r) not in IDLE_WITHOUT], then)
        assert full is not None

        def select_sql(self: Any, expression: exp.Expr) -> str:
            if id(expression) in self.fsql_idle:
                return reduced(self, expression)
            return full(self, expression)  # a trigger below it, or built while printing

        body["TRANSFORMS"] = {**base.TRANSFORMS, exp.Select: select_sql}
    if base.identifier_sql is Generator.identifier_sql and \
            _qualname(type(instance).can_quote) in QUOTING_BY_FLAG:
        body["identifier_sql"] = _cached_identifier_sql({})
    if len(body) == 1:
        return None
    body["__doc__"] = f"{base.__name__}, printing the same text with less work."
    return _Fast(instance, type(f"Fsql{base.__name__}", (base,), body), triggers)


# Dialect.can_quote methods that, unless the generator's ``identify`` is set, quote exactly
# the identifiers whose ``quoted`` flag is set (read from sqlglot 30's sources).
QUOTING_BY_FLAG = frozenset({"Dialect.can_quote", "Snowflake.can_quote"})


def _cached_identifier_sql(texts: dict[tuple[str, bool, bool], str]
                           ) -> Callable[[Any, exp.Identifier], str]:
    """sqlglot's ``identifier_sql``, remembered by (name, quoted, pretty) while neither
    ``identify`` nor ``normalize`` is set: then its text depends on nothing else (a name
    recurs hundreds of times in a query)."""

    def identifier_sql(self: Any, expression: exp.Identifier) -> str:
        if self.identify or self.normalize or not isinstance(expression.this, str):
            return Generator.identifier_sql(self, expression)
        key = (expression.this, bool(expression.quoted), bool(self.pretty))
        text = texts.get(key)
        if text is None:
            if len(texts) > 100_000:
                texts.clear()
            text = texts[key] = Generator.identifier_sql(self, expression)
        return text

    return identifier_sql


def _qualname(function: Any) -> str:
    return getattr(function, "__qualname__", "")


def _chain(handler: Callable[..., str]) -> tuple[list[Rewrite], Any] | None:
    """The rewrites and the final printer of a :func:`sqlglot.transforms.preprocess` handler,
    or None for any other handler."""
    code = getattr(handler, "__code__", None)
    if getattr(handler, "__qualname__", "") != "preprocess.<locals>._to_sql" or code is None:
        return None
    cells = dict(zip(code.co_freevars, handler.__closure__ or (), strict=True))
    if set(cells) != {"transforms", "generator"}:
        return None
    rewrites = cells["transforms"].cell_contents
    if not isinstance(rewrites, list) or not rewrites:
        return None
    return list(rewrites), cells["generator"].cell_contents


def _preprocess(rewrites: list[Rewrite], then: Any) -> Callable[..., str]:
    """sqlglot's preprocess of ``rewrites`` (none: the identity), printing with ``then``."""
    from sqlglot import transforms

    return transforms.preprocess(rewrites or [_unchanged], then)


def _unchanged(expression: exp.Expr) -> exp.Expr:
    return expression


def _name(rewrite: Rewrite) -> str:
    return f"{getattr(rewrite, '__module__', '')}.{getattr(rewrite, '__qualname__', '')}"
