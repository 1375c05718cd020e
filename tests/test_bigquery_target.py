"""``fsql run --target bigquery://...`` end to end through google-cloud-bigquery against a
local BigQuery API server (bqemulator: DuckDB under a translation, so this proves the client
path; BigQuery semantics are proven by the GoogleSQL evaluator). Expected rows come from the
oracle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql import oracle
from fsql.cli import main
from fsql.engines import bigquery
from fsql.engines.credentials import Credentials
from fsql.repo import Repo
from tests.engines.bqemulator_server import VENV, BigQueryEmulator
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    expected_rows,
    make_repo,
    same,
    t,
    write_sources,
    write_table,
)
from tests.test_backfill_warehouse import GRID
from tests.test_backfill_warehouse import _check_grid as check_grid
from tests.test_materialize import EVENTS, SNAP

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "python").exists(),
    reason="bqemulator not installed: tests/engines/setup_bqemulator.sh")
SPINE_SCHEMA = pa.schema([("bank", pa.int64()), ("branch", pa.string()), ("user_id", pa.int64()),
                          ("event_timestamp", pa.timestamp("us", tz="UTC"))])
# Out of time order, a repeated row, a key with no rows: the output keeps the spine's order.
SPINE = [
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(200)},
    {"bank": 12, "branch": "3", "user_id": 3, "event_timestamp": t(60)},
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(45)},
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(45)},
    {"bank": 7, "branch": "x", "user_id": 9, "event_timestamp": t(100)},
    {"bank": 12, "branch": "3", "user_id": 2, "event_timestamp": t(171)},
]


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
        bigquery.upload(bq, f"{server.project}.ds.spine", pa.table(
            {f.name: [r[f.name] for r in SPINE] for f in SPINE_SCHEMA}, schema=SPINE_SCHEMA),
            expires=timedelta(days=1))
        yield server
    finally:
        server.close()


def expected(repo: Repo) -> list[dict[str, Any]]:
    plan = repo.plan("svc", str(repo.root / "spine.parquet"))
    sources = {lookup.source.name: SNAP if lookup.source.name == "snap_source" else EVENTS
               for lookup in plan.lookups}
    return oracle.evaluate(plan, SPINE, sources)


def assert_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (set(g) ^ set(w))
        for name in w:
            assert same(g[name], w[name]), (name, g, w)


SERVICE = ('\nfrom fsql import FeatureService\n'
           'svc = FeatureService("svc", features=[snap, activity])\n')


@pytest.mark.parametrize("spine", ["file", "table", "query"])
def test_run_on_bigquery_equals_the_oracle(emulator: BigQueryEmulator, tmp_path: Path,
                                           spine: str, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    root = make_repo(tmp_path / "repo", SERVICE)
    write_sources(root, SNAP, EVENTS)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    repo = Repo.load(root)
    arg = {"file": str(root / "spine.parquet"), "table": "spine",
           "query": f"SELECT * FROM `{emulator.project}.ds.spine`"}[spine]
    out = tmp_path / "out.parquet"
    target = f"bigquery://{emulator.project}/ds?api_endpoint={emulator.endpoint}"
    code = main(["run", "--repo", str(root), "--features", "svc", "--spine", arg,
                 "--out", str(out), "--target", target])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"wrote {out}: 6 rows" in printed.out
    got = pq.read_table(out).to_pylist()
    if spine != "file":  # a table or query has no order of its own: compare sorted
        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["bank"], r["user_id"], r["event_timestamp"])
        assert_rows(sorted(got, key=key), sorted(expected(repo), key=key))
    else:
        assert_rows(got, expected(repo))
        assert [r["cnt_life"] for r in got] == [7, 1, 2, 2, 0, 1]  # by hand, from EVENTS
    tables = {t.table_id for t in emulator.client().list_tables("ds")}
    assert not any(name.startswith("fsql_spine_") for name in tables)  # the upload is dropped


def test_bad_bigquery_target_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    root = make_repo(tmp_path / "repo", SERVICE)
    code = main(["run", "--repo", str(root), "--features", "svc", "--spine", "spine",
                 "--out", str(tmp_path / "o.parquet"), "--target", "bigquery://proj"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "names no dataset" in err


class _Job:
    job_id, state, total_bytes_processed = "job_1", "RUNNING", 2048

    def __init__(self) -> None:
        self.polls, self.cancelled = 0, False

    def done(self, **bounds: object) -> bool:
        assert set(bounds) == {"retry", "timeout"}  # every poll is bounded
        self.polls += 1
        if self.polls == 1:
            return False
        raise KeyboardInterrupt

    def cancel(self, **bounds: object) -> None:
        self.cancelled = True


def test_ctrl_c_cancels_the_job_and_progress_shows_its_state(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigquery, "POLL", 0.0)
    job, seen = _Job(), []
    with pytest.raises(KeyboardInterrupt):
        bigquery.wait(job, what="running", progress=seen.append)
    assert job.cancelled
    assert seen == ["running: job job_1 RUNNING, 2048 bytes processed"]
    assert "secret" not in repr(Credentials("x", {"password": "secret"}))


def assert_latest(server: BigQueryEmulator, repo: Repo, view: str, end: Any,
                  rows: list[dict[str, Any]], tmp: Path, dataset: str = "ds") -> None:
    """SEMANTICS.md, Materialization, on the BigQuery latest table: every key reads what the
    oracle gives a spine row (key, end); a key without a row reads as nothing visible."""
    keys = {"snap": ("bank", "branch"), "activity": ("user_id",)}[view]
    result = server.client().query(
        f"SELECT * FROM `{server.project}.{dataset}.{view}_latest`").result()
    table = {tuple(r[k] for k in keys): r
             for r in result.to_arrow(create_bqstorage_client=False).to_pylist()}
    want, absent = expected_rows(repo, view, end, rows, tmp)
    assert set(table) <= set(want), set(table) - set(want)
    for key, expect in want.items():
        got = table.get(key)
        read = absent if got is None else {n: got[n] for n in expect}
        for name, value in expect.items():
            assert same(read[name], value), (view, key, name, read[name], value)


def test_materialize_on_bigquery_equals_the_oracle_at_each_end(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    features = root / "features.py"  # the tables by their full names (no default dataset)
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{emulator.project}.ds.snap"')
                        .replace('table="events"', f'table="{emulator.project}.ds.events"'))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    target = f"bigquery://{emulator.project}/ds?api_endpoint={emulator.endpoint}"
    latest = None
    for end in (t(40), t(120), t(200), t(120)):  # the last is older: changes nothing
        code = main(["materialize", "--repo", str(root), "--end", end.isoformat(),
                     "--target", target])
        printed = capsys.readouterr()
        assert code == 0, printed.err
        assert f"snap -> {emulator.project}.ds.snap_latest: rows not counted" in printed.out
        latest = end if latest is None else max(latest, end)
        for view, rows in (("snap", SNAP), ("activity", EVENTS)):
            assert_latest(emulator, repo, view, latest, rows, tmp_path)
    state = emulator.client().query(
        f"SELECT COUNT(*) AS n FROM `{emulator.project}.ds.fsql_materializations` "
        "WHERE finished_at IS NOT NULL").result()
    assert next(iter(state))["n"] >= 6  # the three forward runs of both views finished


def test_a_versioned_view_gets_its_pointer_view_on_bigquery(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A version 2 view materializes to ``<view>_v2_latest`` and ``<view>_latest`` is a SQL
    VIEW over it, as ``--print`` shows and as DuckDB runs do."""
    root = make_repo(tmp_path / "repo")
    features = root / "features.py"
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{emulator.project}.ds.snap"')
                        .replace('snap = FeatureView("snap", ', 'snap = FeatureView("snap", '
                                 'version=2, '))
    write_sources(root, SNAP, EVENTS)
    bq = emulator.client()
    bq.create_dataset("versioned")  # its own dataset: no version 1 snap_latest table there
    target = f"bigquery://{emulator.project}/versioned?api_endpoint={emulator.endpoint}"
    code = main(["materialize", "--repo", str(root), "--views", "snap", "--end",
                 t(200).isoformat(), "--target", target])
    assert code == 0, capsys.readouterr().err
    table = bq.get_table(f"{emulator.project}.versioned.snap_latest")
    assert table.table_type == "VIEW"
    rows = [f"SELECT * FROM `{emulator.project}.versioned.{name}` ORDER BY bank, branch"
            for name in ("snap_v2_latest", "snap_latest")]
    got = [bq.query(q).result().to_arrow(create_bqstorage_client=False).to_pylist()
           for q in rows]
    assert got[0] and got[0] == got[1]
    assert_latest(emulator, Repo.load(root), "snap", t(200), SNAP, tmp_path, "versioned")


