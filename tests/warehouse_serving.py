"""Online reads after a sync from a warehouse target, checked against the oracle: what
tests/test_bigquery_serving.py and tests/test_snowflake_serving.py share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fsql.online.serving import NOT_FOUND
from fsql.repo import Repo
from tests.materialize_support import expected_rows, same
from tests.test_materialize import EVENTS, SNAP

KEYS = {"snap": ("bank", "branch"), "activity": ("user_id",)}
UNKNOWN = {"snap": (99, "nope"), "activity": (99,)}


def read(repo: Repo, view: str, keys: list[tuple[Any, ...]], at: Any, online: str) -> Any:
    rows = [dict(zip(KEYS[view], key, strict=True)) for key in keys]
    return repo.get_online_features([repo.views[view]], rows, at=at, online=online)


def assert_reads_equal_the_oracle(repo: Repo, online: str, at: Any, tmp: Path) -> None:
    """SEMANTICS.md, Online reads: at ``at`` every key reads the oracle's training-set row
    for (key, ``at``); an unknown key reads as nothing visible and is NOT_FOUND."""
    for view, source in (("snap", SNAP), ("activity", EVENTS)):
        expected, absent = expected_rows(repo, view, at, source, tmp)
        keys = [*expected, UNKNOWN[view]]
        response = read(repo, view, keys, at, online)
        for n, key in enumerate(keys):
            for name, value in expected.get(key, absent).items():
                got = response.values[name][n]
                assert same(got, value), (view, key, name, got, value)
        assert next(iter(response.statuses.values()))[-1] == NOT_FOUND
