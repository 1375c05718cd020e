"""What the planner asks of the outside world, as interfaces: where the request runs (does
the target read local files?) and what the local files hold. The planner does no I/O; an
engine (:mod:`fsql.engines.files`) answers these questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Target:
    """The dialect a plan is built for, as far as the planner cares: its name (environments
    name tables per dialect) and whether its SQL reads local files (DuckDB) or tables."""

    dialect: str
    reads_local_files: bool


class FileSchemas(Protocol):
    """Describes local Parquet/CSV files (sources and spines read from files)."""

    def describe(self, path: Path, *, what: str) -> dict[str, str]:
        """Column name -> type name (:mod:`fsql.plan.column_types`) of the file at ``path``;
        a missing or unreadable file raises an ExecutionError starting with ``what``."""
        ...

    def row_count(self, path: Path) -> int:
        """The number of data rows of the file."""
        ...

    def first_bad_timestamp(self, path: Path, column: str) -> tuple[int, str] | None:
        """(row number, text) of the first value of ``column`` that is neither a timestamp
        nor a date, or None."""
        ...
