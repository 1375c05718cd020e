"""A local cache for ``fsql golden``: the digest of the text a golden file's inputs produced,
so that a check whose inputs did not change reads the committed file instead of compiling.

The key of a file is everything its text is a function of: its path (kind, dialect, item),
the plan (``repr`` of the frozen plan dataclasses: definitions, settings and the file
schemas the planner read), the source of fsql itself and of its dialect files, and sqlglot's
version. A key that differs only costs a compile; a file whose committed text differs from
the cached digest is compiled and diffed. The cache lives in ``$FSQL_CACHE_DIR`` (default
``$XDG_CACHE_HOME/fsql/golden``, else ``~/.cache/fsql/golden``); ``FSQL_CACHE_DIR=off``
turns it off. It is never part of the golden directory.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

import sqlglot

OFF = ("", "0", "off", "none", "false")


def digest(text: str) -> str:
    """The sha256 of ``text`` (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def code_fingerprint() -> str:
    """A digest of fsql's own source, its dialect files and sqlglot's version: a change of
    the compiler invalidates every entry."""
    hasher = hashlib.sha256(sqlglot.__version__.encode())
    package = Path(__file__).resolve().parents[1]  # fsql/
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode())
        hasher.update(path.read_bytes())
    dialects = resources.files("fsql.dialects")
    for entry in sorted(dialects.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            hasher.update(entry.name.encode())
            hasher.update(entry.read_bytes())
    return hasher.hexdigest()


def default_directory() -> Path | None:
    """Where the cache lives (None: off)."""
    configured = os.environ.get("FSQL_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in OFF else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fsql" / "golden"


class TextCache:
    """Key -> digest of the text it produced, one small file per key (concurrent writers
    replace whole files; an unreadable or unwritable cache behaves as empty)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _file(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        name = hashlib.sha256(f"{code_fingerprint()}\0{key}".encode()).hexdigest()
        return self.directory / name[:2] / name

    def get(self, key: str) -> str | None:
        """The digest recorded for ``key``, if any."""
        path = self._file(key)
        try:
            return path.read_text().strip() if path is not None else None
        except OSError:
            return None

    def put(self, key: str, text_digest: str) -> None:
        """Record that ``key`` produced a text of digest ``text_digest``."""
        path = self._file(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(text_digest)
            os.replace(temporary, path)
        except OSError:
            return
