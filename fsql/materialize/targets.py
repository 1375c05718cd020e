"""Where latest tables live: a URL or a named ``[targets.NAME]`` of ``fsql.toml``.

>>> parse_url("duckdb:///fsql_store.duckdb", root=Path("/repo")).path
PosixPath('/repo/fsql_store.duckdb')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fsql.engines import bigquery, snowflake
from fsql.engines.credentials import (
    Credentials,
    bigquery_credentials,
    bigquery_endpoint,
    snowflake_credentials,
)
from fsql.errors import CompileError, DefinitionError, UnsupportedError, did_you_mean

DEFAULT_URL = "duckdb:///fsql_store.duckdb"
SCHEMES = ("duckdb", "bigquery", "snowflake")
END_FORMATS = ("now", "2024-03-01", "2024-03-01T12:00:00", "2024-03-01 12:00:00+02:00",
               "2024-03-01T12:00:00Z")


@dataclass(frozen=True)
class Target:
    """A parsed target: its scheme (the dialect), its DuckDB file (DuckDB only), the schema
    and name prefix of the tables it holds, and the warehouse's coordinates: ``host`` (the
    BigQuery project, the Snowflake account), ``database`` (the BigQuery dataset, the Snowflake
    database), ``user`` and the URL's ``options``. ``url`` never holds a secret (a URL with a
    password is refused)."""

    url: str
    scheme: str
    path: Path | None = None
    schema: str = ""
    prefix: str = ""
    host: str = ""
    database: str = ""
    user: str = ""
    options: tuple[tuple[str, str], ...] = ()

    def qualified(self, table: str) -> str:
        """``schema.table`` (or ``table`` without a schema)."""
        return f"{self.schema}.{table}" if self.schema else table

    def option(self, name: str) -> str | None:
        """The URL's ``?name=value``, or None."""
        return dict(self.options).get(name)


# What each scheme's URL may set after ``?`` (anything else is a typo, refused).
OPTIONS = {
    "duckdb": (),
    "bigquery": ("location", "api_endpoint"),
    "snowflake": ("warehouse", "role", "connection", "host", "port", "protocol"),
}
PASSWORD_HOME = {
    "bigquery": "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS or "
                "`gcloud auth application-default login`)",
    "snowflake": "SNOWFLAKE_PASSWORD, SNOWFLAKE_PRIVATE_KEY_FILE or ~/.snowflake/connections.toml",
    "duckdb": "nothing (a DuckDB file needs no password)",
}


def parse_url(url: str, *, root: Path, schema: str = "", prefix: str = "") -> Target:
    """``duckdb:///relative/file.duckdb`` (relative to the repository root),
    ``duckdb:////absolute/file.duckdb``, ``bigquery://project/dataset?location=EU``,
    ``snowflake://user@account/database/schema?warehouse=WH&role=R``, read by SQLAlchemy's
    URL parser. Errors name the missing part; no error repeats a password."""
    if "://" not in url:
        raise CompileError(
            f"Target {url!r} is not a URL; write it like {DEFAULT_URL!r} or name a "
            "[targets.NAME] of fsql.toml")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        scheme = url.partition("://")[0]
        raise CompileError(
            f"Target of scheme {scheme!r} is not a URL SQLAlchemy can read; write it like "
            f"{DEFAULT_URL!r}") from None
    shown = parsed.render_as_string(hide_password=True)
    scheme = parsed.drivername
    if scheme not in SCHEMES:
        raise CompileError(
            f"Unknown target scheme {scheme!r} in {shown!r}.{did_you_mean(scheme, SCHEMES)} "
            f"Schemes: {', '.join(SCHEMES)}")
    if parsed.password is not None:
        raise CompileError(
            f"Target {shown!r} holds a password: fsql takes none in a URL (it would show in "
            f"logs and shell history); remove it and provide it by {PASSWORD_HOME[scheme]}")
    options: list[tuple[str, str]] = []
    for key, value in sorted(parsed.query.items()):
        if key not in OPTIONS[scheme]:
            allowed = ", ".join(OPTIONS[scheme]) or "none"
            raise CompileError(
                f"Target {shown!r}: unknown option {key!r}.{did_you_mean(key, OPTIONS[scheme])}"
                f" Options of {scheme} targets: {allowed}")
        options.append((key, value if isinstance(value, str) else value[-1]))
    if scheme == "duckdb":
        file = parsed.database or ""
        if not file or parsed.host:
            raise CompileError(
                f"Target {shown!r} names no file; write it like {DEFAULT_URL!r}")
        path = Path(file) if Path(file).is_absolute() else root / file
        return Target(shown, scheme, path, schema, prefix)
    parts = [p for p in (parsed.database or "").split("/") if p]
    if scheme == "bigquery":
        if not parsed.host:
            raise CompileError(f"Target {shown!r} names no project; write it like "
                               "'bigquery://project/dataset?location=EU'")
        if len(parts) != 1:
            raise CompileError(f"Target {shown!r} names {'no' if not parts else 'more than one'}"
                               " dataset; write it like 'bigquery://project/dataset?location=EU'")
        return Target(shown, scheme, None, schema or f"{parsed.host}.{parts[0]}", prefix,
                      parsed.host, parts[0], parsed.username or "", tuple(options))
    if not parsed.host:
        raise CompileError(f"Target {shown!r} names no account; write it like "
                           "'snowflake://user@account/database/schema?warehouse=WH'")
    if len(parts) != 2:
        missing = ("no database", "no schema")[len(parts)] if len(parts) < 2 else \
            "more than a database and a schema"
        raise CompileError(f"Target {shown!r} names {missing}; write it like "
                           "'snowflake://user@account/database/schema?warehouse=WH'")
    return Target(shown, scheme, None, schema or ".".join(parts), prefix, parsed.host,
                  parts[0], parsed.username or "", tuple(options))