def test_consistency_on_bigquery_reads_the_warehouse_and_finds_a_planted_change(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fsql consistency --target bigquery://...``: the latest tables written by a BigQuery
    materialization (equal to the oracle, as checked first) agree with BigQuery's own
    training-set query for every key; a value changed in the table is reported."""
    root = make_repo(tmp_path / "repo")
    features = root / "features.py"
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{emulator.project}.ds.snap"')
                        .replace('table="events"', f'table="{emulator.project}.ds.events"'))
    write_sources(root, SNAP, EVENTS)
    bq = emulator.client()
    bq.create_dataset("checked")
    target = f"bigquery://{emulator.project}/checked?api_endpoint={emulator.endpoint}"
    end = t(120).isoformat()
    assert main(["materialize", "--repo", str(root), "--end", end, "--target", target]) == 0
    capsys.readouterr()
    for view, rows in (("snap", SNAP), ("activity", EVENTS)):
        assert_latest(emulator, Repo.load(root), view, t(120), rows, tmp_path, "checked")
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
    bq.query(f"UPDATE `{emulator.project}.checked.snap_latest` SET score = 99.0 "
             "WHERE bank = 2 AND branch = 'x'").result()
    code = main(["consistency", "--repo", str(root), "--view", "snap", "--at", end,
                 "--target", target])
    out = capsys.readouterr().out
    assert code == 1 and ", 1 mismatches" in out.splitlines()[0], out
    assert "key (2, 'x') score: latest table 99.0, training set 2.0" in out  # the later row
    missing = main(["consistency", "--repo", str(root), "--view", "snap", "--at", end,
                    "--target", target.replace("/checked?", "/ds_none?")])
    assert missing == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run fsql materialize --views snap first" in err, err


def test_backfill_on_bigquery_equals_the_oracle_and_resumes(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fsql backfill --target bigquery://...`` runs the ``--print`` script as one job: every
    (key, grid time) equals the oracle; a run stopped after two chunks (the third chunk's rows
    and record gone) resumes with that chunk alone; a changed definition is refused."""
    root = make_repo(tmp_path / "repo")
    features = root / "features.py"
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{emulator.project}.ds.snap"')
                        .replace('table="events"', f'table="{emulator.project}.ds.events"'))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    bq = emulator.client()
    bq.create_dataset("filled")
    target = f"bigquery://{emulator.project}/filled?api_endpoint={emulator.endpoint}"
    table = f"`{emulator.project}.filled.activity_backfill`"
    args = ["backfill", "--repo", str(root), "--view", "activity", "--start",
            GRID[0].isoformat(), "--end", GRID[-1].isoformat(), "--every", "30m",
            "--chunk", "4", "--target", target]

    def check() -> int:
        result = bq.query(f"SELECT * FROM {table}").result()
        rows = result.to_arrow(create_bqstorage_client=False).to_pylist()
        columns = list(rows[0])
        check_grid(repo, "activity", columns, [tuple(r.values()) for r in rows], tmp_path, GRID)
        return len(rows)

    assert main(args) == 0  # 9 grid times: chunks of 4, 4 and 1
    out = capsys.readouterr().out
    rows = check()
    assert f"9 grid times, 3 chunks written ({rows} rows), 0 already done" in out, out
    bq.query(f"DELETE FROM {table} WHERE feature_time >= TIMESTAMP '{GRID[8].isoformat()}'"
             ).result()
    bq.query(f"DELETE FROM `{emulator.project}.filled.fsql_backfills` "
             f"WHERE chunk_start = TIMESTAMP '{GRID[8].isoformat()}'").result()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert check() == rows
    assert "3 chunks" not in out and "1 chunks written" in out and "2 already done" in out, out
    assert main(args) == 0
    assert "0 chunks written (0 rows), 3 already done" in capsys.readouterr().out
    features.write_text(features.read_text().replace('window="3h"', 'window="4h"'))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "changed since" in err, err


