"""Golden SQL files for a feature repository's CI: ``update`` writes what fsql compiles now,
``check`` compares it with what is committed and reports a unified diff per file.

>>> from fsql.checks import golden
>>> changes = golden.check("examples/fraud", "golden_sql", dialects=["duckdb"])  # doctest: +SKIP
>>> changes.clean, changes.changed, changes.added, changes.removed  # doctest: +SKIP

The directory holds ``<dialect>/<kind>/<file>`` (:mod:`fsql.checks.outputs`). Dialect
directories that were not asked for are left as they are; a file outside that layout (other
than hidden files, ignored) fails the check (:class:`~fsql.errors.CheckError`) and is never
deleted.
"""

from __future__ import annotations

import difflib
import gc
import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fsql.checks.cache import TextCache, default_directory, digest
from fsql.checks.outputs import KINDS, Prepared
from fsql.checks.record import Record, key_digest, text_digest, write_file
from fsql.checks.settings import GoldenSettings, parse_dialects, read_settings
from fsql.errors import CheckError, FsqlError, UnsupportedError
from fsql.repo import Repo
from fsql.sql.compiler import collector_paused
from fsql.sql.dialect import available


@dataclass(frozen=True)
class Changes:
    """How a golden directory differs from what fsql generates now (paths relative to
    ``out``, sorted). ``diffs`` holds one unified diff per changed, added or removed file."""

    out: Path
    changed: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    diffs: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """Whether the directory equals what fsql generates."""
        return not (self.changed or self.added or self.removed)

    def summary(self) -> str:
        """One line: how many files were compared and how many changed, added, removed."""
        total = len(self.changed) + len(self.removed) + self.unchanged + len(self.added)
        counts = (f"{len(self.changed)} changed, {len(self.added)} added, "
                  f"{len(self.removed)} removed, {self.unchanged} unchanged")
        return f"{self.out}: {total} golden files, {counts}"


Repository = Repo | str | Path


def render(repo: Repository, *, dialects: Sequence[str] | str | None = None,
           jobs: int | None = None) -> dict[str, str]:
    """Every golden file fsql generates now: relative path -> text, sorted by path.

    ``dialects`` defaults to ``[golden] dialects`` of ``fsql.toml``, else every dialect;
    ``jobs`` > 1 prints the files in that many processes (:func:`default_jobs` when None).

    >>> render("examples/fraud", dialects="duckdb")  # doctest: +SKIP
    {'duckdb/training/fraud_detection.sql': '-- fsql ...'}
    """
    loaded = _load(repo)
    settings = _settings(loaded)
    texts, _, _ = _generate(loaded, settings, _dialects(settings, dialects), {}, jobs,
                            TextCache(None), Record(Path(".")))
    return texts


def compare(expected: Mapping[str, str], out: str | Path, *, dialects: Iterable[str],
            unchanged: Iterable[str] = ()) -> Changes:
    """Compare ``expected`` (relative path -> text) with the files under ``out`` that belong
    to ``dialects``; ``unchanged`` are generated files known to equal the committed ones
    (not in ``expected``). A file outside the layout raises :class:`~fsql.errors.CheckError`."""
    root = Path(out)
    committed = _golden_files(root, set(dialects), tuple(KINDS))
    return _compare(expected, root, committed, set(unchanged))


def check(repo: Repository, out: str | Path, *, dialects: Sequence[str] | str | None = None,
          jobs: int | None = None, cache: bool = True) -> Changes:
    """How the golden directory ``out`` differs from what fsql generates now; changes
    nothing. ``changes.clean`` is the verdict. A committed file whose inputs match the
    directory's record (:mod:`fsql.checks.record`) or the local cache
    (:mod:`fsql.checks.cache`) is not compiled again; ``cache=False`` compiles every file."""
    return _run(repo, out, dialects, jobs, cache, write=False)


def update(repo: Repository, out: str | Path, *, dialects: Sequence[str] | str | None = None,
           jobs: int | None = None, cache: bool = True) -> Changes:
    """Write what fsql generates now under ``out`` (only files whose text changed), delete
    fsql's files that are no longer generated and bring the directory's record
    (``.fsql-golden.json``, commit it with the files) up to date; returns what changed (as
    :func:`check` would have reported it). Files that are not fsql's make it fail before
    anything is written."""
    return _run(repo, out, dialects, jobs, cache, write=True)


