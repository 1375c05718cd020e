"""Versioned views: ``FeatureView(..., version=2)`` materializes to ``<view>_v2_latest`` and
every run (re)creates the SQL VIEW ``<view>_latest`` over the newest version's table, whose
rows equal the oracle; versions coexist in a repository, the newest is what names resolve to."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from fsql import oracle
from fsql.cli import main
from fsql.errors import DefinitionError
from fsql.repo import Repo
from tests.materialize_support import (
    assert_contract,
    latest_rows,
    make_repo,
    t,
    write_sources,
    write_table,
)
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


def _spine(tmp_path: Path, end_minutes: float) -> Path:
    rows = [{"bank": r["bank"], "branch": r["branch"], "event_timestamp": t(end_minutes)}
            for r in SNAP if r["bank"] is not None]
    path = tmp_path / "spine.parquet"
    write_table(path, pa.schema([("bank", pa.int64()), ("branch", pa.string()),
                                 ("event_timestamp", pa.timestamp("us", tz="UTC"))]), rows)
    return path


@pytest.mark.parametrize("request_text", ["snap@1:score,snap@1:label", "snap@1"])
def test_an_older_version_is_requested_as_view_at_n(tmp_path: Path, request_text: str) -> None:
    root = make_repo(tmp_path / "repo", extra=V2.format(ttl="4h"))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    spine = _spine(tmp_path, 200)
    old = repo.get_historical_features(request_text, str(spine), arrow=True)
    new = repo.get_historical_features(request_text.replace("@1", ""), str(spine),
                                       arrow=True)
    for version, frame in ((1, old), (2, new)):
        plan = repo.plan([repo.view_versions["snap"][version]], str(spine))
        expected = oracle.evaluate(plan, [dict(r) for r in pq.read_table(spine).to_pylist()],
                                   {plan.lookups[0].source.name: list(SNAP)})
        got = frame.to_pylist()
        assert [r["label"] for r in got] == [r["label"] for r in expected], version
        assert [r["score"] for r in got] == [r["score"] for r in expected], version
    # the old branch ("f" at t(20)) left version 1's 2h TTL and is inside version 2's 4h one
    olds = {r["branch"]: r["label"] for r in old.to_pylist()}
    news = {r["branch"]: r["label"] for r in new.to_pylist()}
    assert olds["old"] is None and news["old"] == "f"


def test_unknown_versions_and_two_versions_in_one_request_are_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", extra=V2.format(ttl="4h"))
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    with pytest.raises(DefinitionError, match=r"'snap' has no version '3'; its versions: "
                                              r"snap@1, snap@2"):
        repo.resolve("snap@3:score")
    with pytest.raises(DefinitionError, match=r"requested in versions 1 and 2 .* keep snap@1 "
                                              r"or snap@2"):
        repo.resolve("snap@1:score,snap:label")
    assert main(["materialize", "--repo", str(root), "--views", "snap@1", "--end",
                 "2024-01-01T03:20:00"]) == 2