@pytest.mark.parametrize("spine", ["file", "frame", "arrow", "table", "query"])
def test_get_historical_features_on_bigquery_equals_the_oracle(
        emulator: BigQueryEmulator, tmp_path: Path, spine: str) -> None:
    """``Repo.get_historical_features(..., target="bigquery://...")``: BigQuery computes the
    training set of a file, DataFrame or Arrow spine (uploaded; the result in its order) or
    of a table or query spine (in place), equal to the oracle."""
    root = make_repo(tmp_path / "repo", SERVICE)
    write_sources(root, SNAP, EVENTS)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    repo = Repo.load(root)
    rows = pa.Table.from_pylist(SPINE, schema=SPINE_SCHEMA)
    arg: Any = {"file": root / "spine.parquet", "frame": rows.to_pandas(), "arrow": rows,
                "table": "spine", "query": f"SELECT * FROM `{emulator.project}.ds.spine`"
                }[spine]
    target = f"bigquery://{emulator.project}/ds?api_endpoint={emulator.endpoint}"
    got = repo.get_historical_features("svc", arg, target=target, arrow=True).to_pylist()
    if spine in ("table", "query"):  # no order of its own: compare sorted
        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["bank"], r["user_id"], r["event_timestamp"])
        assert_rows(sorted(got, key=key), sorted(expected(repo), key=key))
    else:
        assert_rows(got, expected(repo))
        assert [r["cnt_life"] for r in got] == [7, 1, 2, 2, 0, 1]  # by hand, from EVENTS
    frame = repo.get_historical_features("svc", arg, target=target)
    assert len(frame) == len(SPINE) and list(frame.columns) == list(got[0])


