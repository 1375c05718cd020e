"""``fsql validate``: load and type-check every definition, compile every service and every
view (a view alone as a request) for each dialect, and parse each statement back with sqlglot
in its dialect, reporting every problem at once.

>>> report = validate("examples/fraud", dialects="duckdb,postgres")  # doctest: +SKIP
>>> report.problems, report.summary()  # doctest: +SKIP
((), 'fsql validate: ... 0 problems')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot.errors import SqlglotError

from fsql.checks.outputs import spine_request
from fsql.checks.settings import GoldenRequest, GoldenSettings, parse_dialects, read_settings
from fsql.dsl.definitions import FeatureService, FeatureView
from fsql.dsl.loading import load_into
from fsql.errors import DefinitionError, FsqlError
from fsql.repo import Repo
from fsql.sql.dialect import available, get_dialect

# A placeholder spine when fsql.toml names none: a table with the columns a request reads.
PLACEHOLDER_SPINE = "spine"
_LOCATION = re.compile(r"(?P<file>[^\s()'\"]+\.py):(?P<line>\d+)")
_CONFIG = re.compile(r"^(?P<file>[^\s()'\"]+\.toml)\b")


@dataclass
class Problem:
    """One problem: where (``file:line`` of the definition), what, and where else it
    appears (the requests and dialects that hit it)."""

    where: str
    message: str
    requests: list[str] = field(default_factory=list)
    dialects: list[str] = field(default_factory=list)

    def format(self) -> str:
        """``file:line: message (in: requests; dialects)`` on one line."""
        context = "; ".join(p for p in (", ".join(self.requests), ", ".join(self.dialects)) if p)
        text = self.message if self.message.startswith(self.where) else \
            f"{self.where}: {self.message}"
        return text + (f" (in: {context})" if context else "")


@dataclass(frozen=True)
class Report:
    """What ``validate`` checked and the problems it found (in the order found)."""

    root: Path
    problems: tuple[Problem, ...]
    services: int
    views: int
    dialects: tuple[str, ...]
    statements: int

    def summary(self) -> str:
        """One line: what was checked and how many problems."""
        return (f"fsql validate: {self.root}: {self.services} services and {self.views} views "
                f"on {', '.join(self.dialects)}: {self.statements} statements compiled and "
                f"parsed, {len(self.problems)} problem(s)")


class _Problems:
    """Problems keyed by message: one problem hit by several requests or dialects is one
    entry that lists them."""

    def __init__(self) -> None:
        self.found: dict[str, Problem] = {}

    def add(self, where: str, message: str, request: str = "", dialect: str = "") -> None:
        problem = self.found.setdefault(message, Problem(where, message))
        if request and request not in problem.requests:
            problem.requests.append(request)
        if dialect and dialect not in problem.dialects:
            problem.dialects.append(dialect)


def validate(repo: str | Path, *, dialects: Sequence[str] | str | None = None) -> Report:
    """Check the repository at ``repo`` on ``dialects`` (default: ``[golden] dialects`` of
    fsql.toml, else every dialect); keeps going after each problem.

    A directory that does not exist or an unknown dialect raises (a usage mistake); every
    problem of the repository itself is in the report."""
    root = Path(repo)
    if not root.is_dir():
        raise DefinitionError(f"Feature repository {str(repo)!r} is not a directory; pass "
                              "--repo DIR")
    problems = _Problems()
    loaded = Repo(root=root.resolve())
    errors: list[DefinitionError] = []
    try:
        load_into(loaded, root, errors=errors)
    except DefinitionError as fatal:  # fsql.toml itself: nothing else can load
        errors.append(fatal)
    for error in errors:
        problems.add(_where(str(error), loaded.root / "fsql.toml"), str(error))
    try:
        settings = read_settings(loaded.root)
    except DefinitionError as err:
        problems.add(str(loaded.root / "fsql.toml"), str(err))
        settings = GoldenSettings(loaded.root / "fsql.toml")
    names = parse_dialects(dialects) if dialects is not None else (
        settings.dialects or tuple(available()))
    requests: list[FeatureView | FeatureService] = [
        *(loaded.views[n] for n in sorted(loaded.views)),
        *(loaded.services[n] for n in sorted(loaded.services))]
    statements = 0
    for dialect in names:
        for definition in requests:
            statements += _check_request(loaded, settings, definition, dialect, problems)
    return Report(loaded.root, tuple(problems.found.values()), len(loaded.services),
                  len(loaded.views), names, statements)


def _check_request(repo: Repo, settings: GoldenSettings, definition: FeatureView |
                   FeatureService, dialect: str, problems: _Problems) -> int:
    """Compile one request for ``dialect`` and parse it back; 1 when it compiled."""
    kind = "service" if isinstance(definition, FeatureService) else "view"
    request = f"{kind} {definition.name}"
    try:
        setting = _spine_setting(repo, settings, definition)
        spine, types = spine_request(repo, setting, dialect)
        sql = repo.compile(definition.name, spine, dialect=dialect, spine_types=types,
                           **settings.options(setting))
    except FsqlError as err:
        problems.add(_where(str(err), definition.location), str(err), request, dialect)
        return 0
    except Exception as err:  # a bug in fsql: report it with the others, keep going
        problems.add(definition.location, f"fsql failed compiling it ({type(err).__name__}: "
                     f"{err}); this is a bug in fsql, please report it", request, dialect)
        return 0
    try:
        sqlglot.parse(sql, dialect=get_dialect(dialect).sqlglot)
    except SqlglotError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        problems.add(definition.location, f"the compiled SQL does not parse back as "
                     f"{dialect}: {first}; this is a bug in fsql, please report it",
                     request, dialect)
    return 1


def _spine_setting(repo: Repo, settings: GoldenSettings,
                   definition: FeatureView | FeatureService) -> GoldenRequest:
    """The golden spine of a service (or the default one for a view), else a placeholder
    table with the columns the request reads: timestamp, join keys, request columns."""
    found = settings.services.get(definition.name) if isinstance(
        definition, FeatureService) else None
    if found or settings.spine:
        return found or settings.spine  # type: ignore[return-value]
    timestamp = "event_timestamp"
    columns = [timestamp]
    for projection in repo.resolve(definition.name):
        columns += [projection.spine_column(k) for k in projection.view.join_keys]
    if isinstance(definition, FeatureService):
        columns += list(definition.request_schema)
    return GoldenRequest(PLACEHOLDER_SPINE, timestamp, tuple(dict.fromkeys(columns)),
                        where=str(repo.root / "fsql.toml"))


def _where(message: str, fallback: str | Path) -> str:
    """The configuration file a message starts with, else the first ``file:line`` it names,
    else ``fallback``."""
    config = _CONFIG.match(message)
    if config:
        return config["file"]
    match = _LOCATION.search(message)
    return f"{match['file']}:{match['line']}" if match else str(fallback)
