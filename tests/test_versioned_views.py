"""Versioned views: ``FeatureView(..., version=2)`` materializes to ``<view>_v2_latest`` and
every run (re)creates the SQL VIEW ``<view>_latest`` over the newest version's table, whose
rows equal the oracle; versions coexist in a repository, the newest is what names resolve to."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from fsql.cli import main
from fsql.errors import DefinitionError
from fsql.repo import Repo
from tests.materialize_support import assert_contract, latest_rows, make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP

V2 = '''
snap_v2 = FeatureView("snap", version=2, entities=[account], source=snap_source, ttl="{ttl}",
                      features=[Field("score", "float64"), Field("n", "int64", default=0),
                                Field("label", "string"), Derived("score_x2", "score * 2")])
'''


def kinds(store: Path) -> dict[str, str]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                "ORDER BY table_name").fetchall())
    finally:
        con.close()


def test_two_versions_materialized_the_view_reads_the_newest(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    store = root / "fsql_store.duckdb"
    Repo.load(root).materialize(views=["snap"], end=t(200))
    assert kinds(store)["snap_latest"] == "BASE TABLE"
    assert (3, "old") not in latest_rows(store, "snap")  # outside v1's 2h TTL

    make_repo(root, extra=V2.format(ttl="4h"))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    assert repo.views["snap"].version == 2 and set(repo.view_versions["snap"]) == {1, 2}
    repo.materialize(views=["snap"], end=t(200))  # a new table: no --full-refresh needed
    found = kinds(store)
    assert found["snap_latest"] == "VIEW" and found["snap_v2_latest"] == "BASE TABLE"
    assert found["snap_v1_latest"] == "BASE TABLE"  # version 1's table kept, renamed
    assert_contract(store, repo, "snap", t(200), SNAP, tmp_path)  # the view: v2 = oracle
    assert (3, "old") in latest_rows(store, "snap")  # inside v2's 4h TTL
    repo.materialize(views=["snap"], end=t(210))  # incremental on v2's own state
    assert_contract(store, repo, "snap", t(210), SNAP, tmp_path)
    con = duckdb.connect(str(store), read_only=True)
    names = {r[0] for r in con.execute("SELECT view_name FROM fsql_materializations").fetchall()}
    con.close()
    assert names == {"snap", "snap_v2"}


def test_two_definitions_of_one_version_name_both(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", extra=V2.format(ttl="4h") + V2.replace(
        "snap_v2 =", "other =").format(ttl="5h"))
    with pytest.raises(DefinitionError, match=r"named 'snap' with version 2 \(.*features\.py:\d+"
                                              r" and .*features\.py:\d+\)"):
        Repo.load(root)


def test_a_bad_version_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", extra=V2.replace("version=2", "version=0").format(
        ttl="4h"))
    with pytest.raises(DefinitionError, match="version= must be an integer >= 1"):
        Repo.load(root)


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "duckdb"])
def test_printed_scripts_recreate_the_pointer_view(tmp_path: Path, dialect: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo", extra=V2.format(ttl="4h"))
    write_sources(root, SNAP, EVENTS)
    capsys.readouterr()
    assert main(["materialize", "--repo", str(root), "--views", "snap", "--end",
                 "2024-01-01T03:20:00", "--dialect", dialect, "--print"]) == 0
    text = capsys.readouterr().out
    statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    views = [s for s in statements if isinstance(s, exp.Create) and s.kind == "VIEW"]
    assert len(views) == 1 and views[0].args.get("replace")
    assert views[0].this.name == "snap_latest"
    assert [t.name for t in views[0].expression.find_all(exp.Table)] == ["snap_v2_latest"]
    assert statements[-1] is views[0]  # after the view's run
    if dialect == "duckdb":  # and it runs: the pointer reads version 2's rows
        con = duckdb.connect(str(root / "store.duckdb"))
        con.execute(f"SET file_search_path = '{root}'")
        con.execute("SET TimeZone = 'UTC'")
        for statement in (s for s in text.split(";\n") if s.strip()):
            con.execute(statement)
        con.close()
        repo = Repo.load(root)
        assert_contract(root / "store.duckdb", repo, "snap", t(200), SNAP, tmp_path)
