"""Feature statistics in SQL equal a NumPy reference on the same rows, on DuckDB, the
GoogleSQL evaluator and fakesnow: NULLs, NaN, ties, a constant column, a single value and an
empty input."""

from __future__ import annotations

import decimal
import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlglot import exp

from fsql.dtypes import DType
from fsql.engines.runner import connect
from fsql.errors import ExecutionError
from fsql.monitor.run import FeatureStats, _feature, compute
from fsql.monitor.side_by_side import threads_of
from fsql.monitor.stats import (
    CATEGORICAL,
    NUMERIC,
    StatsColumn,
    stats_query,
    stats_sql,
    top_query,
)
from fsql.sql.dialect import get_dialect
from tests.engines import TableData
from tests.engines.duckdb_engine import DuckDBEngine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.test_example import generated_example

COLUMNS = [StatsColumn("x", DType("float64")), StatsColumn("n", DType("int64")),
           StatsColumn("k", DType("float64")), StatsColumn("s", DType("string")),
           StatsColumn("b", DType("bool"))]


def _rows(size: int, seed: int) -> list[list[Any]]:
    rnd = random.Random(seed)
    rows = []
    for _ in range(size):
        x = rnd.choice([None, math.nan, rnd.gauss(0, 10), 1.5, -2.25])
        n = rnd.choice([None, rnd.randint(-5, 5), 3])
        s = rnd.choice([None, "a", "b", "B", "é", "ab"])
        b = rnd.choice([None, True, False])
        rows.append([x, n, 7.0, s, b])  # k: a constant column
    return rows


def _reference(rows: list[list[Any]], i: int, column: StatsColumn) -> dict[str, Any]:
    values = [r[i] for r in rows]
    clean = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    out: dict[str, Any] = {"rows": len(rows), "nulls": sum(v is None for v in values),
                           "nans": sum(isinstance(v, float) and math.isnan(v) for v in values),
                           "distinct": len(set(clean))}
    if column.dtype.name in NUMERIC:
        arr = np.array(clean, dtype=float)
        out["mean"] = float(arr.mean()) if len(arr) else None
        out["std"] = float(arr.std(ddof=1)) if len(arr) > 1 else None
        out["min"] = min(clean) if clean else None
        out["max"] = max(clean) if clean else None
        out["deciles"] = [float(np.percentile(arr, 10 * k)) for k in range(1, 10)] \
            if len(arr) else [None] * 9
    else:
        counts = Counter(clean)
        order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out["top"] = [[v, c] for v, c in order[:20]]
    return out


