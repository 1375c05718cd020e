"""The ``[golden]`` table of ``fsql.toml``: which spine each service's training-set SQL is
compiled for, and the default dialects of ``fsql golden``.

.. code-block:: toml

    [golden]
    spine = "proj.ds.spine"                  # a table name or a SELECT query (required)
    spine_timestamp = "event_timestamp"      # optional (default: event_timestamp)
    spine_columns = ["user_id", "event_timestamp", "label"]   # optional; or a table of dtypes:
    # spine_columns = {user_id = "int64", event_timestamp = "timestamp", label = "bool"}
    dialects = ["duckdb", "bigquery"]        # optional default of --dialects (default: all)
    kinds = ["training", "materialize"]      # optional: the kinds of files (default: all)
    env = "prod"                             # optional: compile for an [environments.NAME]
    full_names = true                        # optional: columns named view__feature
    created_cutoff = true                    # optional: hide rows created after the spine time
    cut = "exclusive"                        # optional (default: each service's own cut)
    end = "2024-06-01"                       # optional: --end of the materialization scripts
    full_refresh = true                      # optional: --full-refresh scripts (default: false)

    [golden.services.fraud_detection]        # optional, per service: overrides the above
    spine = "proj.fraud.transactions"
    spine_columns = {user_id = "int64", event_timestamp = "timestamp", amount = "float64"}
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from fsql.dsl.definitions import FeatureService
from fsql.dtypes import parse_dtype
from fsql.errors import CompileError, DefinitionError, did_you_mean
from fsql.materialize.targets import parse_end
from fsql.sql.dialect import available, get_dialect

SPINE_KEYS = ("spine", "spine_timestamp", "spine_columns", "full_names", "cut",
              "created_cutoff")
TOP_KEYS = (*SPINE_KEYS, "dialects", "kinds", "env", "end", "full_refresh", "services")
KIND_NAMES = ("training", "materialize", "dbt")  # fsql/checks/outputs.py KINDS
EXAMPLE = '[golden]\nspine = "proj.ds.spine"'
# The --end of the golden materialization scripts when [golden] names none: a fixed time, so
# the text is the same on every run (it only appears as T1 and in the run id).
DEFAULT_END = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GoldenRequest:
    """How a service's golden training set is asked for: its spine and options.

    ``columns`` are the spine's columns in order (needed on dialects without
    ``SELECT * EXCEPT``: postgres); ``dtypes`` the fsql dtypes of those given with one;
    ``where`` the fsql.toml table it comes from (for messages)."""

    relation: str
    timestamp: str = "event_timestamp"
    columns: tuple[str, ...] | None = None
    dtypes: tuple[tuple[str, str], ...] = ()
    where: str = "[golden]"
    full_names: bool = False
    cut: Literal["inclusive", "exclusive"] | None = None
    created_cutoff: bool = False


@dataclass(frozen=True)
class GoldenSettings:
    """The ``[golden]`` table of a repository's ``fsql.toml`` (empty when there is none).

    ``kinds`` are the kinds of golden files written (:data:`KIND_NAMES`); ``end`` and
    ``full_refresh`` the ``--end`` and ``--full-refresh`` of the golden materialization
    scripts (``fsql materialize --print``)."""

    config: Path
    spine: GoldenRequest | None = None
    services: Mapping[str, GoldenRequest] = field(default_factory=dict)
    dialects: tuple[str, ...] | None = None
    env: str | None = None
    end: datetime = DEFAULT_END
    kinds: tuple[str, ...] = KIND_NAMES
    full_refresh: bool = False

    def request_for(self, service: FeatureService) -> GoldenRequest:
        """How ``service``'s golden training set is asked for, or an error saying what to add."""
        found = self.services.get(service.name) or self.spine
        if found is None:
            raise DefinitionError(
                f"FeatureService {service.name!r} ({service.location}) has no golden spine: "
                f"add a spine relation to {self.config}, e.g. [golden] spine = "
                f"\"proj.ds.spine\" (or [golden.services.{service.name}] spine = \"...\")")
        return found

    def check_services(self, services: Mapping[str, FeatureService]) -> None:
        """Refuse a ``[golden.services.NAME]`` that names no service (a typo would silently
        leave the service on the default spine)."""
        for name in self.services:
            if name not in services:
                raise DefinitionError(
                    f"{self.config} [golden.services.{name}]: there is no FeatureService "
                    f"{name!r}.{did_you_mean(name, services)} Services: "
                    f"{', '.join(sorted(services)) or '(none)'}")

    def options(self, request: GoldenRequest) -> dict[str, Any]:
        """The request options of ``request`` as :meth:`fsql.Repo.plan` takes them."""
        return dict(env=self.env, spine_timestamp=request.timestamp, cut=request.cut,
                    created_cutoff=request.created_cutoff, full_names=request.full_names)


