"""``fsql consistency --target snowflake://...`` and ``fsql backfill --target snowflake://...``
end to end through snowflake-connector-python against fakesnow's server mode (the fixture
and what that server cannot run: tests/test_snowflake_target.py). Expectations: the oracle
(backfill: every key and grid time; consistency: the latest tables first checked equal to
fsql's DuckDB runs, which the materialization tests check against the oracle)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from fsql import oracle
from fsql.cli import main
from fsql.engines import snowflake
from fsql.errors import CompileError, UnsupportedError
from fsql.materialize import backfill_snowflake
from fsql.repo import Repo
from tests.engines.fakesnow_server import PYTHON, FakesnowServer
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    make_repo,
    t,
    write_sources,
    write_table,
)
from tests.test_backfill_warehouse import GRID
from tests.test_backfill_warehouse import _check_grid as check_grid
from tests.test_materialize import EVENTS, SNAP
from tests.test_snowflake_target import (
    SERVICE,
    SPINE,
    SPINE_SCHEMA,
    Fixture,
    _key,
    assert_rows,
    assert_same_latest,
    table_data,
)

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


def _schema(sf: Fixture, schema: str) -> str:
    """A schema of its own holding the two sources; its target URL."""
    sf.load({f"DB.{schema}.snap": table_data(SNAP_SCHEMA, SNAP),
             f"DB.{schema}.events": table_data(EVENT_SCHEMA, EVENTS)})
    return sf.url.replace("/DB/SC?", f"/DB/{schema}?")


def test_consistency_on_snowflake_reads_the_warehouse_and_finds_a_planted_change(
        sf: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The latest tables written by ``fsql materialize --target snowflake://`` (equal to the
    DuckDB run's, checked first) agree with Snowflake's own training-set query for a spine of
    (every key, T1); a value changed in the table is reported; no table: one line, exit 2."""
    target = _schema(sf, "CHK")
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    end = t(120).isoformat()
    assert main(["materialize", "--repo", str(root), "--end", end, "--target", target]) == 0
    Repo.load(root).materialize(end=t(120), target="duckdb:///store.duckdb")
    assert_same_latest(sf, "CHK", root / "store.duckdb")
    capsys.readouterr()
    # By hand: every key of the source without a NULL: snap (1,'23'), (12,'3'), (2,'x'),
    # (3,'old'), (4,'new'); with a row at t(120) under the 2h TTL: (2,'x') and (3,'old').
    # activity: users 1, 2 and 3.
    for view, keys in (("snap", "5 keys (2 with a row)"), ("activity", "3 keys")):
        code = main(["consistency", "--repo", str(root), "--view", view, "--at", end,
                     "--target", target])
        out = capsys.readouterr().out
        assert code == 0, out
        assert out.startswith(f"{view} at {t(120).isoformat()}: {keys}") and \
            out.rstrip().endswith(", 0 mismatches"), out
    sf.con.cursor().execute("UPDATE DB.CHK.snap_latest SET score = 99.0 "
                            "WHERE bank = 2 AND branch = 'x'")
    code = main(["consistency", "--repo", str(root), "--view", "snap", "--at", end,
                 "--target", target])
    out = capsys.readouterr().out
    assert code == 1 and ", 1 mismatches" in out.splitlines()[0], out
    assert "key (2, 'x') score: latest table 99.0, training set 2.0" in out  # the later row
    sf.con.cursor().execute("CREATE SCHEMA IF NOT EXISTS DB.EMPTY")
    missing = main(["consistency", "--repo", str(root), "--view", "snap", "--at", end,
                    "--target", target.replace("/DB/CHK?", "/DB/EMPTY?")])
    assert missing == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run fsql materialize --views snap first" in err, err