def _reference_bins(rows: list[list[Any]], i: int, column: StatsColumn,
                    deciles: list[float | None]) -> list[int]:
    """The PSI bins a baseline records, by NumPy: for numbers the counts of the values in the
    10 bins the (computed) deciles make, for strings and bools the top-20 counts and the
    rest ("other")."""
    clean = [r[i] for r in rows if r[i] is not None
             and not (isinstance(r[i], float) and math.isnan(r[i]))]
    if column.dtype.name in NUMERIC:
        if not clean:
            return []
        edges = [float(d) for d in deciles if d is not None]
        return np.bincount(np.digitize(np.array(clean, dtype=float), edges, right=False),
                           minlength=10).tolist()
    counts = sorted(Counter(clean).items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    return [c for _, c in counts] + [len(clean) - sum(c for _, c in counts)]


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


ENGINES = {
    "duckdb": lambda: DuckDBEngine(),
    "bigquery": lambda: ZetaSQLEngine(),
    "snowflake": lambda: FakesnowEngine(),
}


def _check(dialect: str, rows: list[list[Any]],
           columns: list[StatsColumn] = COLUMNS) -> None:
    target = get_dialect(dialect)
    table = TableData([(c.name, str(c.dtype)) for c in columns], rows)
    engine = ENGINES[dialect]()
    relation = exp.to_table("t")
    result = engine.run(stats_sql(relation, columns, target), {"t": table})
    values = {c.lower(): v for c, v in zip(result.columns, result.rows[0], strict=True)}
    for i, column in enumerate(columns):
        top = []
        if column.dtype.name in CATEGORICAL:
            top = engine.run(top_query(relation, column, target).sql(dialect=target.sqlglot),
                             {"t": table}).rows
        _compare(dialect, rows, i, column, _feature(i, column, values, [tuple(r) for r in top]))


def _compare(where: str, rows: list[list[Any]], i: int, column: StatsColumn,
             got: FeatureStats) -> None:
    want = _reference(rows, i, column)
    want["bins"] = _reference_bins(rows, i, column, got.deciles)
    for name, expected in want.items():
        actual = getattr(got, name)
        if isinstance(expected, list):
            assert len(actual) == len(expected), (where, column.name, name)
            assert all(_close(a, e) if not isinstance(e, list) else a == e
                       for a, e in zip(actual, expected, strict=True)), \
                (where, column.name, name, actual, expected)
        else:
            assert _close(actual, expected), (where, column.name, name, actual, expected)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("kind", ["table", "frame", "unshared frame", "query"])
def test_computed_statistics_equal_numpy_on_every_path(kind: str, threads: int) -> None:
    """compute() on DuckDB: a catalog table's or a frame's features (given the frames, which
    every cursor registers) one query each, side by side on ``threads`` cursors (the setting
    restored after); a frame not given (other cursors do not see it) and a subquery's in one
    query."""
    rows = _rows(300, 21)
    con = connect()
    con.execute(f"SET threads = {threads}")
    frame = pa.table({c.name: [r[i] for r in rows] for i, c in enumerate(COLUMNS)})
    con.register("frame", frame)
    con.execute("CREATE TABLE t AS SELECT * FROM frame")
    relation = {"table": exp.to_table("t"), "frame": exp.to_table("frame"),
                "unshared frame": exp.to_table("frame"),
                "query": exp.paren(exp.select("*").from_("t")).as_("q")}[kind]
    report = compute(con, relation, COLUMNS, label=kind,
                     frames={"frame": frame} if kind == "frame" else None)
    for i, column in enumerate(COLUMNS):
        _compare(kind, rows, i, column, report.features[i])
    assert threads_of(con) == threads


def test_a_failing_feature_query_is_one_execution_error() -> None:
    con = connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE t AS SELECT 1.5 AS x, 'a' AS y")
    with pytest.raises(ExecutionError, match="DuckDB failed"):
        compute(con, exp.to_table("t"), [StatsColumn("x", DType("float64")),
                                         StatsColumn("nope", DType("int64"))], label="t")
    assert threads_of(con) == 2


@pytest.mark.parametrize("size, seed", [(200, 1), (1, 2), (0, 3), (13, 4)])
def test_duckdb_statistics_equal_numpy(size: int, seed: int) -> None:
    _check("duckdb", _rows(size, seed))


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
@pytest.mark.parametrize("size, seed", [(60, 5), (0, 6)])
def test_warehouse_statistics_equal_numpy(dialect: str, size: int, seed: int) -> None:
    _check(dialect, _rows(size, seed))


# Features named like the query's own aliases (GoogleSQL resolves GROUP BY and ORDER BY names
# to SELECT aliases first): the same five columns renamed.
NAMED = [StatsColumn(n, c.dtype) for n, c in zip(["c", "v", "cum", "b", "n"], COLUMNS,
                                                  strict=True)]


@pytest.mark.parametrize("dialect", ["duckdb", pytest.param("bigquery", marks=pytest.mark.engine),
                                     pytest.param("snowflake", marks=pytest.mark.engine)])
def test_features_named_like_the_query_aliases(dialect: str) -> None:
    _check(dialect, _rows(40, 11), NAMED)


# Names that are the templates' placeholders, quotes of either dialect, a query alias.
ODD = [StatsColumn(n, DType(*t)) for n, t in [
    ("x", ("float64",)), ("c", ("int64",)), ('a"b`c', ("string",)), ("v", ("bool",)),
    ("c0_mean", ("float64",)), ("987654321", ("int64",)), ("__fsql_table", ("decimal", 10, 2)),
    ("__fsql_column", ("float64",))]]


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "snowflake", "postgres"])
@pytest.mark.parametrize("relation", [exp.to_table("t"), exp.to_table("db.s.t"),
                                      exp.paren(exp.select("*").from_("t")).as_("q")])
