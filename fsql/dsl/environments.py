"""Environments: which of a source's locations a request reads (its local file or its warehouse
table), and under which database/schema, from ``fsql.toml``:

    [environments.dev]            # DuckDB on local files (also the default without --env)
    sources = "files"
    [environments.prod]
    dialect = "bigquery"          # the default dialect when this environment is chosen
    sources = "tables"
    database = "acme-prod"        # replaces the database (project) part of every table name
    schema = "fraud"              # replaces the schema (dataset) part
    [environments.prod.tables]    # per source: the whole table name, taken as written
    transactions = "acme-prod.payments.transactions"

Without an environment, a dialect that reads local files (DuckDB) reads a source's ``path``
when it has one, and a warehouse reads its ``table`` or ``query``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fsql.dsl.definitions import Source
from fsql.errors import DefinitionError, UnsupportedError, did_you_mean

Reads = Literal["files", "tables"]
_KEYS = ("dialect", "sources", "database", "schema", "tables")


@dataclass(frozen=True)
class Environment:
    """One ``[environments.NAME]`` table of ``fsql.toml``."""

    name: str
    sources: Reads | None = None
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None
    tables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Location:
    """Where a request reads a source: a local file (path relative to the repository root,
    or absolute as written), a warehouse table, or a query."""

    kind: Literal["path", "table", "query"]
    ref: str


def parse_environments(data: Any, *, where: str) -> dict[str, Environment]:
    """The ``[environments]`` table of ``fsql.toml`` (``where`` names the file)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DefinitionError(f"{where}: 'environments' must be a table of [environments.NAME]")
    result = {}
    for name, body in data.items():
        here = f"{where} [environments.{name}]"
        if not isinstance(body, dict):
            raise DefinitionError(f"{here}: must be a table, e.g. sources = \"tables\"")
        unknown = [k for k in body if k not in _KEYS]
        if unknown:
            hint = did_you_mean(unknown[0], _KEYS)
            raise DefinitionError(
                f"{here}: unknown key {unknown[0]!r}.{hint} Keys: {', '.join(_KEYS)}")
        if body.get("sources") not in (None, "files", "tables"):
            raise DefinitionError(
                f"{here}: sources = {body['sources']!r}; use \"files\" (local paths) or "
                "\"tables\" (warehouse tables and queries)")
        for key in ("dialect", "database", "schema"):
            if key in body and (not isinstance(body[key], str) or not body[key]):
                raise DefinitionError(f"{here}: {key} must be a non-empty string")
        tables = body.get("tables", {})
        if not isinstance(tables, dict) or not all(
                isinstance(v, str) and v for v in tables.values()):
            raise DefinitionError(
                f"{here}.tables: map source names to table names, e.g. "
                "transactions = \"proj.dataset.transactions\"")
        result[name] = Environment(name, body.get("sources"), body.get("dialect"),
                                   body.get("database"), body.get("schema"), dict(tables))
    return result


def check_environment_sources(environments: Mapping[str, Environment],
                              sources: Mapping[str, Source], *, where: str) -> None:
    """Every source an environment renames exists (a typo would silently read the default)."""
    for env in environments.values():
        for name in env.tables:
            if name not in sources:
                hint = did_you_mean(name, list(sources))
                raise DefinitionError(
                    f"{where} [environments.{env.name}.tables]: no source is named {name!r}."
                    f"{hint} Sources: {', '.join(sorted(sources)) or '(none)'}")


def locate(source: Source, *, reads_local_files: bool, dialect: str,
           env: Environment | None) -> Location:
    """The location of ``source`` that a request for ``dialect`` in ``env`` reads."""
    reads: Reads = (env.sources if env and env.sources
                    else "files" if reads_local_files else "tables")
    if env is not None and reads == "tables" and source.name in env.tables:
        return Location("table", env.tables[source.name])
    if reads == "files" and source.path:
        return Location("path", source.path)
    if source.table:
        return Location("table", _in_environment(source.table, env))
    if source.query:
        return Location("query", source.query)
    assert source.path
    if not reads_local_files:
        scope = f" in environment {env.name!r}" if env else ""
        raise UnsupportedError(
            f"Source {source.name!r} ({source.location}) has only the local file "
            f"{source.path!r}, which {dialect} cannot read{scope}; load it into a warehouse "
            "table and add table='dataset.table' to the Source (the file stays for DuckDB; "
            "fsql.toml environments choose which one a request reads)")
    return Location("path", source.path)


def _in_environment(table: str, env: Environment | None) -> str:
    """``table`` with the environment's database and schema in place of its own."""
    if env is None or (env.database is None and env.schema is None):
        return table
    *prefix, name = table.split(".")
    database, schema = ([None] * (2 - len(prefix)) + prefix)[-2:]
    schema = env.schema or schema
    database = env.database or database
    if database and not schema:
        raise DefinitionError(
            f"[environments.{env.name}] sets database = {env.database!r}, but table {table!r} "
            "has no schema (dataset): set schema = \"...\" too, or name the table in "
            f"[environments.{env.name}.tables]")
    return ".".join(p for p in (database, schema, name) if p)
