"""The last-runs query (one query for every view's last completed run, what a BigQuery sync and
freshness read) on hand-made state rows, and against ``run.last_run`` on a DuckDB target."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fsql.materialize import statements as st
from fsql.materialize.last_runs import last_runs_query
from fsql.materialize.layout import STATE_TABLE
from fsql.materialize.run import last_run
from fsql.online.sync import micros
from fsql.repo import Repo
from tests.materialize_support import make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP


def _run(con: duckdb.DuckDBPyConnection, views: list[str]) -> set[tuple[str, str, int]]:
    return set(con.execute(last_runs_query("state", views).sql(dialect="duckdb")).fetchall())


def test_the_last_finished_run_decides_the_hash_and_its_greatest_end_counts() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE state (view_name VARCHAR, definition_hash VARCHAR, "
                "end_time_us BIGINT, finished_at TIMESTAMP)")
    con.executemany("INSERT INTO state VALUES (?, ?, ?, ?)", [
        ("a", "h1", 50, "2024-01-01 00:00"),
        ("a", "h2", 10, "2024-01-02 00:00"),  # a full refresh to h2 ...
        ("a", "h2", 30, "2024-01-03 00:00"),
        ("a", "h2", 20, "2024-01-04 00:00"),  # ... whose greatest end is 30
        ("a", "h3", 99, None),  # never finished: not a run
        ("b", "x", 5, "2024-01-01 00:00"),  # tied on finished_at: the greater end wins
        ("b", "y", 7, "2024-01-01 00:00"),
        ("c", "z", 1, "2024-01-01 00:00"),  # not asked for
        ("d", "w", 1, None),  # only an unfinished run: absent
    ])
    assert _run(con, ["a", "b", "d"]) == {("a", "h2", 30), ("b", "y", 7)}
    assert _run(con, ["nope"]) == set()


def test_it_reads_what_last_run_reads_on_a_duckdb_target(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    for end in (t(40), t(200), t(120)):
        repo.materialize(end=end)
    con = duckdb.connect(str(root / "fsql_store.duckdb"))
    got = set(con.execute(last_runs_query(STATE_TABLE, ["snap", "activity"])
                          .sql(dialect="duckdb")).fetchall())
    want = set()
    for view in ("snap", "activity"):
        found = last_run(con, st.Names(f"{view}_latest", STATE_TABLE), view)
        assert found is not None
        want.add((view, found[1], found[0]))
    assert got == want
    assert {end for _, _, end in got} == {micros(t(200))}  # the older third run regresses nothing
