"""Drift (the current data against a baseline file) and training-serving skew (a training set
against the latest tables), with the thresholds of ``[monitoring]`` in ``fsql.toml``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import parse_dtype
from fsql.engines.files import first_line
from fsql.errors import DefinitionError, ExecutionError
from fsql.monitor.drift import current_query, ks_pvalue, ks_query, numeric_bin_counts, psi
from fsql.monitor.run import FORMAT, FeatureStats, bin_counts, compute
from fsql.monitor.side_by_side import Frames
from fsql.monitor.stats import NUMERIC, StatsColumn
from fsql.sql.dialect import get_dialect

DEFAULTS = {"psi": 0.2, "ks_pvalue": 0.05, "mean_change": 0.3, "null_rate_change": 0.05,
            "max_ratio": 2.0}


@dataclass(frozen=True)
class Metric:
    """One metric of one feature, its threshold and whether it is breached."""

    feature: str
    metric: str
    value: float | None
    threshold: float | None  # None: reported, not checked (the KS statistic itself)
    breached: bool


@dataclass(frozen=True)
class Comparison:
    """Every metric of a drift or skew check."""

    what: str
    metrics: tuple[Metric, ...]

    @property
    def breaches(self) -> list[Metric]:
        """The metrics past their threshold."""
        return [m for m in self.metrics if m.breached]

    def table(self) -> str:
        """A table of every metric; breaches marked."""
        lines = [f"{self.what}: {len(self.breaches)} breach(es)",
                 f"{'feature':24} {'metric':18} {'value':>12} {'threshold':>10}"]
        for m in self.metrics:
            value = "-" if m.value is None else f"{m.value:.6g}"
            mark = "  BREACH" if m.breached else ""
            limit = "-" if m.threshold is None else f"{m.threshold:g}"
            lines.append(f"{m.feature:24} {m.metric:18} {value:>12} {limit:>10}{mark}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The comparison as JSON."""
        return json.dumps({"what": self.what, "metrics": [asdict(m) for m in self.metrics]},
                          indent=2) + "\n"


def thresholds(catalog: Catalog) -> dict[str, float]:
    """``[monitoring]`` of fsql.toml over the defaults (psi 0.2, ks_pvalue 0.05, mean_change
    0.3, null_rate_change 0.05, max_ratio 2.0)."""
    table = catalog.config.get("monitoring", {})
    unknown = sorted(set(table) - set(DEFAULTS)) if isinstance(table, dict) else ["?"]
    if unknown or not all(isinstance(v, (int, float)) for v in table.values()):
        raise DefinitionError(f"{catalog.root / 'fsql.toml'}: [monitoring] takes numbers for "
                              f"{', '.join(DEFAULTS)}")
    return {**DEFAULTS, **{k: float(v) for k, v in table.items()}}