def _run(repo: Repository, out: str | Path, dialects: Sequence[str] | str | None,
         jobs: int | None, cache: bool, *, write: bool) -> Changes:
    loaded = _load(repo)
    settings = _settings(loaded)
    names = _dialects(settings, dialects)
    root = Path(out)
    _check_out(root)
    committed = _golden_files(root, set(names), settings.kinds)
    store = TextCache(default_directory() if cache else None)
    record = Record.load(root)
    texts, same, keys = _generate(loaded, settings, names, {p: root / p for p in committed},
                                  jobs, store, record if cache else Record(record.path))
    changes = _compare(texts, root, committed, same)
    if write:
        for path in (*changes.changed, *changes.added):
            write_file(root / path, texts[path])
        for path in changes.removed:
            (root / path).unlink()
            _remove_empty_parents(root / path, root)
        for path in changes.removed:
            record.files.pop(path, None)
        for path, key in keys.items():
            text = texts[path] if path in texts else _read(root / path)
            record.files[path] = (key, text_digest(text))
        record.save()
    return changes


def _compare(expected: Mapping[str, str], root: Path, committed: set[str],
             same: set[str]) -> Changes:
    changed: list[str] = []
    added: list[str] = []
    removed: list[str] = []
    diffs: list[str] = []
    unchanged = 0
    for path in sorted(set(expected) | committed | same):
        if path in same:
            unchanged += 1
            continue
        new = expected.get(path)
        old = _read(root / path) if path in committed else None
        if old == new:
            unchanged += 1
            continue
        (added if old is None else removed if new is None else changed).append(path)
        diffs.append(unified_diff(path, old, new))
    return Changes(root, tuple(changed), tuple(added), tuple(removed), unchanged, tuple(diffs))


def _generate(repo: Repo, settings: GoldenSettings, dialects: Sequence[str],
              committed: Mapping[str, Path], jobs: int | None, store: TextCache,
              record: Record) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """The texts of the golden files, sorted by path, but for those whose key the record
    or the cache says produced the committed text (returned as the second value); the
    third value is every file's key digest (:func:`~fsql.checks.record.key_digest`)."""
    todo: list[tuple[str, str, str, Prepared]] = []
    same: set[str] = set()
    keys: dict[str, str] = {}
    for name in settings.kinds:
        kind = KINDS[name]
        for dialect in (d for d in dialects if kind.writes(d)):
            for item in kind.items(repo):
                path = kind.path(dialect, item)
                prepared = _prepare_one(repo, settings, name, dialect, item)
                keys[path] = key_digest(prepared.key, repo.root)
                if path in committed and _known(path, keys[path], prepared.key,
                                                _read(committed[path]), store, record):
                    same.add(path)
                else:
                    todo.append((name, dialect, item, prepared))
    texts = _render_all([(KINDS[name].path(dialect, item), prepared)
                         for name, dialect, item, prepared in todo], jobs)
    files = {}
    for (name, dialect, item, prepared), text in zip(todo, texts, strict=True):
        store.put(prepared.key, digest(text))
        files[KINDS[name].path(dialect, item)] = text
    return dict(sorted(files.items())), same, keys


def _known(path: str, key_digest: str, key: str, committed: str, store: TextCache,
           record: Record) -> bool:
    """Whether the committed text of ``path`` is what its key produced, by the golden
    directory's record or the local cache."""
    if record.holds(path, key_digest, committed):
        return True
    known = store.get(key)
    return known is not None and known == digest(committed)


def unified_diff(path: str, old: str | None, new: str | None) -> str:
    """A unified diff of one golden file (``old``: committed, ``new``: generated now;
    None: no such file), every line ending with a newline."""
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _load(repo: Repository) -> Repo:
    return repo if isinstance(repo, Repo) else Repo.load(repo)


def _settings(repo: Repo) -> GoldenSettings:
    settings = read_settings(repo.root)
    settings.check_services(repo.services)
    return settings


