"""Load the declarative per-dialect settings shipped in ``fsql.dialects`` (repo: ``dialects/``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from fsql.dsl.functions import AGGREGATE_FUNCTIONS
from fsql.dtypes import DType
from fsql.errors import CompileError, did_you_mean

SnapshotStrategy = Literal["asof_two_phase", "asof_dedup", "window", "range_rank"]
# The engine features (dialects/base.toml [capabilities]) each strategy and plan needs.
STRATEGY_NEEDS: dict[str, frozenset[str]] = {
    "asof_two_phase": frozenset({"asof_join_on", "qualify"}),
    "asof_dedup": frozenset({"asof_match_condition", "qualify"}),
    "window": frozenset({"ignore_nulls", "struct"}),
    "range_rank": frozenset({"qualify"}),
}
PLAN_NEEDS: dict[str, frozenset[str]] = {
    "frames": frozenset({"range_frames_offset"}),
    "join": frozenset({"qualify"}),
    "running": frozenset({"values_lists"}),
    "islands": frozenset({"values_lists"}),
    "blocks": frozenset({"recursive_cte", "bit_shift", "unnest", "values_lists"}),
    "asof": frozenset({"asof_join_on", "struct", "struct_ordering"}),
    # first/last by LAST_VALUE/FIRST_VALUE IGNORE NULLS where the engine has ignore_nulls
    # (and partitions by key), else FIRST_VALUE over the groups of a running count; probes of
    # several windows are a VALUES list crossed with the spine.
    "navigation": frozenset({"values_lists"}),
}
# first/last over frames are MIN/MAX of STRUCT(ts, created, value).
FRAMED_FIRST_LAST_NEEDS = frozenset({"struct", "struct_ordering"})
# Which plans can compute which functions (fsql/sql/aggregation.py, fsql/sql/running.py).
AGGREGATION_PLANS: dict[str, frozenset[str]] = {
    "frames": frozenset(AGGREGATE_FUNCTIONS),
    "join": frozenset(AGGREGATE_FUNCTIONS),
    "running": frozenset({"count"}),
    "islands": frozenset({"count_distinct"}),
    "blocks": frozenset({"sum", "avg", "min", "max"}),
    "asof": frozenset({"first", "last"}),
    "navigation": frozenset({"first", "last"}),
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
    stage_shared_tables: bool
    # Floats: fsql's rule is that NaN is the greatest value (above +inf) in every ordering
    # and in MIN/MAX; these say where the engine differs, so that fsql writes the rule out.
    nan_sorts_lowest: bool
    min_max_propagate_nan: bool
    float_overflow_raises: bool
    avg_of_infinity_is_nan: bool
    capabilities: frozenset[str]
    epoch_micros: dict[str, str]
    types: dict[str, str]
    # [expressions]: templates over placeholders {x}, {y}, {pattern}, {part} and flags for
    # the derived-expression language and typed literals (fsql/expr/, sqltree.literal).
    expressions: dict[str, Any]

    def template(self, key: str, part: str = "", **args: exp.Expr) -> exp.Expr:
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

    def is_nan(self, value: exp.Expr) -> exp.Expr:
        """TRUE when the float ``value`` is NaN (NULL when it is NULL)."""
        return self.template("is_nan", x=value)

    def raise_error(self, message: exp.Expr) -> exp.Expr:
        """An expression that fails the query with ``message`` when it is evaluated."""
        return self.template("raise_error", message=message)

    def wrap(self, key: str, value: exp.Expr) -> exp.Expr:
        """Template ``key`` of ``[expressions]`` around ``value``; the identity template
        ``{x}`` (base.toml's default for such keys) returns ``value`` itself."""
        if self.expressions[key] == "{x}":
            return value
        return self.template(key, x=value)

    def string_order(self, value: exp.Expr) -> exp.Expr:
        """An ORDER BY key or MIN/MAX input that sorts the string ``value`` by code point."""
        out = self.wrap("string_order", value)
        assert isinstance(out, exp.Expr)
        return out

    def epoch_micros_sql(self, column: exp.Expr, dtype: str) -> exp.Expr:
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
    """Names of the dialects fsql ships (``base.toml`` is their schema, not a dialect)."""
    folder = resources.files("fsql.dialects")
    return sorted(p.name[:-5] for p in folder.iterdir()
                  if p.name.endswith(".toml") and p.name != "base.toml")


@cache
def get_dialect(name: str) -> Dialect:
    """The dialect called ``name``; an unknown name fails and suggests the closest one."""
    names = available()
    if name not in names:
        hint = did_you_mean(name, names)
        raise CompileError(f"Unknown dialect {name!r}.{hint} Choose one of: {', '.join(names)}")
    text = resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text()
    return load_dialect(text, where=f"dialects/{name}.toml")


def load_dialect(text: str, *, where: str) -> Dialect:
    """A dialect from the TOML ``text`` of a dialect file, checked against
    ``dialects/base.toml``: every key known and of its type, every plan and strategy given the
    engine features it needs. A mistake raises CompileError naming ``where`` and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CompileError(f"{where}: not valid TOML: {err}") from None
    settings = _merged(_base(), data, where=where)
    for key in ("name", "sqlglot"):
        if not settings[key]:
            raise CompileError(f"{where}: {key} is required")
    capabilities = frozenset(k for k, v in settings["capabilities"].items() if v)
    dialect = Dialect(
        name=settings["name"],
        sqlglot=settings["sqlglot"],
        snapshot_strategy=_choice(settings, "snapshot_strategy", STRATEGY_NEEDS, where),
        created_cutoff_strategy=_choice(settings, "created_cutoff_strategy", STRATEGY_NEEDS,
                                        where),
        reads_local_files=settings["reads_local_files"],
        table_path_as_one_identifier=settings["table_path_as_one_identifier"],
        reserved_words=frozenset(w.lower() for w in settings["reserved_words"]),
        aggregation_plans=_aggregation_plans(where, settings["aggregation_plans"]),
        join_first_last=_choice(settings, "join_first_last",
                                {"row_number": frozenset(), "arg_max": frozenset()}, where),
        running_partitioned=settings["running_partitioned"],
        materialize_ctes=settings["materialize_ctes"],
        stage_shared_tables=settings["stage_shared_tables"],
        nan_sorts_lowest=settings["nan_sorts_lowest"],
        min_max_propagate_nan=settings["min_max_propagate_nan"],
        float_overflow_raises=settings["float_overflow_raises"],
        avg_of_infinity_is_nan=settings["avg_of_infinity_is_nan"],
        capabilities=capabilities,
        epoch_micros=dict(settings["epoch_micros"]),
        types=dict(settings["types"]),
        expressions=dict(settings["expressions"]),
    )
    _check_capabilities(dialect, where)
    return dialect


@cache
def _base() -> dict[str, Any]:
    return tomllib.loads(resources.files("fsql.dialects").joinpath("base.toml").read_text())


def _merged(base: dict[str, Any], data: dict[str, Any], *, where: str,
            table: str = "") -> dict[str, Any]:
    """``base`` with the keys of ``data``: each must exist in ``base`` with the same type."""
    out = dict(base)
    for key, value in data.items():
        path = f"{table}.{key}" if table else key
        if key not in base:
            hint = did_you_mean(key, list(base))
            raise CompileError(f"{where}: unknown setting {path!r}.{hint} "
                               "(dialects/base.toml lists every setting)")
        expected = base[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise CompileError(f"{where}: {path!r} must be a table [{path}]")
            out[key] = _merged(expected, value, where=where, table=path)
        elif type(value) is not type(expected):
            raise CompileError(f"{where}: {path!r} must be a {type(expected).__name__}, got "
                               f"{value!r}")
        else:
            out[key] = value
    return out


def _choice(settings: dict[str, Any], key: str, options: dict[str, frozenset[str]],
            where: str) -> Any:
    value = settings[key]
    if value not in options:
        raise CompileError(f"{where}: {key} = {value!r}; choose one of {', '.join(options)}")
    return value


def _check_capabilities(dialect: Dialect, where: str) -> None:
    """Every strategy and plan the dialect chooses has the engine features it needs."""
    needs: list[tuple[str, frozenset[str]]] = [
        (f"snapshot_strategy = {dialect.snapshot_strategy!r}",
         STRATEGY_NEEDS[dialect.snapshot_strategy]),
        (f"created_cutoff_strategy = {dialect.created_cutoff_strategy!r}",
         STRATEGY_NEEDS[dialect.created_cutoff_strategy]),
    ]
    for function, plan in dialect.aggregation_plans.items():
        extra = FRAMED_FIRST_LAST_NEEDS if plan == "frames" and function in (
            "first", "last") else frozenset()
        needs.append((f"[aggregation_plans] {function} = {plan!r}", PLAN_NEEDS[plan] | extra))
    if dialect.join_first_last == "arg_max":
        needs.append(("join_first_last = 'arg_max'", frozenset({"arg_max", "struct_ordering"})))
    if dialect.materialize_ctes:
        needs.append(("materialize_ctes = true", frozenset({"materialized_cte"})))
    if dialect.stage_shared_tables:
        needs.append(("stage_shared_tables = true", frozenset({"materialized_cte"})))
    for what, required in needs:
        missing = sorted(required - dialect.capabilities)
        if missing:
            raise CompileError(
                f"{where}: {what} needs the engine features {missing}, which [capabilities] "
                "does not declare; choose another strategy or plan, or declare the feature "
                "(with the documentation that shows the engine has it)")


def paren(node: exp.Expr) -> exp.Expr:
    """Parenthesize a compound operand placed into a template or an operator."""
    compound = (exp.Binary, exp.Unary, exp.Between, exp.In, exp.Connector)
    return exp.Paren(this=node) if isinstance(node, compound) and not isinstance(
        node, exp.Paren) else node


def _aggregation_plans(where: str, plans: dict[str, str]) -> dict[str, str]:
    """Check the dialect's plan per aggregate function."""
    for function, plan in plans.items():
        if function not in AGGREGATION_PLANS.get(plan, ()):
            able = sorted(p for p, fs in AGGREGATION_PLANS.items() if function in fs)
            raise CompileError(
                f"{where}: [aggregation_plans] {function} = {plan!r}: that plan cannot "
                f"compute {function}; choose one of {able}"
            )
    return dict(plans)
