"""``fsql materialize`` and ``fsql consistency`` from the command line: what they print, and
bad input reported on one line with exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsql.cli import main
from tests.materialize_support import latest_rows, make_repo, write_sources
from tests.test_materialize import EVENTS, SNAP


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return root


def test_materialize_prints_figures_per_view(repo_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["materialize", "--repo", str(repo_dir), "--views", "snap,activity",
                 "--end", "2024-01-01T01:40:00Z"])
    out = capsys.readouterr().out
    assert code == 0
    assert "snap -> snap_latest: 4 inserted, 0 updated, 0 deleted" in out
    assert "watermark 2024-01-01T01:40:00+00:00" in out
    assert "activity -> activity_latest: 3 inserted" in out
    assert set(latest_rows(repo_dir / "fsql_store.duckdb", "snap")) == {
        (1, "23"), (12, "3"), (2, "x"), (3, "old")}
    assert main(["consistency", "--repo", str(repo_dir), "--view", "snap",
                 "--at", "2024-01-01T01:40:00Z"]) == 0
    assert "0 mismatches" in capsys.readouterr().out


@pytest.mark.parametrize(("dialect", "expected"), [
    ("bigquery", ["BEGIN TRANSACTION;", "MERGE INTO snap_latest", "COMMIT TRANSACTION;",
                  "CLUSTER BY `bank`, `branch`"]),
    ("snowflake", ["MERGE INTO snap_latest", 'CLUSTER BY ("bank", "branch")']),
    ("duckdb", ["BEGIN;", "MERGE INTO snap_latest", 'PRIMARY KEY ("bank", "branch")']),
])
def test_print_writes_the_script_and_nothing_else(repo_dir: Path, dialect: str,
                                                  expected: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["materialize", "--repo", str(repo_dir), "--views", "snap", "--end",
                 "2024-01-01", "--dialect", dialect, "--print"])
    out = capsys.readouterr().out
    assert code == 0
    for text in expected:
        assert text in out
    if dialect == "snowflake":
        assert "TRANSACTION" not in out and "BEGIN" not in out
    assert not (repo_dir / "fsql_store.duckdb").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--views", "snapp"], "Unknown feature view 'snapp'. Did you mean 'snap'?"),
    (["--service", "svc"], "Unknown feature service 'svc'"),
    (["--end", "01/02/2024"], "write one of: now, 2024-03-01"),
    (["--target", "prod"], "Unknown target 'prod'"),
    (["--target", "ftp://x"], "Unknown target scheme 'ftp'"),
    (["--target", "snowflake://u@acct/db/schema"],
     "no Snowflake credentials for user 'u'; set SNOWFLAKE_PASSWORD"),
    (["--dialect", "snowflake"], "--dialect goes with --print"),
])
def test_bad_input_one_line_exit_2_nothing_written(repo_dir: Path, args: list[str],
                                                   message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fsql: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (repo_dir / "fsql_store.duckdb").exists()


def test_definition_change_is_refused_on_one_line(repo_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T01:00:00"]) == 0
    store = repo_dir / "fsql_store.duckdb"
    before = store.read_bytes()
    text = (repo_dir / "features.py").read_text().replace('Field("n", "int64", default=0)',
                                                          'Field("n", "int64", default=1)')
    (repo_dir / "features.py").write_text(text)
    capsys.readouterr()
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T02:00:00"]) == 2
    err = capsys.readouterr().err
    assert "FeatureView 'snap'" in err and "--full-refresh" in err and err.count("\n") == 1
    assert store.read_bytes() == before
    assert main(["materialize", "--repo", str(repo_dir), "--end", "2024-01-01T02:00:00",
                 "--full-refresh"]) == 0


def test_printed_script_refuses_a_changed_definition(repo_dir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    def script() -> list[str]:
        capsys.readouterr()
        assert main(["materialize", "--repo", str(repo_dir), "--views", "snap", "--end",
                     "2024-01-01T01:00:00", "--dialect", "duckdb", "--print"]) == 0
        text = capsys.readouterr().out
        return [s for s in text.split(";\n") if s.strip()]  # DuckDB skips the comments

    con = duckdb.connect(str(repo_dir / "store.duckdb"))
    con.execute(f"SET file_search_path = '{repo_dir}'")
    con.execute("SET TimeZone = 'UTC'")
    for statement in script():
        con.execute(statement)
    assert con.execute("SELECT count(*) FROM snap_latest").fetchall() == [(4,)]
    text = (repo_dir / "features.py").read_text().replace('ttl="2h"', 'ttl="3h"')
    (repo_dir / "features.py").write_text(text)
    changed = script()
    with pytest.raises(duckdb.Error, match="changed since snap_latest was written"):
        for statement in changed:
            con.execute(statement)
    # the check runs before anything is written
    assert con.execute("SELECT count(*) FROM fsql_materializations").fetchall() == [(1,)]
    con.close()
