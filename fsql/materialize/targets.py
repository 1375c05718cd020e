"""Where latest tables live: a URL or a named ``[targets.NAME]`` of ``fsql.toml``.

>>> parse_url("duckdb:///fsql_store.duckdb", root=Path("/repo")).path
PosixPath('/repo/fsql_store.duckdb')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fsql.errors import CompileError, DefinitionError, UnsupportedError, did_you_mean

DEFAULT_URL = "duckdb:///fsql_store.duckdb"
SCHEMES = ("duckdb", "bigquery", "snowflake")
END_FORMATS = ("now", "2024-03-01", "2024-03-01T12:00:00", "2024-03-01 12:00:00+02:00",
               "2024-03-01T12:00:00Z")


@dataclass(frozen=True)
class Target:
    """A parsed target: its scheme (the dialect), its DuckDB file (DuckDB only), and the
    schema and name prefix of the tables it holds."""

    url: str
    scheme: str
    path: Path | None = None
    schema: str = ""
    prefix: str = ""

    def qualified(self, table: str) -> str:
        """``schema.table`` (or ``table`` without a schema)."""
        return f"{self.schema}.{table}" if self.schema else table


def parse_url(url: str, *, root: Path, schema: str = "", prefix: str = "") -> Target:
    """``duckdb:///relative/file.duckdb`` (relative to the repository root),
    ``duckdb:////absolute/file.duckdb``, ``bigquery://project/dataset``,
    ``snowflake://database/schema``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise CompileError(
            f"Target {url!r} is not a URL; write it like {DEFAULT_URL!r} or name a "
            "[targets.NAME] of fsql.toml")
    if scheme not in SCHEMES:
        raise CompileError(
            f"Unknown target scheme {scheme!r} in {url!r}.{did_you_mean(scheme, SCHEMES)} "
            f"Schemes: {', '.join(SCHEMES)}")
    if scheme != "duckdb":
        return Target(url, scheme, None, schema or rest.replace("/", "."), prefix)
    file = rest[1:] if rest.startswith("/") else rest
    if not file:
        raise CompileError(f"Target {url!r} names no file; write it like {DEFAULT_URL!r}")
    path = Path(file) if Path(file).is_absolute() else root / file
    return Target(url, scheme, path, schema, prefix)


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


def executable(target: Target) -> Target:
    """``target``, if this machine can execute a run there (DuckDB), else an error naming the
    fix (print the script with ``--dialect D --print`` and run it in the warehouse)."""
    if target.scheme != "duckdb":
        raise UnsupportedError(
            f"Target {target.url!r}: fsql executes materializations on DuckDB targets only; "
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
