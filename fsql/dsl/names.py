"""Checks every definition shares: valid names, where in user code a definition was built,
and constructor arguments checked with a did-you-mean."""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
from typing import Any, TypeVar

from fsql.errors import DefinitionError, did_you_mean

# Names may hold any character a quoted warehouse column takes (spaces, quotes, non-ASCII
# letters); fsql quotes them wherever it writes them. Refused: empty names, control characters
# (no warehouse can show them), and the reserved prefix.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def caller_location() -> str:
    """``file:line`` of the user code that built a definition (first frame outside fsql)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # fsql/
    frame = sys._getframe(2)
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(here):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


def check_name(kind: str, name: Any, location: str) -> str:
    """``name``, refused when empty, holding control characters or fsql's reserved prefix."""
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError(f"{kind} {name!r} ({location}): a name must be a non-empty string")
    if _CONTROL.search(name):
        raise DefinitionError(
            f"{kind} {name!r} ({location}): names cannot hold control characters (tabs, "
            "newlines...); use spaces or underscores")
    if name.lower().startswith("__fsql"):
        raise DefinitionError(f"{kind} {name!r} ({location}): the prefix '__fsql' is reserved "
                              "(in any letter case: warehouses fold it)")
    return name


_Init = TypeVar("_Init", bound=Any)


def checked_arguments(init: _Init) -> _Init:
    """Wrap a DSL constructor so that a misspelled or missing argument is a DefinitionError
    naming the definition, the argument and the closest valid name (not a bare TypeError)."""
    signature = inspect.signature(init)
    kind = init.__qualname__.split(".")[0]
    accepted = [n for n in signature.parameters if n != "self"]

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as err:
            name = args[0] if args and isinstance(args[0], str) else kwargs.get("name", "")
            where = f"{kind}({name!r}) ({caller_location()})" if name else \
                f"{kind} ({caller_location()})"
            unknown = [k for k in kwargs if k not in accepted]
            if unknown:
                raise DefinitionError(
                    f"{where}: unknown argument {unknown[0]!r}."
                    f"{did_you_mean(unknown[0], accepted)} {kind} takes: "
                    f"{', '.join(accepted)}"
                ) from None
            raise DefinitionError(f"{where}: {err}; {kind} takes: {', '.join(accepted)}") \
                from None
        init(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