def test_backfill_on_snowflake_equals_the_oracle_and_resumes(
        sf: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fsql backfill --target snowflake://...`` runs the ``--print`` script statement by
    statement: every (key, grid time) equals the oracle; a run stopped after two chunks (the
    third chunk's rows and record gone) resumes with that chunk alone; a changed definition
    is refused."""
    target = _schema(sf, "FILLED")
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    args = ["backfill", "--repo", str(root), "--view", "activity", "--start",
            GRID[0].isoformat(), "--end", GRID[-1].isoformat(), "--every", "30m",
            "--chunk", "4", "--target", target]

    def check() -> int:
        cursor = sf.con.cursor().execute("SELECT * FROM DB.FILLED.activity_backfill")
        columns = [d.name for d in cursor.description]
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        check_grid(repo, "activity", columns, rows, tmp_path, GRID)
        return len(rows)

    assert main(args) == 0  # 9 grid times: chunks of 4, 4 and 1
    out = capsys.readouterr().out
    rows = check()
    assert f"9 grid times, 3 chunks written ({rows} rows), 0 already done" in out, out
    last = GRID[8].strftime("%Y-%m-%d %H:%M:%S")
    sf.con.cursor().execute(f"DELETE FROM DB.FILLED.activity_backfill "
                            f"WHERE feature_time >= '{last}'::TIMESTAMP_NTZ")
    sf.con.cursor().execute(f"DELETE FROM DB.FILLED.fsql_backfills "
                            f"WHERE chunk_start = '{last}'::TIMESTAMP_NTZ")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert check() == rows
    assert "3 chunks" not in out and "1 chunks written" in out and "2 already done" in out, out
    assert main(args) == 0
    assert "0 chunks written (0 rows), 3 already done" in capsys.readouterr().out
    assert check() == rows
    features = root / "features.py"
    features.write_text(features.read_text().replace('window="3h"', 'window="4h"'))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "changed since" in err, err


def test_a_backfill_interrupted_inside_a_chunk_keeps_the_chunks_before_it(
        sf: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the second chunk's INSERT: a ROLLBACK is sent and that chunk is gone (its
    rows and its record; fakesnow would also roll it back when the session ends, real
    Snowflake may keep a detached transaction open), the first stays; the next run writes
    the other two chunks once."""
    target = _schema(sf, "STOPPED")
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    real = snowflake.execute
    inserts: list[str] = []
    sent: list[str] = []

    def stopping(con: Any, sql: str, **kw: Any) -> Any:
        sent.append(sql)
        cursor = real(con, sql, **kw)
        if "(step insert_chunk" in kw["what"]:
            inserts.append(sql)
            if len(inserts) == 2:
                raise KeyboardInterrupt
        return cursor

    run = {"view": "activity", "start": GRID[0], "end": GRID[-1], "every": "30m", "chunk": 4,
           "target": target}
    monkeypatch.setattr(backfill_snowflake.snowflake, "execute", stopping)
    with pytest.raises(KeyboardInterrupt):
        backfill_snowflake.backfill_in_snowflake(repo, **run)
    monkeypatch.setattr(backfill_snowflake.snowflake, "execute", real)
    assert sent[-2:] == [inserts[-1], "ROLLBACK"]
    times = {_utc(r["feature_time"]) for r in
             sf.rows("SELECT feature_time FROM DB.STOPPED.activity_backfill")}
    assert times == set(GRID[:4])
    assert len(sf.rows("SELECT * FROM DB.STOPPED.fsql_backfills")) == 1
    done = backfill_snowflake.backfill_in_snowflake(repo, **run)
    assert (done.chunks_written, done.chunks_skipped) == (2, 1)
    cursor = sf.con.cursor().execute("SELECT * FROM DB.STOPPED.activity_backfill")
    check_grid(repo, "activity", [d.name for d in cursor.description], cursor.fetchall(),
               tmp_path, GRID)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@pytest.mark.parametrize("spine", ["file", "frame", "arrow", "table", "query"])
def test_get_historical_features_on_snowflake_equals_the_oracle(
        sf: Fixture, tmp_path: Path, spine: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``Repo.get_historical_features(..., target="snowflake://...")``: Snowflake computes
    the training set of a file, DataFrame or Arrow spine (uploaded; the result in its order)
    or of a table or query spine (in place), equal to the oracle."""
    schema = f"HIST_{spine.upper()}"
    target = _schema(sf, schema)
    sf.load({f"DB.{schema}.spine": table_data(SPINE_SCHEMA, SPINE)})
    root = make_repo(tmp_path / "repo", SERVICE)
    write_sources(root, SNAP, EVENTS)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    repo = Repo.load(root)
    rows = pa.Table.from_pylist(SPINE, schema=SPINE_SCHEMA)
    arg: Any = {"file": root / "spine.parquet", "frame": rows.to_pandas(), "arrow": rows,
                "table": "spine", "query": f"SELECT * FROM DB.{schema}.spine WHERE bank > 0"
                }[spine]
    got = repo.get_historical_features("svc", arg, target=target, arrow=True).to_pylist()
    plan = repo.plan("svc", str(root / "spine.parquet"))
    want = oracle.evaluate(plan, SPINE, {lookup.source.name: SNAP if lookup.source.name ==
                                         "snap_source" else EVENTS for lookup in plan.lookups})
    if spine in ("table", "query"):  # no order of its own: compare sorted
        assert_rows(sorted(got, key=_key), sorted(want, key=_key))
    else:
        assert_rows(got, want)
        assert [r["cnt_life"] for r in got] == [7, 1, 2, 2, 0, 1]  # by hand, from EVENTS
    frame = repo.get_historical_features("svc", arg, target=target, progress=True)
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(SPINE)
    assert list(frame.columns) == list(got[0])
    uploaded = "uploading the spine (6 rows)" in capsys.readouterr().err
    assert uploaded == (spine not in ("table", "query"))


def test_get_historical_features_refuses_a_duckdb_target_and_duckdb_options(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", SERVICE)
    with pytest.raises(UnsupportedError, match="BigQuery and Snowflake"):
        Repo.load(root).get_historical_features("svc", "spine.parquet",
                                                target="duckdb:///store.duckdb")
    with pytest.raises(CompileError, match="memory_limit limits embedded DuckDB"):
        Repo.load(root).get_historical_features("svc", "spine.parquet", memory_limit="1GB",
                                                target="snowflake://u@acct/db/sch")