def read_settings(root: Path) -> GoldenSettings:
    """The ``[golden]`` settings of the repository at ``root`` (checked: unknown keys, bad
    types and unknown dialects are reported with the fix; the services' names by
    :meth:`GoldenSettings.check_services`)."""
    config = root / "fsql.toml"
    if not config.is_file():
        return GoldenSettings(config)
    try:
        table = tomllib.loads(config.read_text()).get("golden", {})
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
        raise DefinitionError(f"{config}: cannot read it as TOML: {err}") from None
    where = f"{config} [golden]"
    if not isinstance(table, dict):
        raise DefinitionError(f"{config}: 'golden' must be a table: write {EXAMPLE}")
    _check_keys(table, TOP_KEYS, where)
    services = table.get("services", {})
    if not isinstance(services, dict) or not all(isinstance(v, dict) for v in services.values()):
        raise DefinitionError(f"{where}: services must hold tables, e.g. "
                              "[golden.services.NAME] spine = \"proj.ds.spine\"")
    # [golden]'s spine settings are the defaults of every service's, with or without a spine.
    template = _spine(table, None, where)
    overrides = {}
    for name, options in services.items():
        place = f"{config} [golden.services.{name}]"
        _check_keys(options, SPINE_KEYS, place)
        overrides[name] = _spine(options, template, place)
        if not overrides[name].relation:
            raise DefinitionError(f"{place}: give spine = \"proj.ds.spine\" (or a default "
                                  "spine in [golden])")
    if not template.relation and not overrides:
        for key in SPINE_KEYS[1:]:
            if key in table:
                raise DefinitionError(f"{where}: {key} without spine; add spine = "
                                      "\"proj.ds.spine\"")
    full_refresh = table.get("full_refresh", False)
    if not isinstance(full_refresh, bool):
        raise DefinitionError(f"{where}: full_refresh must be true or false")
    return GoldenSettings(config, template if template.relation else None, overrides,
                          _dialects(table.get("dialects"), where),
                          _optional_str(table, "env", where), _end(table.get("end"), where),
                          _kinds(table.get("kinds"), where), full_refresh)


