"""The fraud example (examples/fraud) end to end: generate its data, run ``fsql run`` on it."""

from __future__ import annotations

import bisect
import importlib.util
import shutil
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.parquet as pq
import pytest

from fsql import Repo
from fsql.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fraud"


def _load_generator(repo: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fraud_example_generate_data",
                                                  repo / "generate_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated_example(directory: Path) -> Path:
    """A copy of the fraud example under ``directory`` with small generated data (a fresh
    clone has no data: ``make example`` generates it)."""
    repo = directory / "fraud"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("*.parquet", "*.sql",
                                                                 "__pycache__"))
    _load_generator(repo).generate(repo / "data", users=200, merchants=40, transactions=2000,
                                   days=30)
    return repo


def test_fraud_example_builds_a_training_set(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """One output row per spine row, spine untouched, every feature present and populated."""
    repo = tmp_path / "fraud"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("*.parquet", "*.sql",
                                                                 "__pycache__"))
    data = repo / "data"
    counts = _load_generator(repo).generate(data, users=200, merchants=40, transactions=2000,
                                            days=30)
    assert counts["transactions.parquet"] == 2000

    out = tmp_path / "training_set.parquet"
    code = main(["run", "--repo", str(repo), "--features", "fraud_detection",
                 "--spine", str(data / "transactions.parquet"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "2000 rows, 18 features" in capsys.readouterr().out

    spine = pq.read_table(data / "transactions.parquet")
    result = pq.read_table(out)
    loaded = Repo.load(repo)
    features = [name for proj in loaded.resolve("fraud_detection") for name in proj.feature_names]
    features += [d.name for d in loaded.derived("fraud_detection")]
    assert features[:8] == ["account_age_days", "country", "is_verified", "credit_limit",
                            "risk_score", "chargebacks_90d", "merchant_category",
                            "fraud_rate_30d"]
    assert features[-2:] == ["amount_vs_avg_7d", "account_age_bucket"]
    assert result.num_rows == spine.num_rows
    assert result.column_names == spine.column_names + features
    assert result.select(spine.column_names).to_pydict() == spine.to_pydict()  # same order

    rows = result.to_pylist()
    known = set(pq.read_table(data / "user_profile.parquet", columns=["user_id"])
                .column("user_id").to_pylist())
    guests = [row for row in rows if row["user_id"] not in known]
    assert guests, "the generator should emit transactions of unknown users"
    for row in guests:  # no source row: NULL, or the declared default (chargebacks_90d=0)
        assert [row[f] for f in features[:5]] == [None] * 5
        assert row["chargebacks_90d"] == 0
    for name in features:
        assert any(row[name] is not None for row in rows), f"{name} is always NULL"
    assert any(row["risk_score"] is None for row in rows if row["user_id"] in known), \
        "the 7-day TTL should leave some known users without a risk score"
    # The service's exclusive cut: a transaction is not in its own windows, only the user's
    # earlier ones within [t - w, t) are (counted here independently of fsql).
    times: dict[int, list[Any]] = {}
    for row in rows:
        times.setdefault(row["user_id"], []).append(row["event_timestamp"])
    for stamps in times.values():
        stamps.sort()
    for row in rows:
        stamps, t = times[row["user_id"]], row["event_timestamp"]
        for window, name in ((timedelta(minutes=10), "txn_count_10m"),
                             (timedelta(days=7), "txn_count_7d")):
            before = bisect.bisect_left(stamps, t) - bisect.bisect_left(stamps, t - window)
            assert row[name] == before, (row, name)
    assert any(row["txn_count_10m"] == 0 for row in rows)
    for row in rows:
        expected = row["amount"] / row["amount_avg_7d"] if row["amount_avg_7d"] else None
        assert row["amount_vs_avg_7d"] == pytest.approx(expected)
