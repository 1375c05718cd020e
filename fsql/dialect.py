"""Load the declarative per-dialect settings shipped in ``fsql.dialects`` (repo: ``dialects/``)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from fsql.dtypes import DType
from fsql.errors import CompileError

SnapshotStrategy = Literal["asof_two_phase", "asof_dedup", "window", "range_rank"]
AGGREGATE_FUNCTIONS = (
    "count", "count_distinct", "sum", "avg", "min", "max", "stddev", "variance", "first", "last",
)
# Which plans can compute which functions (fsql/aggregation_sql.py, fsql/running_sql.py).
AGGREGATION_PLANS: dict[str, frozenset[str]] = {
    "frames": frozenset(AGGREGATE_FUNCTIONS),
    "join": frozenset(AGGREGATE_FUNCTIONS),
    "running": frozenset({"count"}),
    "islands": frozenset({"count_distinct"}),
    "blocks": frozenset({"sum", "avg", "min", "max"}),
    "asof": frozenset({"first", "last"}),
}


@dataclass(frozen=True)
class Dialect:
    """Everything that differs between warehouses, read from ``dialects/<name>.toml``."""

    name: str
    sqlglot: str
    snapshot_strategy: SnapshotStrategy
    created_cutoff_strategy: SnapshotStrategy
    reads_local_files: bool
    table_path_as_one_identifier: bool
    reserved_words: frozenset[str]
    aggregation_plans: dict[str, str]
    join_first_last: Literal["row_number", "arg_max"]
    running_partitioned: bool
    materialize_ctes: bool
    # Floats: fsql's rule is that NaN is the greatest value (above +inf) in every ordering
    # and in MIN/MAX; these say where the engine differs, so that fsql writes the rule out.
    nan_sorts_lowest: bool
    min_max_propagate_nan: bool
    epoch_micros: dict[str, str]
    types: dict[str, str]
    # [expressions]: templates over placeholders {x}, {y}, {pattern}, {part} and flags for
    # the derived-expression language and typed literals (fsql/expressions.py, sqltree.literal).
    expressions: dict[str, Any]

    def template(self, key: str, part: str = "", **args: exp.Expression) -> exp.Expression:
        """Template ``key`` of ``[expressions]`` with the trees ``args`` in its placeholders
        (compound operands parenthesized: hand-built trees carry no precedence)."""
        text = self.expressions[key].format(part=part, **{k: f"__fsql_{k}" for k in args})
        tree = parsed_sql(text, self.sqlglot)
        return tree.transform(lambda node: paren(args[node.name[7:]].copy())
                              if isinstance(node, exp.Column) and node.name.startswith("__fsql_")
                              else node)

    def type_sql(self, dtype: DType) -> exp.DataType:
        """The warehouse type of an fsql dtype, as a sqlglot DataType."""
        template = self.types[dtype.name]
        text = template.format(precision=dtype.precision, scale=dtype.scale)
        return data_type(text, self.sqlglot)

    def int64_sum_type(self) -> exp.DataType:
        """The exact type integer sums are accumulated in (wider than int64)."""
        return data_type(self.types["int64_sum"], self.sqlglot)

    def is_nan(self, value: exp.Expression) -> exp.Expression:
        """TRUE when the float ``value`` is NaN (NULL when it is NULL)."""
        return self.template("is_nan", x=value)

    def raise_error(self, message: exp.Expression) -> exp.Expression:
        """An expression that fails the query with ``message`` when it is evaluated."""
        return self.template("raise_error", message=message)

    def epoch_micros_sql(self, column: exp.Expression, dtype: str) -> exp.Expression:
        """Microseconds since the epoch (UTC) of ``column``, a timestamp or a date."""
        template = parsed_sql(self.epoch_micros[dtype].format(col="__fsql_placeholder"),
                           self.sqlglot)
        return template.transform(
            lambda node: column.copy()
            if isinstance(node, exp.Column) and node.name == "__fsql_placeholder"
            else node
        )


@lru_cache(maxsize=1024)
def parsed_sql(text: str, read: str) -> exp.Expr:
    """``text`` parsed in sqlglot dialect ``read``, once per text: the templates are parsed on
    every use otherwise. Shared: callers copy it (``transform`` does) and never change it."""
    return sqlglot.parse_one(text, read=read)


def data_type(text: str, read: str | None = None) -> exp.DataType:
    """The DataType named ``text`` in sqlglot dialect ``read`` (a new copy of a type parsed
    once)."""
    return _data_type(text, read).copy()


@lru_cache(maxsize=256)
def _data_type(text: str, read: str | None) -> exp.DataType:
    return exp.DataType.build(text, dialect=read)


def available() -> list[str]:
    """Names of the dialects fsql ships."""
    folder = resources.files("fsql.dialects")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


@cache
def get_dialect(name: str) -> Dialect:
    """The dialect called ``name``; an unknown name fails and suggests the closest one."""
    names = available()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CompileError(f"Unknown dialect {name!r}.{hint} Choose one of: {', '.join(names)}")
    data = tomllib.loads(resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text())
    return Dialect(
        name=data["name"],
        sqlglot=data["sqlglot"],
        snapshot_strategy=data["snapshot_strategy"],
        created_cutoff_strategy=data["created_cutoff_strategy"],
        reads_local_files=data["reads_local_files"],
        table_path_as_one_identifier=data["table_path_as_one_identifier"],
        reserved_words=frozenset(w.lower() for w in data["reserved_words"]),
        aggregation_plans=_aggregation_plans(name, data["aggregation_plans"]),
        join_first_last=data.get("join_first_last", "row_number"),
        running_partitioned=data.get("running_partitioned", False),
        materialize_ctes=data.get("materialize_ctes", False),
        nan_sorts_lowest=data["nan_sorts_lowest"],
        min_max_propagate_nan=data["min_max_propagate_nan"],
        epoch_micros=dict(data["epoch_micros"]),
        types=dict(data["types"]),
        expressions=dict(data["expressions"]),
    )


def paren(node: exp.Expression) -> exp.Expression:
    """Parenthesize a compound operand placed into a template or an operator."""
    compound = (exp.Binary, exp.Unary, exp.Between, exp.In, exp.Connector)
    return exp.Paren(this=node) if isinstance(node, compound) and not isinstance(
        node, exp.Paren) else node


def _aggregation_plans(name: str, plans: dict[str, str]) -> dict[str, str]:
    """Check the dialect's plan per aggregate function (a packaging error if wrong)."""
    missing = set(AGGREGATE_FUNCTIONS) - set(plans)
    if missing:
        raise CompileError(f"dialects/{name}.toml: [aggregation_plans] lacks {sorted(missing)}")
    for function, plan in plans.items():
        if function not in AGGREGATION_PLANS.get(plan, ()):
            able = sorted(p for p, fs in AGGREGATION_PLANS.items() if function in fs)
            raise CompileError(
                f"dialects/{name}.toml: plan {plan!r} cannot compute {function!r}; "
                f"choose one of {able}"
            )
    return dict(plans)
