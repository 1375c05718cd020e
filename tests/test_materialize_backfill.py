"""Offline feature tables: per key and grid time the training-set value (the oracle's), in
chunks; an interrupted backfill resumes without duplicating a row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from fsql.cli import main
from fsql.errors import CompileError, DefinitionError
from fsql.repo import Repo
from tests.materialize_support import expected_rows, make_repo, same, t, write_sources
from tests.test_materialize import EVENTS, SNAP

KEYS = {"snap": ("bank", "branch"), "activity": ("user_id",)}
GRID = [t(m) for m in range(0, 241, 30)]


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return root


def _table(store: Path, view: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM {view}_backfill")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def _assert_equals_oracle(repo: Repo, store: Path, view: str, source: list[dict[str, Any]],
                          tmp: Path) -> None:
    rows = _table(store, view)
    table = {(*(r[k] for k in KEYS[view]), r["feature_time"]): r for r in rows}
    assert len(table) == len(rows), "one row per key and grid time"
    for moment in GRID:
        expected, absent = expected_rows(repo, view, moment, source, tmp)
        for key, want in expected.items():
            got = table.get((*key, moment.replace(tzinfo=None)))
            for name, value in want.items():
                have = absent[name] if got is None else got[name]
                assert same(have, value), (view, key, moment, name, have, value)


@pytest.mark.parametrize("view", ["snap", "activity"])
def test_backfill_equals_oracle_at_every_grid_time(repo_dir: Path, tmp_path: Path,
                                                   view: str) -> None:
    repo = Repo.load(repo_dir)
    report = repo_backfill(repo, view, chunk=4)
    assert (report.points, report.chunks_written) == (9, 3)
    store = repo_dir / "fsql_store.duckdb"
    _assert_equals_oracle(repo, store, view, SNAP if view == "snap" else EVENTS, tmp_path)


def repo_backfill(repo: Repo, view: str, **options: Any) -> Any:
    from fsql.materialize.backfill import backfill

    return backfill(repo, view=view, start=GRID[0], end=GRID[-1], every="30m", **options)


class Stop(RuntimeError):
    pass


def test_interrupted_backfill_resumes_without_duplicates(repo_dir: Path,
                                                         tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"

    def stop_at_second(chunk: int) -> None:
        if chunk == 1:
            raise Stop

    with pytest.raises(Stop):
        repo_backfill(repo, "activity", chunk=3, hook=stop_at_second)
    first = _table(store, "activity")
    assert {r["feature_time"] for r in first} <= {g.replace(tzinfo=None) for g in GRID[:3]}
    resumed = repo_backfill(repo, "activity", chunk=3)
    assert (resumed.chunks_skipped, resumed.chunks_written) == (1, 2)
    _assert_equals_oracle(repo, store, "activity", EVENTS, tmp_path)
    before = sorted(map(repr, _table(store, "activity")))
    again = repo_backfill(repo, "activity", chunk=3)
    assert (again.chunks_written, again.rows) == (0, 0)
    assert sorted(map(repr, _table(store, "activity"))) == before


def test_bad_backfill_input(repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo.load(repo_dir)
    from fsql.materialize.backfill import backfill

    with pytest.raises(CompileError, match="before --start"):
        backfill(repo, view="snap", start=t(10), end=t(0), every="1h")
    with pytest.raises(DefinitionError, match="months or years"):
        backfill(repo, view="snap", start=t(0), end=t(10), every="1mo")
    code = main(["backfill", "--repo", str(repo_dir), "--view", "snap", "--start",
                 "2024-01-01", "--end", "2024-01-01T04:00:00", "--every", "1h"])
    assert code == 0
    assert "5 grid times" in capsys.readouterr().out
    assert main(["backfill", "--repo", str(repo_dir), "--view", "nope", "--start",
                 "2024-01-01", "--end", "2024-01-02", "--every", "1h"]) == 2
