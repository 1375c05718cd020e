"""``fsql validate``: load and type-check every definition, compile every service and every
view (a view alone as a request) for each dialect, and parse each statement back with sqlglot
in its dialect, reporting every problem at once. With a target, each statement of the target's
dialect is also put to the warehouse (a BigQuery dry run or a Snowflake EXPLAIN,
:mod:`fsql.checks.warehouse`): the bytes it would process are reported, a refusal is a
problem at the definition.

>>> report = validate("examples/fraud", dialects="duckdb,postgres")  # doctest: +SKIP
>>> report.problems, report.summary()  # doctest: +SKIP
((), 'fsql validate: ... 0 problems')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot.errors import SqlglotError

from fsql.checks.cache import TextCache, default_directory
from fsql.checks.outputs import spine_request
from fsql.checks.settings import GoldenRequest, GoldenSettings, parse_dialects, read_settings
from fsql.checks.warehouse import HOW, Ask, asker
from fsql.dsl.definitions import FeatureService, FeatureView
from fsql.dsl.loading import load_into
from fsql.errors import DefinitionError, FsqlError, QueryRejectedError
from fsql.materialize.targets import resolve_target
from fsql.repo import Repo
from fsql.sql.compiler import render_plan
from fsql.sql.dialect import available, get_dialect

# A placeholder spine when fsql.toml names none: a table with the columns a request reads.
PLACEHOLDER_SPINE = "spine"
# What the cache records for a plan whose SQL printed and parsed back.
PARSED = "parsed"
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
class DryRun:
    """One statement the warehouse accepted without running it: the request, its dialect
    and the bytes it would process (None: the warehouse did not say)."""

    request: str
    dialect: str
    bytes: int | None

    def format(self) -> str:
        """``service good (bigquery dry run): 1234 bytes would be processed``."""
        amount = "an unknown number of" if self.bytes is None else str(self.bytes)
        how = HOW.get(self.dialect, "dry run")
        return f"{self.request} ({self.dialect} {how}): {amount} bytes would be processed"


@dataclass(frozen=True)
class Report:
    """What ``validate`` checked and the problems it found (by file and line); with a
    target, the statements its warehouse accepted (``dry_runs``)."""

    root: Path
    problems: tuple[Problem, ...]
    services: int
    views: int
    dialects: tuple[str, ...]
    statements: int
    target: str = ""
    dry_runs: tuple[DryRun, ...] = ()

    def summary(self) -> str:
        """One line: what was checked and how many problems."""
        asked = ""
        if self.target:
            total = sum(d.bytes or 0 for d in self.dry_runs)
            how = HOW.get(self.dry_runs[0].dialect if self.dry_runs else "", "dry run")
            asked = (f", {len(self.dry_runs)} accepted by {self.target} in "
                     f"{'an' if how[0] in 'AEIOU' else 'a'} {how} "
                     f"({total} bytes would be processed in all)")
        return (f"fsql validate: {self.root}: {self.services} services and {self.views} views "
                f"on {', '.join(self.dialects)}: {self.statements} statements compiled and "
                f"parsed{asked}, {len(self.problems)} problem(s)")


class _Problems:
    """Problems keyed by place and message: one problem hit by several requests or dialects
    is one entry that lists them."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Problem] = {}

    def add(self, where: str, message: str, request: str = "", dialect: str = "") -> None:
        problem = self.found.setdefault((where, message), Problem(where, message))
        if request and request not in problem.requests:
            problem.requests.append(request)
        if dialect and dialect not in problem.dialects:
            problem.dialects.append(dialect)


