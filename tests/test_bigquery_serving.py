"""``fsql sync --target bigquery://...`` and ``fsql freshness --target bigquery://...`` end to
end: latest tables written by a BigQuery materialization (bqemulator, through
google-cloud-bigquery), synced into SQLite and a real redis-server, read online and compared
with the oracle and with a sync from a DuckDB target; freshness figures read in BigQuery
(two queries) and compared with a hand computation from the data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from fsql.cli import main
from fsql.engines import bigquery
from fsql.materialize.run import layout_for
from fsql.materialize.targets import resolve_target
from fsql.monitor.freshness import offline_freshness
from fsql.online import bigquery_latest
from fsql.online.from_latest import sync
from fsql.repo import Repo
from tests.engines.bqemulator_server import VENV, BigQueryEmulator
from tests.engines.redis_server import RedisServer
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    expected_rows,
    make_repo,
    same,
    t,
    write_sources,
)
from tests.test_materialize import EVENTS, SNAP
from tests.warehouse_serving import UNKNOWN, assert_reads_equal_the_oracle, read

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "python").exists(),
    reason="bqemulator not installed: tests/engines/setup_bqemulator.sh")
@pytest.fixture(scope="module")
def emulator() -> Iterator[BigQueryEmulator]:
    server = BigQueryEmulator()
    try:
        bq = server.client()
        bq.create_dataset("ds")
        for name, schema, rows in (("snap", SNAP_SCHEMA, SNAP), ("events", EVENT_SCHEMA, EVENTS)):
            columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
            bigquery.upload(bq, f"{server.project}.ds.{name}", pa.table(columns, schema=schema),
                            expires=timedelta(days=1))
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


def bigquery_repo(server: BigQueryEmulator, root: Path) -> Repo:
    """The test repository with its sources read from the emulator's tables by full name."""
    make_repo(root)
    features = root / "features.py"
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{server.project}.ds.snap"')
                        .replace('table="events"', f'table="{server.project}.ds.events"'))
    write_sources(root, SNAP, EVENTS)  # the same rows as files: for DuckDB and the oracle
    return Repo.load(root)


def target_of(server: BigQueryEmulator, dataset: str) -> str:
    server.client().create_dataset(dataset, exists_ok=True)
    return f"bigquery://{server.project}/{dataset}?api_endpoint={server.endpoint}"


@pytest.fixture(params=["sqlite", "redis"])
def online(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'online.db'}"
    server = request.getfixturevalue("redis_server")
    import redis

    redis.Redis.from_url(server.url).flushdb()
    return str(server.url)