def read_baseline(path: Path) -> list[FeatureStats]:
    """The features of a baseline file written by ``fsql stats --out``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DefinitionError(f"{path}: cannot read the baseline: {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DefinitionError(f"{path}: not an fsql statistics baseline of format {FORMAT}; "
                              "write one with fsql stats ... --out FILE")
    return [FeatureStats(**f) for f in data["features"]]


def _metric(feature: str, name: str, value: float | None, limits: dict[str, float],
            below: bool = False) -> Metric:
    limit = limits[name]
    breached = value is not None and (value < limit if below else value > limit)
    return Metric(feature, name, value, limit, breached)


def _changes(feature: str, now: dict[str, Any], base: FeatureStats,
             limits: dict[str, float]) -> list[Metric]:
    """NULL-rate change, mean change and max ratio of ``now`` (``null_rate``, ``mean``,
    ``max``) against the baseline."""
    out = []
    if now["null_rate"] is not None and base.null_rate is not None:
        out.append(_metric(feature, "null_rate_change", abs(now["null_rate"] - base.null_rate),
                           limits))
    mean, top = now["mean"], now["max"]
    if mean is not None and base.mean is not None and base.mean != 0:
        out.append(_metric(feature, "mean_change", abs(float(mean) - base.mean) /
                           abs(base.mean), limits))
    if isinstance(top, (int, float)) and \
            isinstance(base.max, (int, float)) and base.max > 0 and math.isfinite(float(top)):
        out.append(_metric(feature, "max_ratio", float(top) / float(base.max), limits))
    return out


def drift(con: duckdb.DuckDBPyConnection, relation: exp.Expr, baseline: Sequence[FeatureStats],
          available: dict[str, Any], limits: dict[str, float], *, label: str) -> Comparison:
    """The current statistics of ``relation`` against ``baseline``: PSI over the baseline's
    bins, mean change, NULL-rate change and max ratio, per feature in both. One pass over the
    rows for every numeric feature's bins and summary, one GROUP BY per string or bool."""
    columns = [StatsColumn(f.name, parse_dtype(f.dtype, where=f"baseline feature {f.name!r}"))
               for f in baseline if f.name in available]
    missing = [f.name for f in baseline if f.name not in available]
    if missing:
        raise DefinitionError(f"The baseline's features {missing} are not in {label}; compare "
                              "the relation the baseline was computed on")
    bases = [f for f in baseline if f.name in available]
    edges = [[d for d in b.deciles if d is not None] for b in bases]
    query = current_query(relation, list(zip(columns, edges, strict=True)),
                          get_dialect("duckdb"))
    try:
        cursor = con.execute(query.sql(dialect="duckdb"))
        names = [d[0] for d in cursor.description]
        (row,) = cursor.fetchall()
    except duckdb.Error as err:
        raise ExecutionError(f"Drift of {label}: DuckDB failed: {first_line(err)}") from None
    values = dict(zip(names, row, strict=True))
    total = int(values["total"])
    metrics: list[Metric] = []
    for i, (column, base, cut) in enumerate(zip(columns, bases, edges, strict=True)):
        if column.dtype.name in NUMERIC:
            counts = numeric_bin_counts(int(values[f"n{i}"]), [
                int(values[f"g{i}_{k}"] or 0) for k in range(1, len(cut) + 1)]) if cut else []
        else:
            counts = bin_counts(con, relation, column, base, label=label)
        if base.bins and counts:
            metrics.append(_metric(column.name, "psi", psi(counts, base.bins), limits))
        now = {"null_rate": int(values[f"c{i}_nulls"] or 0) / total if total else None,
               "mean": values.get(f"c{i}_mean"), "max": values.get(f"c{i}_max")}
        metrics += _changes(column.name, now, base, limits)
    return Comparison(f"drift of {label}", tuple(metrics))


def skew(con: duckdb.DuckDBPyConnection, training: exp.Expr, pairs: Sequence[tuple[
        StatsColumn, exp.Expr, StatsColumn]], limits: dict[str, float], *,
         label: str, frames: Frames | None = None) -> Comparison:
    """Each training-set column against its latest-table column: PSI over the training
    set's bins and, for numbers, the exact two-sample KS statistic and its p-value
    (``frames``: what is registered on ``con``, as ``compute`` takes it)."""
    metrics: list[Metric] = []
    dialect = get_dialect("duckdb")
    bases = compute(con, training, [p[0] for p in pairs], label="the training set",
                    frames=frames).features
    for (train_col, latest, latest_col), base in zip(pairs, bases, strict=True):
        counts = bin_counts(con, latest, latest_col, base, label="the latest table")
        if base.bins and counts:
            metrics.append(_metric(train_col.name, "psi", psi(counts, base.bins), limits))
        if train_col.dtype.name in NUMERIC:
            query = ks_query(training, latest, train_col, latest_col, dialect)
            try:
                ((d, n, m),) = con.execute(query.sql(dialect="duckdb")).fetchall()
            except duckdb.Error as err:
                raise ExecutionError(f"KS of {train_col.name!r}: DuckDB failed: "
                                     f"{first_line(err)}") from None
            if d is not None:
                metrics.append(Metric(train_col.name, "ks_statistic", float(d), None, False))
                metrics.append(_metric(train_col.name, "ks_pvalue",
                                       ks_pvalue(float(d), int(n), int(m)), limits, below=True))
    return Comparison(f"skew of {label}", tuple(metrics))
