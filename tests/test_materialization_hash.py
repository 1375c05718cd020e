"""The materialization's definition hash is the contract's view hash: ``fsql plan`` prints the
hash that ``fsql_materializations`` records; a change the contract calls compatible (a
description) does not force --full-refresh, a semantic change does."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from fsql.cli import main
from tests.materialize_support import make_repo, write_sources
from tests.test_materialize import EVENTS, SNAP

END = "2024-01-01T01:00:00"


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return root


def recorded(root: Path) -> dict[str, str]:
    con = duckdb.connect(str(root / "fsql_store.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT view_name, definition_hash FROM fsql_materializations "
                           "ORDER BY end_time_us, view_name")
        return dict(rows.fetchall())  # the newest run of each view
    finally:
        con.close()


def planned(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    capsys.readouterr()
    assert main(["plan", "--repo", str(root)]) == 0
    out = capsys.readouterr().out
    return dict(re.findall(r"^view (\w+)  version \S+  hash (\w+)$", out, re.MULTILINE))


def edit(root: Path, old: str, new: str) -> None:
    path = root / "features.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_plan_prints_the_hash_the_state_table_records(
        repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["materialize", "--repo", str(repo_dir), "--end", END]) == 0
    hashes = planned(repo_dir, capsys)
    assert set(hashes) == {"snap", "activity"}
    assert recorded(repo_dir) == hashes


def test_a_compatible_change_needs_no_full_refresh_a_semantic_one_does(
        repo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["materialize", "--repo", str(repo_dir), "--end", END]) == 0
    before = recorded(repo_dir)
    edit(repo_dir, 'FeatureView("snap",', 'FeatureView("snap", description="scores",')
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T02:00:00"]) == 0
    assert recorded(repo_dir) == before
    edit(repo_dir, 'ttl="2h"', 'ttl="3h"')
    capsys.readouterr()
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T03:00:00"]) == 2
    assert "--full-refresh" in capsys.readouterr().err
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T03:00:00",
                 "--full-refresh"]) == 0
    after = recorded(repo_dir)
    assert after["snap"] != before["snap"] and after["activity"] == before["activity"]
    assert planned(repo_dir, capsys)["snap"] == after["snap"]
