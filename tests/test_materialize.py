"""Latest tables on DuckDB: after runs ending at T1, every key reads what the training-set
query gives a spine row (key, T1), as the oracle computes it (SEMANTICS.md, Materialization)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.repo import Repo
from tests.materialize_support import assert_contract, latest_rows, make_repo, t, write_sources

SNAP = [
    # two keys that a concatenated row id would confuse: (1, "23") and (12, "3")
    {"bank": 1, "branch": "23", "ts": t(0), "created": t(1), "score": 0.5, "n": 3, "label": "a"},
    {"bank": 12, "branch": "3", "ts": t(0), "created": t(1), "score": 9.0, "n": 4, "label": "b"},
    # a correction at the same event time, created later: wins
    {"bank": 1, "branch": "23", "ts": t(0), "created": t(30), "score": 0.75, "n": None,
     "label": None},
    # NULL created is the oldest
    {"bank": 2, "branch": "x", "ts": t(10), "created": None, "score": 1.0, "n": 1, "label": "c"},
    {"bank": 2, "branch": "x", "ts": t(10), "created": t(11), "score": 2.0, "n": 2, "label": "d"},
    # a NULL key is never visible
    {"bank": None, "branch": "x", "ts": t(5), "created": t(5), "score": 7.0, "n": 7, "label": "e"},
    # leaves the 2h TTL by T1 = t(200)
    {"bank": 3, "branch": "old", "ts": t(20), "created": t(20), "score": 3.0, "n": 3, "label": "f"},
    # in the future of the first run
    {"bank": 4, "branch": "new", "ts": t(150), "created": t(150), "score": 4.0, "n": 4,
     "label": "g"},
]
EVENTS = [
    {"user_id": 1, "ts": t(m), "amount": float(m)} for m in (0, 30, 100, 150, 170, 190, 200)
] + [
    {"user_id": 2, "ts": t(10), "amount": None},
    {"user_id": 3, "ts": t(50), "amount": 5.0},
    {"user_id": None, "ts": t(60), "amount": 1.0},
]


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return root


def test_full_run_equals_oracle(repo_dir: Path, tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    report = repo.materialize(end=t(200))
    store = repo_dir / "fsql_store.duckdb"
    assert {v.view for v in report.views} == {"snap", "activity"}
    for view, rows in (("snap", SNAP), ("activity", EVENTS)):
        assert_contract(store, repo, view, t(200), rows, tmp_path)
    assert (3, "old") not in latest_rows(store, "snap")  # left the TTL: reads as nothing visible
    repo.materialize(views=["snap"], end=t(100), target="duckdb:///at100.duckdb")
    snap = latest_rows(repo_dir / "at100.duckdb", "snap")
    assert set(snap) == {(1, "23"), (12, "3"), (2, "x"), (3, "old")}
    assert snap[(1, "23")]["score"] == 0.75 and snap[(1, "23")]["n"] is None  # NULL kept
    assert snap[(12, "3")]["score"] == 9.0
    assert snap[(1, "23")]["created_timestamp"] == t(30).replace(tzinfo=None)
    assert snap[(1, "23")]["feature_timestamp"] == t(0).replace(tzinfo=None)
    assert snap[(2, "x")]["label"] == "d"


def test_incremental_runs_equal_oracle_at_each_end(repo_dir: Path, tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    for end in (t(40), t(120), t(160), t(200), t(400)):
        repo.materialize(end=end)
        for view, rows in (("snap", SNAP), ("activity", EVENTS)):
            assert_contract(store, repo, view, end, rows, tmp_path)


def test_counts_and_watermark(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    first = {v.view: v for v in repo.materialize(views=["snap"], end=t(100)).views}["snap"]
    # (1, "23"), (12, "3"), (2, "x"), (3, "old")
    assert (first.inserted, first.updated, first.deleted) == (4, 0, 0)
    again = repo.materialize(views=["snap"], end=t(100)).views[0]
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    later = repo.materialize(views=["snap"], end=t(200)).views[0]
    # (4,new) appears; (1,23), (12,3), (2,x) and (3,old) left the TTL
    assert (later.inserted, later.updated, later.deleted) == (1, 0, 4)
    assert later.end == t(200)
    con = duckdb.connect(str(repo_dir / "fsql_store.duckdb"), read_only=True)
    rows = con.execute("SELECT view_name, end_time_us, rows_inserted, rows_deleted, "
                       "finished_at IS NOT NULL FROM fsql_materializations ORDER BY started_at, "
                       "end_time_us").fetchall()
    con.close()
    assert [r[2:] for r in rows] == [(4, 0, True), (0, 0, True), (1, 4, True)]


def test_older_end_changes_nothing(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    repo.materialize(end=t(200))
    before = latest_rows(repo_dir / "fsql_store.duckdb", "activity")
    report = repo.materialize(end=t(100))
    assert all(v.skipped for v in report.views)
    assert latest_rows(repo_dir / "fsql_store.duckdb", "activity") == before


def test_service_uses_its_cut(repo_dir: Path, tmp_path: Path) -> None:
    extra = '\nfrom fsql import FeatureService\nsvc = FeatureService("svc", features=[activity], ' \
        'cut="exclusive")\n'
    (repo_dir / "features.py").write_text((repo_dir / "features.py").read_text() + extra)
    repo = Repo.load(repo_dir)
    report = repo.materialize(service="svc", end=t(200))
    assert [v.view for v in report.views] == ["activity"]
    row = latest_rows(repo_dir / "fsql_store.duckdb", "activity")[(1,)]
    assert row["cnt_1h"] == 3  # [t(140), t(200)): 150, 170, 190; not the event at t(200)
    assert row["cnt_life"] == 6


def test_targets_named_and_urls(repo_dir: Path) -> None:
    (repo_dir / "fsql.toml").write_text(
        '[project]\nname = "m"\n\n[targets.local]\nurl = "duckdb:///stores/local.duckdb"\n'
        'prefix = "fs_"\n')
    repo = Repo.load(repo_dir)
    repo.materialize(views=["snap"], end=t(100), target="local")
    con = duckdb.connect(str(repo_dir / "stores" / "local.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM fs_snap_latest").fetchall() == [(4,)]
    con.close()
    other = repo_dir / "abs.duckdb"
    repo.materialize(views=["snap"], end=t(100), target=f"duckdb:///{other}")
    assert other.exists()


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"views": ["snapp"]}, DefinitionError, "Did you mean 'snap'"),
    ({"service": "nope"}, DefinitionError, "Unknown feature service 'nope'"),
    ({"end": "yesterday"}, CompileError, "2024-03-01T12:00:00"),
    ({"target": "nosuch"}, CompileError, "Unknown target 'nosuch'"),
    ({"target": "duckbd:///x.duckdb"}, CompileError, "Did you mean 'duckdb'"),
    ({"target": "snowflake://u@acct/db/sch"}, ExecutionError,
     "no Snowflake credentials for user 'u'; set SNOWFLAKE_PASSWORD"),
])
def test_bad_input_writes_nothing(repo_dir: Path, kwargs: dict[str, object],
                                  error: type[Exception], message: str) -> None:
    repo = Repo.load(repo_dir)
    options = {"end": t(100), **kwargs}
    with pytest.raises(error, match=message):
        repo.materialize(**options)  # type: ignore[arg-type]
    assert not (repo_dir / "fsql_store.duckdb").exists()


def test_consistency_check_finds_no_mismatch_and_sees_a_corrupted_row(repo_dir: Path) -> None:
    from fsql.materialize.consistency import check_consistency

    repo = Repo.load(repo_dir)
    for end in (t(120), t(200)):
        repo.materialize(end=end)
    for view in ("snap", "activity"):
        result = check_consistency(repo, view=view, at=t(200))
        assert result.ok, result.format()
        assert result.keys == {"snap": 5, "activity": 3}[view]
    con = duckdb.connect(str(repo_dir / "fsql_store.duckdb"))
    con.execute("UPDATE activity_latest SET cnt_life = cnt_life + 1 WHERE user_id = 1")
    con.execute("DELETE FROM snap_latest WHERE bank = 4")
    con.close()
    broken = check_consistency(repo, view="activity", at=t(200))
    assert [(m[0], m[1]) for m in broken.mismatches] == [((1,), "cnt_life")]
    missing = check_consistency(repo, view="snap", at=t(200))
    assert {m[0] for m in missing.mismatches} == {(4, "new")}
