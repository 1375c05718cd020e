"""Durations (TTLs, windows): a ``timedelta`` or a string of whole units such as ``"1h30m"``."""

from __future__ import annotations

import re
from datetime import timedelta

from fsql.errors import DefinitionError

_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
          "m": timedelta(minutes=1), "s": timedelta(seconds=1)}
_PART = re.compile(r"(\d+)([a-zA-Z]+)")


def parse_duration(value: timedelta | str, *, where: str) -> timedelta:
    """Return ``value`` as a positive ``timedelta``.

    >>> parse_duration("1h30m", where="view 'x' ttl")
    datetime.timedelta(seconds=5400)
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise DefinitionError(
                f"{where}: cannot read duration {value!r}; write whole units such as "
                "'90s', '15m', '2h', '7d', '2w' or '1h30m'"
            )
        result = timedelta()
        for number, unit in parts:
            unit_lower = unit.lower()
            if unit_lower in ("mo", "mon", "month", "months", "y", "yr", "year", "years"):
                raise DefinitionError(
                    f"{where}: {value!r} uses months or years, which have no fixed length; "
                    "write it in days instead (e.g. '30d' or '365d')"
                )
            if unit not in _UNITS:
                raise DefinitionError(
                    f"{where}: unknown unit {unit!r} in {value!r}; use s, m (minutes), h, d or w"
                )
            result += int(number) * _UNITS[unit]
    else:
        raise DefinitionError(
            f"{where}: expected a timedelta or a string like '7d', got {type(value).__name__}"
        )
    if result <= timedelta(0):
        raise DefinitionError(f"{where}: duration {value!r} must be positive")
    if result % timedelta(microseconds=1):
        raise DefinitionError(f"{where}: duration {value!r} is finer than a microsecond")
    return result


def to_micros(value: timedelta) -> int:
    """Whole microseconds in ``value``."""
    return value // timedelta(microseconds=1)
