"""Durations (TTLs, windows): a ``timedelta`` or a string of whole units such as ``"1h30m"``."""

from __future__ import annotations

import re
from datetime import timedelta

from fsql.errors import DefinitionError

_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
          "m": timedelta(minutes=1), "s": timedelta(seconds=1)}
_PART = re.compile(r"(\d+)([a-zA-Z]+)")
# Unit spellings people write, mapped to fsql's unit, so the error can show the fixed string.
_SPELLINGS = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "week": "w", "weeks": "w", "wk": "w", "wks": "w",
}
_MONTHS_YEARS = ("mo", "mon", "mons", "month", "months", "y", "yr", "yrs", "year", "years")


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
            if unit_lower in _MONTHS_YEARS or unit == "M":
                raise DefinitionError(
                    f"{where}: {value!r} uses months or years, which have no fixed length; "
                    "write it in days instead (e.g. '30d' or '365d')"
                )
            if unit not in _UNITS:
                fixed = "".join(n + _SPELLINGS.get(u.lower(), u.lower()) for n, u in parts)
                hint = f" Did you mean {fixed!r}?" if all(
                    _SPELLINGS.get(u.lower(), u.lower()) in _UNITS for _, u in parts) else ""
                raise DefinitionError(
                    f"{where}: unknown unit {unit!r} in {value!r}; use s, m (minutes), h, d or "
                    f"w.{hint}"
                )
            try:
                result += int(number) * _UNITS[unit]
            except OverflowError:
                raise DefinitionError(f"{where}: duration {value!r} is too long") from None
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
