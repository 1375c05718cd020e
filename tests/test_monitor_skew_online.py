"""``fsql skew --online``: the training set against the values the online store serves for
the spine's keys (read through OnlineServer), PSI and KS equal to a NumPy/SciPy reference."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats

from fsql.engines.runner import training_table
from fsql.monitor.drift import FLOOR
from fsql.online.server import OnlineServer
from fsql.repo import Repo
from tests.engines.redis_server import RedisServer
from tests.test_example import generated_example

SERVICE = "fraud_detection"
AT = "2024-06-01"


def _clean(values: list[Any]) -> np.ndarray:
    return np.array([float(v) for v in values if v is not None and not math.isnan(float(v))])


def _psi(current: np.ndarray, baseline: np.ndarray) -> float:
    edges = np.percentile(baseline, [10 * k for k in range(1, 10)])
    bins = np.arange(len(edges) + 2)
    p = np.histogram(np.searchsorted(edges, current, side="right"), bins=bins)[0]
    q = np.histogram(np.searchsorted(edges, baseline, side="right"), bins=bins)[0]
    p = np.maximum(p / p.sum(), FLOOR)
    q = np.maximum(q / q.sum(), FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_skew_against_the_online_store_equals_scipy(tmp_path: Path, kind: str,
                                                    request: pytest.FixtureRequest) -> None:
    repo_dir = generated_example(tmp_path)
    spine = str(repo_dir / "data" / "transactions.parquet")
    url = f"sqlite:///{tmp_path / 'online.db'}" if kind == "sqlite" else \
        request.getfixturevalue("redis_server").url
    run = [sys.executable, "-m", "fsql.cli"]
    for step in (["materialize", "--repo", str(repo_dir), "--service", SERVICE, "--end", AT],
                 ["sync", "--repo", str(repo_dir), "--service", SERVICE, "--online", url]):
        done = subprocess.run([*run, *step], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    skewed = subprocess.run([*run, "skew", "--repo", str(repo_dir), "--service", SERVICE,
                             "--spine", spine, "--online", url, "--at", AT, "--json"],
                            capture_output=True, text=True)
    assert skewed.returncode in (0, 1), skewed.stderr
    got = {(m["feature"], m["metric"]): m["value"] for m in json.loads(skewed.stdout)["metrics"]}

    repo = Repo.load(repo_dir)
    table, plan = training_table(repo, SERVICE, spine)
    keys = sorted({*(k for lk in plan.lookups for k in repo.views[lk.view_name].join_keys),
                   *repo.services[SERVICE].request_schema})
    with OnlineServer(repo, url) as server:
        served = server.get_online_features(
            SERVICE, {k: table.column(k).to_pylist() for k in keys},
            at=dt.datetime.fromisoformat(AT).replace(tzinfo=dt.UTC))
    checked = 0
    for name in served.features:
        if (name, "ks_statistic") not in got:
            continue
        train, online = _clean(table.column(name).to_pylist()), _clean(served.values[name])
        assert len(online) > 0
        expected = scipy_stats.ks_2samp(train, online).statistic
        assert math.isclose(got[(name, "ks_statistic")], expected, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(got[(name, "psi")], _psi(online, train), rel_tol=1e-9,
                            abs_tol=1e-12)
        checked += 1
    assert checked >= 3
