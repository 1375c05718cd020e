"""Statistics computed on embedded DuckDB (a training set, a latest table, a source, or any
relation), or the query printed for a warehouse; the report as a table or JSON (a baseline)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.engines.files import first_line
from fsql.engines.runner import connect, feature_dtypes, training_table
from fsql.errors import ExecutionError
from fsql.monitor.drift import bins_query, numeric_bin_counts
from fsql.monitor.side_by_side import Frames, run_side_by_side, shared, threads_of
from fsql.monitor.stats import (
    CATEGORICAL,
    NUMERIC,
    StatsColumn,
    stats_query,
    stats_sql,
    top_query,
)
from fsql.sql.dialect import Dialect, get_dialect

FORMAT = 1
_FRAME = "__fsql_stats_input"


@dataclass
class FeatureStats:
    """The statistics of one feature (None where they do not apply or nothing is left)."""

    name: str
    dtype: str
    rows: int
    nulls: int
    null_rate: float | None
    nans: int
    distinct: int
    mean: float | None = None
    std: float | None = None
    min: Any = None
    max: Any = None
    deciles: list[float | None] = field(default_factory=list)
    top: list[list[Any]] = field(default_factory=list)
    # Counts per PSI bin (docs/monitoring.md): by the deciles as edges (10 bins) for numbers,
    # by the top values plus "other" for strings and bools.
    bins: list[int] = field(default_factory=list)


@dataclass
class StatsReport:
    """Statistics of every feature of one relation, and what they were computed on."""

    relation: str
    dialect: str
    features: list[FeatureStats]
    format: int = FORMAT

    def to_json(self) -> str:
        """The report as JSON (a baseline file)."""
        return json.dumps(asdict(self), indent=2, default=_plain) + "\n"

    def table(self) -> str:
        """A readable table for the terminal."""
        head = ("feature", "dtype", "rows", "null%", "nan", "distinct", "mean", "std", "min",
                "median", "max")
        lines = [head]
        for f in self.features:
            median = f.deciles[4] if f.deciles else None
            lines.append((f.name, f.dtype, str(f.rows), _fmt(None if f.null_rate is None
                                                              else 100 * f.null_rate),
                          str(f.nans), str(f.distinct), _fmt(f.mean), _fmt(f.std),
                          _fmt(f.min), _fmt(median), _fmt(f.max)))
        widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
        text = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in lines)
        for f in self.features:
            if f.top:
                shown = ", ".join(f"{v!r}: {c}" for v, c in f.top[:5])
                text += f"\n{f.name} top values: {shown}"
        return text + "\n"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def compute(con: duckdb.DuckDBPyConnection, relation: exp.Expr,
            columns: Sequence[StatsColumn], *, label: str,
            frames: Frames | None = None) -> StatsReport:
    """Run the statistics of ``columns`` of ``relation`` on ``con`` (DuckDB), with the counts
    in the PSI bins of its own deciles and top values (what a baseline records). ``frames``:
    what is registered on ``con`` (name -> Arrow table), registered on the other cursors too,
    so that a frame's features are computed side by side as a table's are."""
    dialect = get_dialect("duckdb")
    tops = [c for c in columns if c.dtype.name in CATEGORICAL]
    top_sql = [top_query(relation, c, dialect).sql(dialect="duckdb") for c in tops]
    try:
        workers = threads_of(con)
        if workers > 1 and len(columns) > 1 and isinstance(relation, exp.Table) \
                and shared(con, relation, frames):
            # one query per feature, side by side (fsql.monitor.side_by_side)
            found = run_side_by_side(con, [stats_sql(relation, [c], dialect) for c in columns]
                                     + top_sql, workers, frames)
            rows = [(0, dict(zip(names, row, strict=True)))
                    for names, (row,) in found[:len(columns)]]
            top_rows = [r for _, r in found[len(columns):]]
        else:
            cursor = con.execute(stats_sql(relation, columns, dialect))
            names = [d[0] for d in cursor.description]
            (row,) = cursor.fetchall()
            rows = [(i, dict(zip(names, row, strict=True))) for i in range(len(columns))]
            top_rows = [con.execute(q).fetchall() for q in top_sql]
    except duckdb.Error as err:
        raise ExecutionError(f"Statistics of {label}: DuckDB failed: {first_line(err)}") from None
    top = {c.name: r for c, r in zip(tops, top_rows, strict=True)}
    return StatsReport(label, "duckdb", [_feature(i, c, values, top.get(c.name, []))
                                         for (i, values), c in zip(rows, columns, strict=True)])


def bin_counts(con: duckdb.DuckDBPyConnection, relation: exp.Expr, column: StatsColumn,
               bins_of: FeatureStats, *, label: str) -> list[int]:
    """The counts of ``relation``'s column in the PSI bins of ``bins_of`` (a baseline)."""
    edges = [d for d in bins_of.deciles if d is not None]
    if column.dtype.name in NUMERIC and not edges:
        return []
    top = [v for v, _ in bins_of.top]
    query = bins_query(relation, column, get_dialect("duckdb"), edges=edges, top=top)
    try:
        found = dict(con.execute(query.sql(dialect="duckdb")).fetchall())
    except duckdb.Error as err:
        raise ExecutionError(f"Bins of {label}: DuckDB failed: {first_line(err)}") from None
    size = len(edges) + 1 if column.dtype.name in NUMERIC else len(top) + 1
    return [int(found.get(i, 0)) for i in range(size)]


