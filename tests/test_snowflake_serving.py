"""``fsql sync --target snowflake://...`` and ``fsql freshness --target snowflake://...`` end to
end through the real snowflake-connector-python against fakesnow's server: latest tables
written by a Snowflake materialization, synced into SQLite and a real redis-server, read
online and compared with the oracle (first and incremental runs); freshness read in Snowflake
(two queries) and compared with the data.

fakesnow returns NULL timestamps as 1970-01-01 (tests/test_snowflake_target.py): the sync
reads the latest tables' timestamps as epoch microseconds, which it returns as NULL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fsql.cli import main
from fsql.engines import snowflake
from fsql.monitor.freshness import offline_freshness
from fsql.online.from_latest import sync
from fsql.online.stores import open_store
from fsql.repo import Repo
from tests.engines.fakesnow_server import PYTHON, FakesnowServer
from tests.engines.redis_server import RedisServer
from tests.materialize_support import EVENT_SCHEMA, SNAP_SCHEMA, make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP
from tests.test_snowflake_target import Fixture, table_data
from tests.warehouse_serving import assert_reads_equal_the_oracle

pytestmark = [pytest.mark.engine, pytest.mark.skipif(
    not PYTHON.exists(), reason="fakesnow not installed: tests/engines/setup_fakesnow.sh")]


@pytest.fixture(scope="module")
def sf() -> Iterator[Fixture]:
    server = FakesnowServer()
    try:
        fixture = Fixture(server)
        yield fixture
        fixture.con.close()
    finally:
        server.close()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "x")
    for name in ("SNOWFLAKE_PRIVATE_KEY_FILE", "SNOWFLAKE_PRIVATE_KEY_FILE_PWD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "redis"])
def online(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'online.db'}"
    server = request.getfixturevalue("redis_server")
    import redis

    redis.Redis.from_url(server.url).flushdb()
    return str(server.url)


def schema_with_sources(sf: Fixture, schema: str) -> str:
    """A schema holding the source tables (read unqualified, as the target's); its URL."""
    sf.load({f"DB.{schema}.snap": table_data(SNAP_SCHEMA, SNAP),
             f"DB.{schema}.events": table_data(EVENT_SCHEMA, EVENTS)})
    return sf.url.replace("/DB/SC?", f"/DB/{schema}?")


def local_repo(root: Path) -> Repo:
    make_repo(root)
    write_sources(root, SNAP, EVENTS)  # the same rows as files: for the oracle
    return Repo.load(root)


def test_sync_from_snowflake_serves_the_oracle_and_syncs_incrementally(
        sf: Fixture, tmp_path: Path, online: str, capsys: pytest.CaptureFixture[str]) -> None:
    repo = local_repo(tmp_path / "repo")
    target = schema_with_sources(sf, "SRV_" + ("R" if online.startswith("redis") else "S"))
    for end in (t(120), t(200)):  # the second run is incremental, so is its sync
        repo.materialize(end=end, target=target)
        code = main(["sync", "--repo", str(repo.root), "--online", online, "--target", target])
        printed = capsys.readouterr()
        assert code == 0, printed.err
        assert f"(as of {end})" in printed.out, printed.out
        assert_reads_equal_the_oracle(repo, online, end, tmp_path)
    again = sync(repo, online=online, target=target)  # nothing new: nothing written
    assert [(r.written, r.deleted) for r in again] == [(0, 0), (0, 0)]
    store = open_store(online, root=repo.root)
    try:  # the events have no created time: NULL online too, not fakesnow's 1970
        rows = store.read("activity", list(store.keys("activity")))
        assert rows and all(r is not None and r.created_ts is None for r in rows)
        snap = store.read("snap", list(store.keys("snap")))
        assert snap and all(r is not None and r.created_ts for r in snap)
    finally:
        store.close()


def test_sync_without_a_materialization_names_the_fix(
        sf: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = local_repo(tmp_path / "repo")
    code = main(["sync", "--repo", str(repo.root), "--online", f"sqlite:///{tmp_path}/o.db",
                 "--views", "snap", "--target", schema_with_sources(sf, "NEVER")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "run fsql materialize --views snap first" in err, err


def test_freshness_on_snowflake_is_two_queries_and_equals_the_data(
        sf: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = local_repo(tmp_path / "repo")
    target = schema_with_sources(sf, "FRESH")
    nothing = offline_freshness(repo, target=target, now=t(260))
    assert [f.materialized for f in nothing] == [None, None]  # no state table yet
    repo.materialize(views=["snap"], end=t(200), target=target)
    queries: list[str] = []
    run = snowflake.execute

    def counted(con: Any, sql: str, **options: Any) -> Any:
        queries.append(sql)
        return run(con, sql, **options)

    monkeypatch.setattr(snowflake, "execute", counted)
    found = {f.view: f for f in offline_freshness(repo, target=target, now=t(260))}
    assert len(queries) == 2  # the sources' newest times, then the state table
    snap, activity = found["snap"], found["activity"]
    assert snap.newest_event == max(r["ts"] for r in SNAP)  # by hand: t(150)
    assert snap.newest_created == max(r["created"] for r in SNAP if r["created"])
    assert activity.newest_event == max(r["ts"] for r in EVENTS)
    assert activity.newest_created is None  # events have no created timestamp
    assert snap.materialized == t(200) and activity.materialized is None
    assert snap.lag == timedelta(minutes=110) and not snap.stale
    monkeypatch.undo()
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "x")
    args = ["freshness", "--repo", str(repo.root), "--target", target, "--views", "snap"]
    assert main([*args, "--at", t(260).isoformat()]) == 0
    assert f"snap: fresh, limit 2:00:00; newest event {t(150).isoformat()}" in capsys.readouterr(
    ).out
    assert main([*args, "--at", t(300).isoformat()]) == 1
    assert "snap: STALE" in capsys.readouterr().out
