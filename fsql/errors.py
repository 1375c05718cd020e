"""One small hierarchy of errors. Every message says what is wrong, where, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the candidate closest to ``name``, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


class FsqlError(Exception):
    """Root of every error fsql raises on purpose (a user mistake or an unsupported request)."""


class DefinitionError(FsqlError):
    """A feature definition (entity, source, view, service, reference) is invalid."""


class CompileError(FsqlError):
    """A valid definition cannot be compiled for this request (bad spine, name collision...)."""


class UnsupportedError(CompileError):
    """A construct has no exact translation on the requested dialect; fsql refuses to drop it."""


class ExecutionError(FsqlError):
    """Running compiled SQL failed (missing file, engine error)."""


class QueryRejectedError(ExecutionError):
    """The warehouse refused one statement (a missing table, a type error, a syntax error):
    a problem of that statement, unlike an endpoint that cannot be reached."""


class StoreUnavailableError(ExecutionError):
    """The online store cannot answer as asked: unreachable, a view never synced, or synced
    from another definition. The request is fine; the store needs fixing (a server answers
    503)."""


class StoreDefinitionError(StoreUnavailableError, DefinitionError):
    """The online store holds a view synced from another definition (or cut) than the
    request's: re-materialize and sync it. A DefinitionError for callers in Python, a 503
    over HTTP (the store, not the request, needs fixing)."""


class CheckError(FsqlError):
    """A check cannot run as asked (a golden directory holding files fsql did not write)."""