def _feature(i: int, column: StatsColumn, values: dict[str, Any],
             top: list[tuple[Any, int]]) -> FeatureStats:
    rows = int(values["total"])
    nulls = int(values[f"c{i}_nulls"] or 0)
    stats = FeatureStats(column.name, str(column.dtype), rows, nulls,
                         nulls / rows if rows else None, int(values[f"c{i}_nans"] or 0),
                         int(values[f"c{i}_distinct"] or 0))
    if column.dtype.name in NUMERIC:
        stats.mean = _float(values[f"c{i}_mean"])
        stats.std = _float(values[f"c{i}_std"])
        stats.min, stats.max = values[f"c{i}_min"], values[f"c{i}_max"]
        stats.deciles = [_float(values[f"c{i}_d{k}"]) for k in range(1, 10)]
        if stats.deciles[0] is not None:
            stats.bins = numeric_bin_counts(int(values[f"c{i}_n"]), [
                int(values[f"c{i}_g{k}"] or 0) for k in range(1, 10)])
    else:
        stats.top = [[v, int(c)] for v, c in top]
        # the top values' counts, then "other": the values that are not among them
        stats.bins = [c for _, c in stats.top] + [rows - nulls - sum(c for _, c in stats.top)]
    return stats


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def columns_of(dtypes: dict[str, DType | None]) -> list[StatsColumn]:
    """The features whose dtype statistics are computed for (others are left out)."""
    return [StatsColumn(n, t) for n, t in dtypes.items()
            if t is not None and t.name in NUMERIC + CATEGORICAL]


def training_stats(catalog: Catalog, features: str | Sequence[Any], spine: Any,
                   **options: Any) -> StatsReport:
    """Statistics of a training set built on DuckDB (its feature columns)."""
    table, plan = training_table(catalog, features, spine, **options)
    return table_stats(table, columns_of(feature_dtypes(plan)),
                       label=f"training set of {features!r}")


def table_stats(table: pa.Table, columns: Sequence[StatsColumn], *, label: str) -> StatsReport:
    """Statistics of ``columns`` of an Arrow table, computed by DuckDB."""
    con = connect()
    try:
        con.register(_FRAME, table)
        return compute(con, exp.to_table(_FRAME), columns, label=label, frames={_FRAME: table})
    finally:
        con.close()


def printed_query(relation: exp.Expr, columns: Sequence[StatsColumn], dialect: Dialect) -> str:
    """The statistics query for a warehouse (the top-value queries follow, one per
    string or bool feature)."""
    parts = [stats_query(relation, columns, dialect).sql(dialect=dialect.sqlglot, pretty=True)]
    parts += [top_query(relation, c, dialect).sql(dialect=dialect.sqlglot, pretty=True)
              for c in columns if c.dtype.name in CATEGORICAL]
    return ";\n\n".join(parts) + ";\n"