def test_the_text_of_the_statistics_is_the_query_tree_rendered(dialect: str,
                                                              relation: exp.Expr) -> None:
    """stats_sql (what fsql runs, from templates) is stats_query's text, to the character."""
    target = get_dialect(dialect)
    assert stats_sql(relation, ODD, target) == \
        stats_query(relation, ODD, target).sql(dialect=target.sqlglot)


@pytest.mark.parametrize("dialect", ["duckdb", pytest.param("bigquery", marks=pytest.mark.engine),
                                     pytest.param("snowflake", marks=pytest.mark.engine)])
def test_decimal_statistics_equal_numpy(dialect: str) -> None:
    rnd = random.Random(12)
    rows = [[rnd.choice([None, decimal.Decimal(rnd.randint(-500, 500)) / 100,
                         decimal.Decimal("1.25")])] for _ in range(80)]
    _check(dialect, rows, [StatsColumn("d", DType("decimal", 18, 2))])


def _wide(size: int, seed: int, kind: str) -> list[float]:
    """Values whose deciles fall in few of the query's buckets: a tight cluster with far
    outliers and ties, or a span too wide for a float64 (every value in one bucket)."""
    rnd = random.Random(seed)
    if kind == "cluster":
        return [rnd.choice([1e12, -3.0, rnd.gauss(5.0, 1e-6), 5.0, round(rnd.gauss(5, 1), 2)])
                for _ in range(size)]
    return [rnd.choice([1.7e308, -1.7e308, rnd.uniform(-1e300, 1e300), 0.0, 2.5])
            for _ in range(size)]


def _check_one(dialect: str, values: list[float]) -> None:
    target = get_dialect(dialect)
    column = StatsColumn("x", DType("float64"))
    result = ENGINES[dialect]().run(
        stats_query(exp.to_table("t"), [column], target).sql(dialect=target.sqlglot),
        {"t": TableData([("x", "float64")], [[v] for v in values])})
    got = _feature(0, column, {c.lower(): v for c, v in zip(result.columns, result.rows[0],
                                                            strict=True)}, [])
    rows = [[v] for v in values]
    with np.errstate(all="ignore"):  # (the mean and std of the overflowing values)
        want = _reference(rows, 0, column)
    assert got.distinct == want["distinct"]
    assert all(_close(a, e) for a, e in zip(got.deciles, want["deciles"], strict=True)), \
        (dialect, got.deciles, want["deciles"])
    assert got.bins == _reference_bins(rows, 0, column, got.deciles)


@pytest.mark.parametrize("kind", ["cluster", "overflow"])
@pytest.mark.parametrize("size, seed", [(5000, 7), (2, 8)])
def test_duckdb_deciles_of_clustered_and_overflowing_values_equal_numpy(
        kind: str, size: int, seed: int) -> None:
    _check_one("duckdb", _wide(size, seed, kind))


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
@pytest.mark.parametrize("kind", ["cluster", "overflow"])
def test_warehouse_deciles_of_clustered_and_overflowing_values_equal_numpy(
        dialect: str, kind: str) -> None:
    _check_one(dialect, _wide(300, 9, kind))


def test_the_cli_reports_a_training_set_and_saves_a_baseline(tmp_path: Path) -> None:
    repo = generated_example(tmp_path)
    out = tmp_path / "baseline.json"
    run = [sys.executable, "-m", "fsql.cli", "stats", "--repo", str(repo)]
    done = subprocess.run([*run, "--service", "fraud_detection", "--spine",
                           str(repo / "data" / "transactions.parquet"), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "txn_count_7d" in done.stdout and "top values" in done.stdout
    baseline = json.loads(out.read_text())
    counts = {f["name"]: f for f in baseline["features"]}
    assert counts["txn_count_7d"]["nulls"] == 0 and len(counts["risk_score"]["deciles"]) == 9
    bad = subprocess.run([*run, "--view", "user_activity", "--on", "source"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "aggregates events" in bad.stderr
    printed = subprocess.run([*run, "--view", "user_risk", "--on", "source", "--print",
                              "--dialect", "snowflake"], capture_output=True, text=True)
    assert printed.returncode == 0 and "SUM(SUM(c)) OVER (ORDER BY b" in printed.stdout