def validate(repo: str | Path, *, dialects: Sequence[str] | str | None = None,
             jobs: int = 1, cache: bool = True, target: str | None = None) -> Report:
    """Check the repository at ``repo`` on ``dialects`` (default: ``[golden] dialects`` of
    fsql.toml, else every dialect); keeps going after each problem. ``jobs`` > 1 compiles
    in that many processes (the report is the same). Every request is planned (which
    type-checks it); the printing and parsing back of a plan that the local cache
    (:mod:`fsql.checks.cache`) records as parsed already is skipped, unless ``cache=False``.

    With ``target`` (a URL or a ``[targets.NAME]`` of fsql.toml), every statement of the
    target's dialect (added to ``dialects``) that compiled is also put to its warehouse
    without running it; a statement it refuses is a problem at its definition.

    A directory that does not exist, an unknown dialect, a bad target or its missing
    credentials, a warehouse that cannot be reached raise (a usage mistake or an outage);
    every problem of the repository itself is in the report."""
    root = Path(repo)
    if not root.is_dir():
        raise DefinitionError(f"Feature repository {str(repo)!r} is not a directory; pass "
                              "--repo DIR")
    where = resolve_target(target, root=root.resolve()) if target is not None else None
    ask = asker(where) if where is not None else None
    problems = _Problems()
    loaded, errors = _load(root)
    for error in errors:
        problems.add(_where(str(error), loaded.root / "fsql.toml"), str(error))
    try:
        settings = read_settings(loaded.root)
        settings.check_services(loaded.services)
    except DefinitionError as err:
        problems.add(str(loaded.root / "fsql.toml"), str(err))
        settings = GoldenSettings(loaded.root / "fsql.toml")
    names = parse_dialects(dialects) if dialects is not None else (
        settings.dialects or tuple(available()))
    if where is not None and where.scheme not in names:
        names += (where.scheme,)
    asked = where.scheme if where is not None else None
    tasks = [(dialect, kind, name, dialect == asked) for dialect in names
             for kind, table in (("view", loaded.views), ("service", loaded.services))
             for name in sorted(table)]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(min(jobs, len(tasks)), initializer=_worker_load,
                                 initargs=(str(loaded.root), settings, cache)) as pool:
            results = list(pool.map(_worker_check, tasks,
                                    chunksize=max(1, len(tasks) // (4 * jobs))))
    else:
        store = TextCache(default_directory() if cache else None)
        results = [_check_request(loaded, settings, store, *task) for task in tasks]
    statements = 0
    dry_runs: list[DryRun] = []
    for (dialect, kind, name, _), (found, compiled, sql) in zip(tasks, results, strict=True):
        statements += compiled
        for place, message in found:
            problems.add(place, message, f"{kind} {name}", dialect)
        if ask is not None and sql is not None and not found:
            dry_runs += _ask(ask, loaded, settings, problems, dialect, kind, name, sql)
    ordered = sorted(problems.found.values(), key=lambda p: _place(p.where))
    return Report(loaded.root, tuple(ordered), len(loaded.services), len(loaded.views), names,
                  statements, where.url if where is not None else "", tuple(dry_runs))


def _ask(ask: Ask, repo: Repo, settings: GoldenSettings, problems: _Problems, dialect: str,
         kind: str, name: str, sql: str) -> list[DryRun]:
    """Put one compiled statement to the warehouse: accepted, its dry run; refused, a
    problem at its definition (other errors, an outage, propagate)."""
    definition: FeatureView | FeatureService = (
        repo.views[name] if kind == "view" else repo.services[name])
    label = f"{'FeatureView' if kind == 'view' else 'FeatureService'} {name!r}"
    try:
        return [DryRun(f"{kind} {name}", dialect, ask(sql, f"{kind} {name!r}"))]
    except QueryRejectedError as err:
        message = f"{label} ({definition.location}): {err}"
        placeholder = not settings.spine and not (kind == "service" and name in settings.services)
        if placeholder and "spine" in str(err):
            message += (f"; the spine is the placeholder table {PLACEHOLDER_SPINE!r} of the "
                        "target's dataset: name a spine table the warehouse has with [golden] "
                        f"spine = \"proj.ds.spine\" in {repo.root / 'fsql.toml'}")
        problems.add(definition.location, message, f"{kind} {name}", dialect)
        return []


def _load(root: Path) -> tuple[Repo, list[DefinitionError]]:
    """The repository's definitions that load, and the errors of the files that do not."""
    loaded = Repo(root=root.resolve())
    errors: list[DefinitionError] = []
    try:
        load_into(loaded, root, errors=errors)
    except DefinitionError as fatal:  # fsql.toml itself: nothing else can load
        errors.append(fatal)
    return loaded, errors


def _check_request(repo: Repo, settings: GoldenSettings, store: TextCache, dialect: str,
                   kind: str, name: str, keep_sql: bool = False
                   ) -> tuple[list[tuple[str, str]], int, str | None]:
    """Compile one request for ``dialect`` and parse it back: its problems (where, message),
    1 when it compiled, and its SQL when ``keep_sql`` (printed even if the cache knows it)."""
    definition: FeatureView | FeatureService = (
        repo.views[name] if kind == "view" else repo.services[name])
    # A view is requested as the object: a service of the same name would win over a name.
    request: str | list[FeatureView] = [definition] if isinstance(
        definition, FeatureView) else name
    try:
        setting = _spine_setting(repo, settings, definition)
        spine, types = spine_request(repo, setting, dialect)
        plan = repo.plan(request, spine, dialect=dialect, spine_types=types,
                         **settings.options(setting))
        key = f"validate\0{dialect}\0{plan!r}"
        known = store.get(key) == PARSED
        if known and not keep_sql:
            return [], 1, None
        target = get_dialect(dialect)
        sql = render_plan(plan, target)
    except FsqlError as err:
        return [(_where(str(err), definition.location), str(err))], 0, None
    except Exception as err:  # a bug in fsql: report it with the others, keep going
        return [(definition.location, f"fsql failed compiling it ({type(err).__name__}: "
                 f"{err}); this is a bug in fsql, please report it")], 0, None
    kept = sql if keep_sql else None
    if known:
        return [], 1, kept
    try:
        sqlglot.parse(sql, dialect=target.sqlglot)
    except SqlglotError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return [(definition.location, f"the compiled SQL does not parse back as {dialect}: "
                 f"{first}; this is a bug in fsql, please report it")], 1, None
    store.put(key, PARSED)
    return [], 1, kept


_worker: tuple[Repo, GoldenSettings, TextCache] | None = None


def _worker_load(root: str, settings: GoldenSettings, cache: bool) -> None:
    global _worker
    _worker = (_load(Path(root))[0], settings, TextCache(default_directory() if cache else None))


def _worker_check(task: tuple[str, str, str, bool]
                  ) -> tuple[list[tuple[str, str]], int, str | None]:
    assert _worker is not None
    repo, settings, store = _worker
    dialect, kind, name, keep_sql = task
    return _check_request(repo, settings, store, dialect, kind, name, keep_sql)


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
    request = [definition] if isinstance(definition, FeatureView) else definition.name
    for projection in repo.resolve(request):
        columns += [projection.spine_column(k) for k in projection.view.join_keys]
    if isinstance(definition, FeatureService):
        columns += list(definition.request_schema)
    return GoldenRequest(PLACEHOLDER_SPINE, timestamp, tuple(dict.fromkeys(columns)),
                        where=str(repo.root / "fsql.toml"))


def _place(where: str) -> tuple[str, int]:
    """``file:line`` as a sort key (line 12 after line 9)."""
    file, _, line = where.rpartition(":")
    return (file, int(line)) if line.isdigit() else (where, 0)


def _where(message: str, fallback: str | Path) -> str:
    """The configuration file a message starts with, else the first ``file:line`` it names,
    else ``fallback``."""
    config = _CONFIG.match(message)
    if config:
        return config["file"]
    match = _LOCATION.search(message)
    return f"{match['file']}:{match['line']}" if match else str(fallback)