def test_sync_from_bigquery_serves_the_oracle_and_syncs_incrementally(
        emulator: BigQueryEmulator, tmp_path: Path, online: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = bigquery_repo(emulator, tmp_path / "repo")
    dataset = "served_" + ("redis" if online.startswith("redis") else "sqlite")
    target = target_of(emulator, dataset)
    for end in (t(120), t(200)):  # the second run is incremental, so is its sync
        assert main(["materialize", "--repo", str(repo.root), "--end", end.isoformat(),
                     "--target", target]) == 0, capsys.readouterr().err
        code = main(["sync", "--repo", str(repo.root), "--online", online, "--target", target])
        printed = capsys.readouterr()
        assert code == 0, printed.err
        assert f"(as of {end})" in printed.out, printed.out
        assert_reads_equal_the_oracle(repo, online, end, tmp_path)
    # The same views materialized on DuckDB and synced from there read the same values.
    repo.materialize(end=t(200))
    local = f"sqlite:///{tmp_path / 'from_duckdb.db'}"
    sync(repo, online=local)
    for view, source in (("snap", SNAP), ("activity", EVENTS)):
        keys = [*expected_rows(repo, view, t(200), source, tmp_path)[0], UNKNOWN[view]]
        ours, theirs = (read(repo, view, keys, t(200), url) for url in (online, local))
        assert ours.values.keys() == theirs.values.keys()
        for name, values in ours.values.items():
            assert all(same(a, b) for a, b in zip(values, theirs.values[name], strict=True)), name
        assert ours.statuses == theirs.statuses
    # Nothing changed since: a third sync writes and removes nothing.
    again = sync(repo, online=online, target=target)
    assert [(r.written, r.deleted) for r in again] == [(0, 0), (0, 0)]
    assert {r.keys for r in again} == {r.keys for r in sync(repo, online=local)}


def test_materialize_online_on_bigquery_syncs_after_the_run(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fsql materialize --target bigquery://... --online URL``: the run, then the sync."""
    repo = bigquery_repo(emulator, tmp_path / "repo")
    online = f"sqlite:///{tmp_path / 'after.db'}"
    code = main(["materialize", "--repo", str(repo.root), "--end", t(200).isoformat(),
                 "--target", target_of(emulator, "then_online"), "--online", online])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "online snap: " in printed.out and f"(as of {t(200)})" in printed.out, printed.out
    assert_reads_equal_the_oracle(repo, online, t(200), tmp_path)


def test_latest_rows_are_fetched_in_pages(emulator: BigQueryEmulator, tmp_path: Path) -> None:
    repo = bigquery_repo(emulator, tmp_path / "repo")
    target = target_of(emulator, "paged")
    repo.materialize(views=["activity"], end=t(200), target=target)
    bq = emulator.client()
    table = f"`{emulator.project}.paged.activity_latest`"
    pages = list(bigquery.query_batches(bq, f"SELECT user_id FROM {table}", what="paging",
                                        page_size=1))
    everything = bq.query(f"SELECT user_id FROM {table}").result().to_arrow(
        create_bqstorage_client=False)
    assert everything.num_rows >= 3 and len(pages) == everything.num_rows  # one row a page
    assert sorted(v for p in pages for v in p.column(0).to_pylist()) == \
        sorted(everything.column(0).to_pylist())
    layout = layout_for(repo, repo.views["activity"], "inclusive", dialect="bigquery")
    rows = list(bigquery_latest.latest_rows(bq, resolve_target(target, root=repo.root), layout,
                                            page_size=2))
    assert sorted(r[0] for r in rows) == sorted((v,) for v in everything.column(0).to_pylist())


def test_sync_without_a_materialization_names_the_fix(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = bigquery_repo(emulator, tmp_path / "repo")
    code = main(["sync", "--repo", str(repo.root), "--online", f"sqlite:///{tmp_path}/o.db",
                 "--views", "snap", "--target", target_of(emulator, "never")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "run fsql materialize --views snap first" in err, err


def test_sync_of_a_changed_definition_or_a_dropped_table_is_one_line(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = bigquery_repo(emulator, tmp_path / "repo")
    target = target_of(emulator, "changed")
    repo.materialize(views=["activity"], end=t(200), target=target)
    args = ["sync", "--repo", str(repo.root), "--online", f"sqlite:///{tmp_path}/o.db",
            "--views", "activity", "--target", target]
    features = repo.root / "features.py"
    before = features.read_text()
    features.write_text(before.replace('window="3h"', 'window="4h"'))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "materialized from another definition" in err, err
    features.write_text(before)
    emulator.client().delete_table(f"{emulator.project}.changed.activity_latest")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run fsql materialize --views activity first" in err, err


def test_freshness_on_bigquery_is_two_queries_and_equals_the_data(
        emulator: BigQueryEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = bigquery_repo(emulator, tmp_path / "repo")
    target = target_of(emulator, "fresh")
    repo.materialize(views=["snap"], end=t(200), target=target)
    queries: list[str] = []
    run = bigquery.execute

    def counted(bq: Any, sql: str, **options: Any) -> Any:
        queries.append(sql)
        return run(bq, sql, **options)

    monkeypatch.setattr(bigquery, "execute", counted)
    found = {f.view: f for f in offline_freshness(repo, target=target, now=t(260))}
    assert len(queries) == 2  # the sources' newest times, then the state table
    snap, activity = found["snap"], found["activity"]
    assert snap.newest_event == max(r["ts"] for r in SNAP)  # by hand: t(150)
    assert snap.newest_created == max(r["created"] for r in SNAP if r["created"])
    assert activity.newest_event == max(r["ts"] for r in EVENTS)
    assert activity.newest_created is None  # events have no created timestamp
    assert snap.materialized == t(200) and activity.materialized is None
    assert snap.lag == timedelta(minutes=110) and not snap.stale  # under the 2h TTL
    monkeypatch.undo()
    args = ["freshness", "--repo", str(repo.root), "--target", target]
    assert main([*args, "--at", t(260).isoformat()]) == 0
    assert f"snap: fresh, limit 2:00:00; newest event {t(150).isoformat()}" in capsys.readouterr(
    ).out
    assert main([*args, "--at", t(300).isoformat(), "--views", "snap"]) == 1
    assert "snap: STALE" in capsys.readouterr().out
    nothing = offline_freshness(repo, target=target_of(emulator, "no_state"), now=t(260))
    assert [f.materialized for f in nothing] == [None, None]  # no state table there


def test_freshness_reads_unqualified_source_tables_from_the_target_dataset(
        emulator: BigQueryEmulator, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")  # table="snap", table="events": in dataset ds
    write_sources(root, SNAP, EVENTS)
    found = {f.view: f for f in offline_freshness(Repo.load(root), target=target_of(
        emulator, "ds"), now=t(260))}
    assert found["snap"].newest_event == max(r["ts"] for r in SNAP)
    assert found["activity"].newest_event == max(r["ts"] for r in EVENTS)
    assert found["snap"].materialized is None  # no state table in ds