def test_a_latest_table_without_a_column_is_refused_before_anything_runs(
        emulator: BigQueryEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A BigQuery latest table missing a column the run writes (an older fsql's, or edited by
    hand) is refused, from the table's metadata, before any view's script runs, naming the
    view, the column and --full-refresh; the rebuild equals the oracle."""
    from google.cloud import bigquery as bq_lib

    root = make_repo(tmp_path / "repo")
    features = root / "features.py"
    features.write_text(features.read_text()
                        .replace('table="snap"', f'table="{emulator.project}.ds.snap"')
                        .replace('table="events"', f'table="{emulator.project}.ds.events"'))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    bq = emulator.client()
    bq.create_dataset("legacy")
    target = f"bigquery://{emulator.project}/legacy?api_endpoint={emulator.endpoint}"
    repo.materialize(end=t(120), target=target)
    name = f"{emulator.project}.legacy.activity_latest"
    schema = [f for f in bq.get_table(name).schema if f.name != "cnt_1h"]
    bq.delete_table(name)
    bq.create_table(bq_lib.Table(name, schema=schema))
    state = f"SELECT COUNT(*) AS n FROM `{emulator.project}.legacy.fsql_materializations`"
    runs = next(iter(bq.query(state).result()))["n"]
    code = main(["materialize", "--repo", str(root), "--end", t(200).isoformat(),
                 "--target", target])
    err = capsys.readouterr().err
    assert code == 2
    assert "'activity'" in err and "activity_latest has no column 'cnt_1h'" in err
    assert "--full-refresh" in err and len(err.strip().splitlines()) == 1
    assert next(iter(bq.query(state).result()))["n"] == runs  # no view's script ran
    assert_latest(emulator, repo, "snap", t(120), SNAP, tmp_path, "legacy")
    repo.materialize(end=t(200), target=target, full_refresh=True)
    for view, rows in (("snap", SNAP), ("activity", EVENTS)):
        assert_latest(emulator, repo, view, t(200), rows, tmp_path, "legacy")
