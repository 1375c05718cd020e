"""Drift and skew metrics in SQL equal a NumPy/SciPy reference: the exact two-sample KS
statistic (scipy.stats.ks_2samp) on DuckDB, the GoogleSQL evaluator and fakesnow, its
asymptotic p-value (scipy's kstwobign), and PSI bins (numpy digitize) with the floor."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sqlglot import exp

from fsql.dtypes import DType
from fsql.monitor.drift import (
    FLOOR,
    bins_query,
    current_query,
    ks_pvalue,
    ks_query,
    numeric_bin_counts,
    psi,
)
from fsql.monitor.stats import StatsColumn
from fsql.sql.dialect import get_dialect
from tests.engines import TableData
from tests.engines.duckdb_engine import DuckDBEngine
from tests.engines.fakesnow_engine import FakesnowEngine
from tests.engines.zetasql_engine import ZetaSQLEngine
from tests.test_example import generated_example

X = StatsColumn("x", DType("float64"))
ENGINES = {"duckdb": DuckDBEngine, "bigquery": ZetaSQLEngine, "snowflake": FakesnowEngine}


def _sample(size: int, seed: int, shift: float) -> list[Any]:
    rnd = random.Random(seed)
    return [rnd.choice([None, math.nan, round(rnd.gauss(shift, 1), 1), 0.5])
            for _ in range(size)]


def _clean(values: list[Any]) -> list[float]:
    return [v for v in values if v is not None and not math.isnan(v)]


def _ks(dialect: str, a: list[Any], b: list[Any]) -> tuple[float | None, int, int]:
    target = get_dialect(dialect)
    query = ks_query(exp.to_table("a"), exp.to_table("b"), X, X, target)
    tables = {"a": TableData([("x", "float64")], [[v] for v in a]),
              "b": TableData([("x", "float64")], [[v] for v in b])}
    (row,) = ENGINES[dialect]().run(query.sql(dialect=target.sqlglot), tables).rows
    return row[0], int(row[1] or 0), int(row[2] or 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ks_statistic_equals_scipy_on_duckdb(seed: int) -> None:
    a, b = _sample(300, seed, 0.0), _sample(150, seed + 10, 0.3)
    d, n, m = _ks("duckdb", a, b)
    want = scipy_stats.ks_2samp(_clean(a), _clean(b))
    assert (n, m) == (len(_clean(a)), len(_clean(b)))
    assert d is not None and math.isclose(d, want.statistic, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_ks_statistic_equals_scipy_on_warehouses(dialect: str) -> None:
    a, b = _sample(80, 7, 0.0), _sample(50, 8, 0.5)
    d, _, _ = _ks(dialect, a, b)
    want = scipy_stats.ks_2samp(_clean(a), _clean(b)).statistic
    assert d is not None and math.isclose(d, want, rel_tol=1e-12, abs_tol=1e-15)


def test_ks_of_identical_samples_is_zero_and_of_an_empty_side_null() -> None:
    a = _sample(50, 3, 0.0)
    assert _ks("duckdb", a, a)[0] == 0.0
    assert _ks("duckdb", a, [])[0] is None


@pytest.mark.parametrize("d, n, m", [(0.05, 300, 150), (0.2, 40, 60), (0.5, 10, 12),
                                     (0.01, 1000, 1000), (0.9, 5, 5)])
def test_ks_pvalue_is_the_asymptotic_kolmogorov_distribution(d: float, n: int, m: int) -> None:
    want = scipy_stats.kstwobign.sf(math.sqrt(n * m / (n + m)) * d)
    got = ks_pvalue(d, n, m)
    assert got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def test_bins_follow_the_edges_and_psi_the_floor() -> None:
    values = _sample(400, 5, 0.0)
    clean = np.array(_clean(values))
    edges = [float(np.percentile(clean, 10 * k)) for k in range(1, 10)]
    query = bins_query(exp.to_table("t"), X, get_dialect("duckdb"), edges=edges)
    rows = DuckDBEngine().run(query.sql(dialect="duckdb"),
                              {"t": TableData([("x", "float64")], [[v] for v in values])}).rows
    got = dict(rows)
    want = np.bincount(np.digitize(clean, edges, right=False), minlength=10)
    assert [got.get(i, 0) for i in range(10)] == want.tolist()
    current, baseline = [5, 0, 10, 85], [25, 25, 25, 25]
    p = np.maximum(np.array(current) / 100, FLOOR)
    q = np.maximum(np.array(baseline) / 100, FLOOR)
    assert math.isclose(psi(current, baseline) or 0.0, float(np.sum((p - q) * np.log(p / q))),
                        rel_tol=1e-12)
    assert psi([0, 0], [1, 1]) is None


def _current(dialect: str, values: list[Any], ints: list[Any],
             edges: list[float]) -> dict[str, Any]:
    target = get_dialect(dialect)
    n = StatsColumn("n", DType("int64"))
    query = current_query(exp.to_table("t"), [(X, edges), (n, edges[:3]), (X, [])], target)
    table = TableData([("x", "float64"), ("n", "int64")], [list(r) for r in zip(
        values, ints, strict=True)])
    result = ENGINES[dialect]().run(query.sql(dialect=target.sqlglot), {"t": table})
    return {c.lower(): v for c, v in zip(result.columns, result.rows[0], strict=True)}


def _check_current(dialect: str, size: int, seed: int) -> None:
    values = _sample(size, seed, 0.0)
    rnd = random.Random(seed)
    ints = [rnd.choice([None, rnd.randint(-3, 3)]) for _ in values]
    edges = [-1.0, -0.5, 0.0, 0.5, 0.5000001, 1.0, 1.5, 2.0, 2.5]
    got = _current(dialect, values, ints, edges)
    clean = np.array(_clean(values))
    whole = np.array([v for v in ints if v is not None], dtype=float)
    assert int(got["total"]) == size
    for i, sample, cut, kind in ((0, clean, edges, "x"), (1, whole, edges[:3], "n")):
        counts = numeric_bin_counts(int(got[f"n{i}"]), [int(got[f"g{i}_{k}"] or 0)
                                                         for k in range(1, len(cut) + 1)])
        assert counts == np.bincount(np.digitize(sample, cut, right=False),
                                     minlength=len(cut) + 1).tolist(), (dialect, kind)
        column = values if kind == "x" else ints
        assert int(got[f"c{i}_nulls"] or 0) == sum(v is None for v in column)
        if len(sample):
            assert math.isclose(got[f"c{i}_mean"], float(sample.mean()), rel_tol=1e-9,
                                abs_tol=1e-12)
            assert float(got[f"c{i}_max"]) == float(sample.max())
        else:
            assert got[f"c{i}_mean"] is None and got[f"c{i}_max"] is None
    assert "n2" not in got and "c2_mean" in got  # no edges: the summary only


@pytest.mark.parametrize("size, seed", [(300, 1), (0, 2), (1, 3)])
def test_the_drift_pass_counts_bins_and_summaries_as_numpy_on_duckdb(size: int,
                                                                      seed: int) -> None:
    _check_current("duckdb", size, seed)


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_the_drift_pass_counts_bins_and_summaries_as_numpy_on_warehouses(dialect: str) -> None:
    _check_current(dialect, 60, 4)


def test_the_cli_finds_no_drift_against_itself_and_a_breach_against_a_shifted_baseline(
        tmp_path: Path) -> None:
    repo = generated_example(tmp_path)
    spine = str(repo / "data" / "transactions.parquet")
    run = [sys.executable, "-m", "fsql.cli"]
    base = tmp_path / "base.json"
    request = ["--repo", str(repo), "--service", "fraud_detection", "--spine", spine]
    subprocess.run([*run, "stats", *request, "--out", str(base)], check=True,
                   capture_output=True)
    same = subprocess.run([*run, "drift", *request, "--baseline", str(base)],
                          capture_output=True, text=True)
    assert same.returncode == 0 and "0 breach(es)" in same.stdout, same.stdout + same.stderr
    data = json.loads(base.read_text())
    for feature in data["features"]:
        if feature["name"] == "txn_count_7d":
            feature["mean"] *= 3
    base.write_text(json.dumps(data))
    moved = subprocess.run([*run, "drift", *request, "--baseline", str(base), "--json"],
                           capture_output=True, text=True)
    assert moved.returncode == 1
    breaches = [m for m in json.loads(moved.stdout)["metrics"] if m["breached"]]
    assert [(m["feature"], m["metric"]) for m in breaches] == [("txn_count_7d", "mean_change")]
    subprocess.run([*run, "materialize", "--repo", str(repo), "--service", "fraud_detection",
                    "--end", "2024-06-01"], check=True, capture_output=True)
    skewed = subprocess.run([*run, "skew", *request, "--json"], capture_output=True, text=True)
    assert skewed.returncode in (0, 1), skewed.stderr
    metrics = json.loads(skewed.stdout)["metrics"]
    assert {"psi", "ks_statistic", "ks_pvalue"} <= {m["metric"] for m in metrics}
