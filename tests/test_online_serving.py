"""Online reads after `fsql materialize` and `fsql sync`, on SQLite and a real redis-server:
at T1 every key reads what the oracle gives a spine row (key, T1); later reads enforce the
TTL at read time; unknown keys read as nothing visible (SEMANTICS.md, "Online reads")."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fsql.dtypes import parse_dtype
from fsql.errors import DefinitionError
from fsql.online.consistency import check_online_consistency
from fsql.online.from_latest import sync
from fsql.online.serving import NOT_FOUND, OUTSIDE_TTL, PRESENT
from fsql.online.stores import OnlineRow, open_store
from fsql.online.values import decode_values, encode_values
from fsql.repo import Repo
from tests.engines.redis_server import RedisServer
from tests.materialize_support import expected_rows, make_repo, same, t, write_sources
from tests.test_materialize import EVENTS, SNAP

T1 = t(200)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "redis"])
def online(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return "sqlite:///online.db"
    server = request.getfixturevalue("redis_server")
    import redis

    redis.Redis.from_url(server.url).flushdb()
    return str(server.url)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    loaded = Repo.load(root)
    loaded.materialize(end=T1)
    return loaded


def _rows(view: str, keys: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = {"snap": ("bank", "branch"), "activity": ("user_id",)}[view]
    return [dict(zip(names, key, strict=True)) for key in keys]


@pytest.mark.parametrize("view", ["snap", "activity"])
def test_a_read_at_t1_equals_the_training_row(repo: Repo, online: str, tmp_path: Path,
                                              view: str) -> None:
    results = sync(repo, online=online)
    assert {r.view for r in results} == {"snap", "activity"}
    source = SNAP if view == "snap" else EVENTS
    expected, absent = expected_rows(repo, view, T1, source, tmp_path)
    unknown = (99, "nope") if view == "snap" else (99,)
    keys = [*expected, unknown]
    response = repo.get_online_features([repo.views[view]], _rows(view, keys), at=T1,
                                        online=online)
    for n, key in enumerate(keys):
        want = expected.get(key, absent)
        for name, value in want.items():
            got = response.values[name][n]
            assert same(got, value), (view, key, name, got, value)
    first = next(iter(response.statuses.values()))
    assert first[-1] == NOT_FOUND


@pytest.mark.parametrize("minutes, status", [(15, PRESENT), (75, OUTSIDE_TTL)])
def test_a_later_read_drops_values_outside_the_ttl(repo: Repo, online: str, tmp_path: Path,
                                                   minutes: int, status: str) -> None:
    sync(repo, online=online)
    at = T1 + timedelta(minutes=minutes)  # snap's TTL is 2h; key (4, "new") has ts t(150)
    expected, _ = expected_rows(repo, "snap", at, SNAP, tmp_path)
    keys = list(expected)
    response = repo.get_online_features([repo.views["snap"]], _rows("snap", keys), at=at,
                                        online=online)
    for n, key in enumerate(keys):
        for name, value in expected[key].items():
            assert same(response.values[name][n], value), (key, name)
    assert response.statuses["score"][keys.index((4, "new"))] == status


def test_derived_features_are_evaluated_in_python(repo: Repo, online: str) -> None:
    sync(repo, online=online)
    response = repo.get_online_features(["snap:score", "snap:score_x2"],
                                        [{"bank": 4, "branch": "new"}, {"bank": 12, "branch": "3"}],
                                        at=T1, online=online)
    # (12, "3") left the 2h TTL before T1: nothing visible, its derived feature NULL too
    assert response.to_dict() == {"bank": [4, 12], "branch": ["new", "3"],
                                  "score": [4.0, None], "score_x2": [8.0, None]}


def test_a_wrongly_typed_key_is_refused(repo: Repo, online: str) -> None:
    sync(repo, online=online)
    with pytest.raises(DefinitionError, match=r"entity row 1 .*'12' \(str\) is not a int64"):
        repo.get_online_features(["snap:score"], [{"bank": "12", "branch": "3"}], at=T1,
                                 online=online)


def test_the_cli_materializes_and_syncs_in_one_command(repo: Repo) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fsql.cli", "materialize", "--repo", str(repo.root), "--end",
         (T1 + timedelta(minutes=5)).isoformat(), "--online"],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "online snap:" in done.stdout and "online activity:" in done.stdout
    again = subprocess.run([sys.executable, "-m", "fsql.cli", "sync", "--repo", str(repo.root)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "0 written" in again.stdout  # nothing newer to write


def test_a_store_synced_from_another_definition_is_refused(repo: Repo, online: str) -> None:
    sync(repo, online=online)
    features = repo.root / "features.py"
    features.write_text(features.read_text().replace('ttl="2h"', 'ttl="3h"'))
    changed = Repo.load(repo.root)
    with pytest.raises(DefinitionError, match="synced from another definition or cut"):
        changed.get_online_features(["snap:score"], [{"bank": 4, "branch": "new"}], at=T1,
                                    online=online)


@pytest.mark.parametrize("view", ["snap", "activity"])
def test_online_consistency_finds_no_mismatch_and_sees_a_corrupted_value(
        repo: Repo, online: str, view: str) -> None:
    sync(repo, online=online)
    result = check_online_consistency(repo, view=view, at=T1, online=online)
    assert result.ok and result.keys == (5 if view == "snap" else 3), result.format()
    assert result.rows == (1 if view == "snap" else 3)  # the others left the TTL before T1
    store = open_store(online, root=repo.root)
    try:
        (key,) = [k for k in store.keys(view)][:1]
        (row,) = store.read(view, [key])
        assert row is not None
        state = store.state(view)
        assert state is not None
        dtypes = [parse_dtype(t, where="test") for _, t in state.features]
        values = decode_values(row.payload, dtypes)
        values[0] = (values[0] or 0) + 1000  # the first feature (a float or an int)
        corrupted = OnlineRow(row.key, row.feature_ts + 1, row.created_ts,
                              encode_values(values, dtypes))
        assert store.write(view, [corrupted]) == 1  # newer: replaces the stored row
    finally:
        store.close()
    result = check_online_consistency(repo, view=view, at=T1, online=online)
    assert not result.ok and result.mismatches