def resolve_target(target: str | None, *, root: Path) -> Target:
    """``target``: a URL, a ``[targets.NAME]`` of the repository's fsql.toml, or None (the
    ``default`` target of fsql.toml, else ``duckdb:///fsql_store.duckdb``)."""
    configured = _configured_targets(root / "fsql.toml")
    if target is None:
        if "default" in configured:
            return _from_config("default", configured["default"], root)
        return parse_url(DEFAULT_URL, root=root)
    if "://" in target:
        return parse_url(target, root=root)
    if target not in configured:
        raise CompileError(
            f"Unknown target {target!r}.{did_you_mean(target, configured)} Targets in "
            f"{root / 'fsql.toml'}: {', '.join(sorted(configured)) or '(none)'}; define one as "
            f"[targets.{target}] url = \"{DEFAULT_URL}\", or pass a URL")
    return _from_config(target, configured[target], root)


def _configured_targets(config: Path) -> dict[str, dict[str, object]]:
    if not config.exists():
        return {}
    try:
        data = tomllib.loads(config.read_text())
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
        raise DefinitionError(f"{config}: cannot read it as TOML: {err}") from None
    targets = data.get("targets", {})
    if not isinstance(targets, dict) or not all(isinstance(v, dict) for v in targets.values()):
        raise DefinitionError(f"{config}: write each target as [targets.NAME] with url = ...")
    return targets


def _from_config(name: str, table: dict[str, object], root: Path) -> Target:
    unknown = sorted(set(table) - {"url", "schema", "prefix"})
    if unknown or not isinstance(table.get("url"), str):
        raise DefinitionError(
            f"{root / 'fsql.toml'}: [targets.{name}] needs url = \"...\" and may set schema "
            f"and prefix{'; unknown key ' + repr(unknown[0]) if unknown else ''}")
    return parse_url(str(table["url"]), root=root, schema=str(table.get("schema", "")),
                     prefix=str(table.get("prefix", "")))


def credentials(target: Target) -> Credentials:
    """The credentials a client of ``target`` uses (from the environment or the warehouse's
    standard mechanism); none: a CredentialsError naming the variable or file to set."""
    if target.scheme == "bigquery":
        return bigquery_credentials(target.url, bigquery_endpoint(target.option("api_endpoint")))
    if target.scheme == "snowflake":
        return snowflake_credentials(target.url, target.user, target.option("connection"))
    return Credentials("none (a DuckDB file)")


def bigquery_client(target: Target, found: Credentials | None = None) -> Any:
    """A google-cloud-bigquery client of a BigQuery target (its credentials first, unless
    ``found``: missing ones are a CredentialsError naming the variable or file to set)."""
    return bigquery.client(target.host, location=target.option("location"),
                           endpoint=bigquery_endpoint(target.option("api_endpoint")),
                           credentials=found if found is not None else credentials(target))


def snowflake_connection(target: Target) -> Any:
    """A snowflake-connector-python connection to a Snowflake target (its credentials
    first: missing ones are a CredentialsError naming the variable or file to set)."""
    found = credentials(target)
    return snowflake.connection(target.host, database=target.database,
                                schema=target.schema.split(".")[-1],
                                options=dict(target.options), credentials=found)


def executable(target: Target) -> Target:
    """``target``, if fsql executes this run there itself (DuckDB), else an error naming the
    fix (print the script with ``--dialect D --print`` and run it in the warehouse)."""
    if target.scheme != "duckdb":
        raise UnsupportedError(
            f"Target {target.url!r}: fsql executes this on DuckDB targets (run, materialize, "
            "sync, freshness, consistency and backfill also on BigQuery and Snowflake ones); "
            f"print the {target.scheme} script with --dialect {target.scheme} --print and run "
            "it in the warehouse")
    return target


def parse_end(text: str | datetime | date | None) -> datetime:
    """``--end``: ``now`` (default), an ISO 8601 date or timestamp; naive means UTC."""
    if text is None or text == "now":
        return datetime.now(UTC)
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day, tzinfo=UTC)
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        raise CompileError(
            f"--end {text!r} is not a time; write one of: {', '.join(END_FORMATS)} "
            "(ISO 8601; without an offset it is UTC)") from None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