def _dialects(settings: GoldenSettings, dialects: Sequence[str] | str | None) -> tuple[str, ...]:
    if dialects is not None:
        return parse_dialects(dialects)
    return settings.dialects or tuple(available())


def _check_out(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise CheckError(f"The golden directory {str(root)!r} is a file; pass --out DIR (a "
                         "directory, created by fsql golden update)")


def _golden_files(root: Path, dialects: set[str], kinds: Sequence[str]) -> set[str]:
    """fsql's files under ``root`` of ``kinds`` for ``dialects``; files that are not fsql's
    raise (a file of a kind for a dialect it is not written for is not fsql's)."""
    if not root.is_dir():
        return set()
    found: set[str] = set()
    foreign: list[str] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = Path(directory, name).relative_to(root).as_posix()
            parts = path.split("/", 2)
            kind = KINDS.get(parts[1]) if len(parts) == 3 else None
            if parts[0] not in available() or kind is None or not kind.owns(parts[2]) or \
                    not kind.writes(parts[0]):
                foreign.append(path)
            elif parts[0] in dialects and kind.name in kinds:
                found.add(path)
    if foreign:
        shown = ", ".join(sorted(foreign)[:10]) + (", ..." if len(foreign) > 10 else "")
        raise CheckError(
            f"The golden directory {str(root)!r} holds {len(foreign)} file(s) that fsql did not "
            f"write: {shown}; move them out of it (fsql never deletes them). It holds only "
            + ", ".join(k.layout() for k in KINDS.values()))
    return found


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _remove_empty_parents(path: Path, root: Path) -> None:
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


# Files above which golden update and check print in one process per CPU by default.
PARALLEL_FROM = 64


def default_jobs(files: int) -> int:
    """How many processes print ``files`` golden files when no ``jobs`` is given: one per CPU
    this process may run on from :data:`PARALLEL_FROM` files up (a process costs a fork and
    little else), else 1."""
    if files < PARALLEL_FROM:
        return 1
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


# The prepared files of the running _render_all (which forked workers inherit).
_FORKED: list[tuple[str, Prepared]] = []


def _render_all(todo: list[tuple[str, Prepared]], jobs: int | None) -> list[str]:
    """The texts of ``todo`` ((path, prepared file) pairs), in order. In ``jobs`` > 1
    processes, forked once this process has prepared (loaded and planned) everything, so
    that a worker prints files the parent prepared instead of loading the repository again;
    where processes cannot be forked (Windows), in this one."""
    count = default_jobs(len(todo)) if jobs is None else jobs
    count = min(count, len(todo))
    if count > 1 and "fork" not in multiprocessing.get_all_start_methods():
        count = 1
    global _FORKED
    _FORKED = todo
    # What exists now (the repository, its plans, the prepared files) outlives the printing:
    # the cyclic collector, which runs often while sqlglot trees are built and dropped, then
    # does not rescan it each time (nor, in a worker, copy the inherited heap page by page).
    # (Unless the caller froze objects itself: unfreezing afterwards would undo that.)
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        if count <= 1:
            return [_forked_render(i) for i in range(len(todo))]
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_forked_render, range(len(todo)),
                                 chunksize=max(1, len(todo) // (16 * count))))
    finally:
        _FORKED = []
        if freeze:
            gc.unfreeze()


def _forked_render(index: int) -> str:
    path, prepared = _FORKED[index]
    with collector_paused():  # one collection after the file (its trees are garbage then)
        return _rendered(prepared, path)


def _prepare_one(repo: Repo, settings: GoldenSettings, kind: str, dialect: str,
                 item: str) -> Prepared:
    """One golden file, prepared; an error says which file it was for."""
    try:
        return KINDS[kind].prepare(repo, settings, dialect, item)
    except FsqlError as err:
        hint = ""
        if isinstance(err, UnsupportedError) and kind != "training":  # a latest table's
            hint = (" (or, to write no materialization scripts and dbt models, set [golden] "
                    f"kinds = [\"training\"] in {settings.config})")
        raise type(err)(f"{KINDS[kind].path(dialect, item)}: {err}{hint}") from None


def _rendered(prepared: Prepared, path: str) -> str:
    try:
        return prepared.render()
    except FsqlError as err:
        raise type(err)(f"{path}: {err}") from None