def _kinds(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return KIND_NAMES
    if not isinstance(value, list) or not value or not all(isinstance(k, str) for k in value):
        raise DefinitionError(f"{where}: kinds must be a non-empty list, e.g. kinds = "
                              f"[\"training\", \"materialize\"] (of {', '.join(KIND_NAMES)})")
    for kind in value:
        if kind not in KIND_NAMES:
            raise DefinitionError(f"{where} kinds: unknown kind {kind!r}."
                                  f"{did_you_mean(kind, KIND_NAMES)} Kinds: "
                                  f"{', '.join(KIND_NAMES)}")
    return tuple(k for k in KIND_NAMES if k in value)


def _end(value: Any, where: str) -> datetime:
    """The scripts' end: a date or timestamp (TOML's or a string), never "now" (the text
    must be the same on every run)."""
    if value is None:
        return DEFAULT_END
    if (isinstance(value, str) and value.strip().lower() != "now") or \
            isinstance(value, date):
        try:
            return parse_end(value)
        except CompileError:
            pass
    raise DefinitionError(f"{where}: end = {value!r} is not a fixed time; write a date or "
                          "timestamp, e.g. end = \"2024-06-01\" or \"2024-06-01T12:00:00Z\"")


def parse_dialects(text: str | Sequence[str], *, where: str = "--dialects") -> tuple[str, ...]:
    """Dialect names from ``"duckdb,bigquery"`` or a list; an unknown one fails with the
    closest name."""
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else list(text)
    names = [n for n in names if n]
    if not names:
        raise DefinitionError(f"{where}: name at least one dialect ({', '.join(available())})")
    for name in names:
        if not isinstance(name, str) or name not in available():
            hint = did_you_mean(str(name), available())
            raise DefinitionError(f"{where}: unknown dialect {name!r}.{hint} Choose from: "
                                  f"{', '.join(available())}")
        get_dialect(name)
    return tuple(dict.fromkeys(names))


def _dialects(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise DefinitionError(f"{where}: dialects must be a list, e.g. "
                              "dialects = [\"duckdb\", \"bigquery\"]")
    return parse_dialects(value, where=f"{where} dialects")


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise DefinitionError(f"{where}: unknown setting {key!r}.{did_you_mean(key, allowed)}"
                                  f" Settings: {', '.join(allowed)}")


def _optional_str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise DefinitionError(f"{where}: {key} must be a non-empty string, e.g. {key} = \"...\"")
    return value


def _spine(table: Mapping[str, Any], default: GoldenRequest | None, where: str) -> GoldenRequest:
    """A request from ``table``'s keys, the others taken from ``default`` (its relation
    empty when neither names one)."""
    relation = _optional_str(table, "spine", where) or (default.relation if default else "")
    timestamp = _optional_str(table, "spine_timestamp", where) or (
        default.timestamp if default else "event_timestamp")
    flags = {}
    for flag in ("full_names", "created_cutoff"):
        flags[flag] = table.get(flag, getattr(default, flag) if default else False)
        if not isinstance(flags[flag], bool):
            raise DefinitionError(f"{where}: {flag} must be true or false")
    cut = table.get("cut", default.cut if default else None)
    if cut not in (None, "inclusive", "exclusive"):
        raise DefinitionError(f"{where}: cut = {cut!r}; use \"inclusive\" or \"exclusive\"")
    options = dict(full_names=flags["full_names"], cut=cut,
                   created_cutoff=flags["created_cutoff"])
    columns: tuple[str, ...] | None
    if "spine_columns" not in table:
        columns, dtypes = (default.columns, default.dtypes) if default else (None, ())
        return GoldenRequest(relation.strip(), timestamp, columns, dtypes, where, **options)
    value = table["spine_columns"]
    if isinstance(value, dict):
        dtypes = tuple((str(c), str(parse_dtype(t, where=f"{where} spine_columns[{c!r}]")))
                       for c, t in value.items())
        columns = tuple(c for c, _ in dtypes)
    elif isinstance(value, list) and all(isinstance(c, str) and c for c in value):
        columns, dtypes = tuple(value), ()
    else:
        raise DefinitionError(
            f"{where}: spine_columns must be a list of column names, e.g. [\"user_id\", "
            "\"event_timestamp\"], or a table of dtypes, e.g. {user_id = \"int64\", "
            "event_timestamp = \"timestamp\"}")
    if columns is not None and timestamp not in columns:
        raise DefinitionError(f"{where}: spine_columns {list(columns)} lack the spine timestamp "
                              f"column {timestamp!r}; add it (or set spine_timestamp)")
    if columns is not None and len(set(columns)) != len(columns):
        raise DefinitionError(f"{where}: spine_columns repeat a column")
    return GoldenRequest(relation.strip(), timestamp, columns, dtypes, where, **options)
