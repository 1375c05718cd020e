"""Local engines that execute each dialect's SQL in tests: DuckDB, GoogleSQL (zetasql), fakesnow.

Every engine implements :class:`Engine`: load typed tables, run one SELECT, return Python values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TableData:
    """A table to load into an engine.

    ``columns`` are ``(name, fsql dtype)`` pairs, dtype one of ``int64``, ``float64``, ``string``,
    ``bool``, ``timestamp``, ``date``, ``decimal(p,s)``. ``rows`` hold Python values: ``int``,
    ``float``, ``decimal.Decimal``, ``str``, ``bool``, ``datetime.datetime`` (naive = UTC, or
    aware), ``datetime.date`` and ``None`` for NULL.
    """

    columns: Sequence[tuple[str, str]]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Result:
    """Rows returned by an engine: column names as the engine reports them, Python values.

    Timestamps come back as aware UTC ``datetime``, dates as ``date``, NUMERIC/DECIMAL as
    ``Decimal``, FLOAT as ``float``.
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]


class Engine(Protocol):
    """Executes one dialect's SQL on typed in-memory tables."""

    dialect: str

    def run(self, sql: str, tables: dict[str, TableData]) -> Result:
        """Load ``tables`` (dotted names such as ``proj.ds.t`` allowed) and run ``sql``."""
        ...
