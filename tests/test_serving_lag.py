"""`--serving-lag`: a training set whose features are as of each spine time minus the lag
(the freshness the model will be served with), equal to the oracle and to the same request
for spine times moved back by the lag; the spine's own timestamps are unchanged."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from fsql import oracle
from fsql.errors import DefinitionError
from fsql.repo import Repo
from tests.materialize_support import make_repo, same, t, write_sources
from tests.test_materialize import EVENTS, SNAP

LAG = timedelta(minutes=45)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return Repo.load(root)


def _spine(minutes: list[int], shift: timedelta = timedelta(0)) -> pd.DataFrame:
    return pd.DataFrame({"user_id": [1, 1, 2, 3, 1][:len(minutes)],
                         "event_timestamp": [t(m) - shift for m in minutes]})


def test_a_lagged_training_set_equals_the_spine_moved_back(repo: Repo) -> None:
    minutes = [60, 120, 180, 200, 215]
    lagged = repo.get_historical_features("activity", _spine(minutes), serving_lag="45m")
    moved = repo.get_historical_features("activity", _spine(minutes, LAG))
    assert list(lagged["event_timestamp"]) == [t(m) for m in minutes]  # the spine's own times
    features = [c for c in lagged.columns if c not in ("user_id", "event_timestamp")]
    assert lagged[features].equals(moved[features])
    assert not lagged[features].equals(
        repo.get_historical_features("activity", _spine(minutes))[features])


def test_a_lagged_plan_equals_the_oracle(repo: Repo, tmp_path: Path) -> None:
    spine = _spine([60, 120, 180, 200, 215])
    path = tmp_path / "spine.parquet"
    spine.to_parquet(path)
    plan = repo.plan("activity", str(path), serving_lag=LAG)
    expected = oracle.evaluate(plan, spine.to_dict("records"),
                               {plan.lookups[0].source.name: EVENTS})
    got = repo.get_historical_features("activity", spine, serving_lag=LAG, arrow=True)
    for want, row in zip(expected, got.to_pylist(), strict=True):
        for name in plan.output_names:
            assert same(row[name], want[name]), (name, row[name], want[name])


def test_the_cli_takes_a_duration_and_refuses_a_bad_one(repo: Repo) -> None:
    done = subprocess.run([sys.executable, "-m", "fsql.cli", "compile", "--repo", str(repo.root),
                           "--features", "activity", "--spine", "s.t", "--dialect", "bigquery",
                           "--serving-lag", "2h"], capture_output=True, text=True)
    assert done.returncode == 0 and "serving lag 7200000000 us" in done.stdout
    assert "- 7200000000" in done.stdout
    with pytest.raises(DefinitionError, match="serving-lag"):
        repo.compile("activity", "s.t", dialect="duckdb", serving_lag="soon")
