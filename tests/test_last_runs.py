"""The last-runs query (one query for every view's last completed run, what a BigQuery sync and
freshness read) on hand-made state rows, and against ``run.last_run`` on a DuckDB target."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from fsql.materialize import statements as st
from fsql.materialize.last_runs import last_runs_query
from fsql.materialize.layout import STATE_TABLE
from fsql.materialize.run import last_run
from fsql.online.sync import micros
from fsql.repo import Repo
from tests.engines import TableData
from tests.materialize_support import make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP

STATE_COLUMNS = [("view_name", "string"), ("definition_hash", "string"),
                 ("end_time_us", "int64"), ("finished_at", "timestamp")]
STATE_ROWS = [
    ("a", "h1", 50, datetime(2024, 1, 1, tzinfo=UTC)),
    ("a", "h2", 10, datetime(2024, 1, 2, tzinfo=UTC)),  # a full refresh to h2 ...
    ("a", "h2", 30, datetime(2024, 1, 3, tzinfo=UTC)),
    ("a", "h2", 20, datetime(2024, 1, 4, tzinfo=UTC)),  # ... whose greatest end is 30
    ("a", "h3", 99, None),  # never finished: not a run
    ("b", "x", 5, datetime(2024, 1, 1, tzinfo=UTC)),  # tied on finished_at: greater end wins
    ("b", "y", 7, datetime(2024, 1, 1, tzinfo=UTC)),
    ("c", "z", 1, datetime(2024, 1, 1, tzinfo=UTC)),  # not asked for
    ("d", "w", 1, None),  # only an unfinished run: absent
]
# By hand, from the rows above.
EXPECTED = {("a", "h2", 30), ("b", "y", 7)}


def test_the_last_finished_run_decides_the_hash_and_its_greatest_end_counts() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE state (view_name VARCHAR, definition_hash VARCHAR, "
                "end_time_us BIGINT, finished_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO state VALUES (?, ?, ?, ?)", STATE_ROWS)
    assert set(con.execute(last_runs_query("state", ["a", "b", "d"]).sql(dialect="duckdb"))
               .fetchall()) == EXPECTED
    assert not con.execute(last_runs_query("state", ["nope"]).sql(dialect="duckdb")).fetchall()


@pytest.mark.engine
def test_the_bigquery_query_on_googlesql_reads_the_same() -> None:
    """BigQuery semantics (bqemulator is DuckDB underneath): the GoogleSQL evaluator."""
    from tests.engines.zetasql_engine import ZetaSQLEngine

    sql = last_runs_query("state", ["a", "b", "d"]).sql(dialect="bigquery")
    result = ZetaSQLEngine().run(sql, {"state": TableData(STATE_COLUMNS, STATE_ROWS)})
    assert set(result.rows) == EXPECTED


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
