"""``fsql backfill --dialect bigquery|snowflake --print``: the Snowflake script executed on
fakesnow (twice, and after an interrupted chunk) and the BigQuery chunk SELECT on the
GoogleSQL evaluator, both against the oracle at every grid time; the DDL's layout; a
backfill table read back as the Source of a snapshot view."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from fsql.cli import main
from fsql.errors import CompileError, UnsupportedError
from fsql.materialize.backfill import backfill
from fsql.materialize.backfill_script import backfill_steps, print_backfill
from fsql.materialize.run import layout_for
from fsql.materialize.script import Step, render_step
from fsql.repo import Repo
from fsql.sql.compiler import render
from fsql.sql.dialect import get_dialect
from tests.engines import TableData
from tests.materialize_support import expected_rows, make_repo, same, t, write_sources
from tests.test_materialize import EVENTS, SNAP

KEYS = {"snap": ("bank", "branch"), "activity": ("user_id",)}
SOURCES = {"snap": SNAP, "activity": EVENTS}
GRID = [t(m) for m in range(0, 241, 30)]
TABLES = {"snap": [("bank", "int64"), ("branch", "string"), ("ts", "timestamp"),
                   ("created", "timestamp"), ("score", "float64"), ("n", "int64"),
                   ("label", "string")],
          "events": [("user_id", "int64"), ("ts", "timestamp"), ("amount", "float64")]}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)  # the files type the keys; the warehouse reads tables
    return Repo.load(root)


def _tables() -> dict[str, TableData]:
    def data(name: str, rows: list[dict[str, Any]]) -> TableData:
        return TableData(TABLES[name], [tuple(r[c] for c, _ in TABLES[name]) for r in rows])

    return {"snap": data("snap", SNAP), "events": data("events", EVENTS)}


def _steps(repo: Repo, view: str, dialect: str, chunk: int = 4) -> list[Step]:
    layout = layout_for(repo, repo.views[view], "inclusive", dialect=dialect)
    return backfill_steps(repo, layout, f"{view}_backfill", "fsql_backfills", GRID,
                          GRID[1] - GRID[0], chunk, dialect)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _check_grid(repo: Repo, view: str, columns: list[str], rows: list[tuple[Any, ...]],
                tmp: Path, times: list[datetime]) -> None:
    """One row per (key, grid time), each equal to the oracle's value for a spine row at that
    time; a (key, time) without a row reads as nothing visible."""
    records = [{c.lower(): v for c, v in zip(columns, r, strict=True)} for r in rows]
    table = {(*(int(r[k]) if k in ("bank", "user_id") else r[k] for k in KEYS[view]),
              _utc(r["feature_time"])): r for r in records}
    assert len(table) == len(records), "one row per key and grid time"
    assert {key[-1] for key in table} <= set(times)
    for moment in times:
        expected, absent = expected_rows(repo, view, moment, SOURCES[view], tmp)
        for key, want in expected.items():
            got = table.get((*key, moment))
            for name, value in want.items():
                have = absent[name] if got is None else got[name.lower()]
                if isinstance(value, int) and not isinstance(value, bool) and have is not None:
                    have = int(have)  # Snowflake's NUMBER(38,0) comes back as Decimal
                assert same(have, value), (view, key, moment, name, have, value)


def _fakesnow(setup: list[str], sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    from tests.engines import fakesnow_engine as fe

    with fe._lock:
        worker = fe._get_worker(fe.fakesnow_python(), 120.0)
        answer = worker.request({"database": fe.DEFAULT_DATABASE, "schema": fe.DEFAULT_SCHEMA,
                                 "setup": setup, "sql": sql}, 300.0)
    assert answer.get("ok"), answer
    return [str(c) for c in answer["columns"]], [tuple(fe._decode(v) for v in r)
                                                 for r in answer["rows"]]


@pytest.mark.engine
@pytest.mark.parametrize("view", ["snap", "activity"])
def test_snowflake_backfill_on_fakesnow_equals_oracle_and_resumes(repo: Repo, tmp_path: Path,
                                                                  view: str) -> None:
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow

    steps = _steps(repo, view, "snowflake", chunk=4)  # 9 grid times: chunks of 4, 4, 1
    script = [rewrite_for_fakesnow(render_step(s, "snowflake")) for s in steps]
    commits = [i for i, s in enumerate(steps) if s.name == "commit"]
    inserts = [i for i, s in enumerate(steps) if s.name == "insert_chunk"]
    assert len(commits) == 3
    # the first chunk committed, the second stopped after its INSERT (rolled back), then
    # the whole script run again, twice
    setup = [*load_statements(_tables()), *script[:commits[0] + 1],
             *script[commits[0] + 1:inserts[1] + 1], "ROLLBACK", *script, *script]
    columns, rows = _fakesnow(setup, f"SELECT * FROM {view}_backfill")
    _check_grid(repo, view, columns, rows, tmp_path, GRID)
    _, state = _fakesnow(setup, "SELECT chunk_start, chunk_end, rows_written "
                                "FROM fsql_backfills ORDER BY chunk_start")
    assert [(_utc(a), _utc(b)) for a, b, _ in state] == [(GRID[0], GRID[3]), (GRID[4], GRID[7]),
                                                        (GRID[8], GRID[8])]
    assert sum(int(n) for *_, n in state) == len(rows)


@pytest.mark.engine
@pytest.mark.parametrize("view", ["snap", "activity"])
def test_bigquery_chunk_select_on_googlesql_equals_oracle(repo: Repo, tmp_path: Path,
                                                          view: str) -> None:
    from tests.engines.zetasql_engine import ZetaSQLEngine

    dialect = get_dialect("bigquery")
    steps = _steps(repo, view, "bigquery", chunk=5)
    engine = ZetaSQLEngine(default_time_zone="America/New_York")
    tables = _tables()
    keys_query = next(s.tree for s in steps if s.name == "changed_keys").expression
    keys = engine.run(render(keys_query, dialect), tables)
    types = dict(TABLES["snap"] + TABLES["events"])
    state_columns = [("view_name", "string"), ("definition_hash", "string"),
                     ("chunk_start", "timestamp"), ("chunk_end", "timestamp"),
                     ("every_us", "int64"), ("rows_written", "int64"),
                     ("finished_at", "timestamp")]
    tables |= {"__fsql_keys": TableData([(c, types[c]) for c in keys.columns], keys.rows),
               "fsql_backfills": TableData(state_columns, [])}
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    selects = [s.tree.expression for s in steps if s.name == "insert_chunk"]
    assert len(selects) == 2
    for select in selects:
        result = engine.run(render(select, dialect), tables)
        columns, rows = result.columns, rows + list(result.rows)
    _check_grid(repo, view, columns, rows, tmp_path, GRID)
    # a recorded chunk is not written again
    layout = layout_for(repo, repo.views[view], "inclusive", dialect="bigquery")
    done = ("activity" if view == "activity" else "snap", layout.definition_hash, GRID[0],
            GRID[4], 30 * 60 * 1_000_000, 1, GRID[0])
    tables["fsql_backfills"] = TableData(state_columns, [done])
    assert engine.run(render(selects[0], dialect), tables).rows == []
    assert engine.run(render(selects[1], dialect), tables).rows


@pytest.mark.parametrize(("dialect", "partition"), [("bigquery", True), ("snowflake", False)])
def test_script_parses_and_lays_out_the_table(repo: Repo, dialect: str, partition: bool) -> None:
    text = print_backfill(repo, view="snap", start=GRID[0], end=GRID[-1], every="30m",
                          dialect=dialect, chunk=4)
    assert text == print_backfill(repo, view="snap", start=GRID[0], end=GRID[-1], every="30m",
                                  dialect=dialect, chunk=4), "deterministic"
    steps = _steps(repo, "snap", dialect)
    assert text.splitlines()[1:] == "\n".join(render_step(s, dialect) for s in steps
                                              ).splitlines()
    for step in steps:
        if step.name in ("begin", "commit"):
            continue
        sqlglot.parse_one(render_step(step, dialect), read=dialect)  # every statement parses
    ddl = sqlglot.parse_one(render_step(steps[0], dialect), read=dialect)
    assert isinstance(ddl, exp.Create) and ddl.find(exp.PrimaryKey) is None
    cluster = ddl.find(exp.ClusterProperty)
    assert cluster is not None
    assert [c.name for c in cluster.find_all(exp.Column)] == ["bank", "branch"]
    parted = ddl.find(exp.PartitionedByProperty)
    assert (parted is not None) == partition
    if parted is not None:
        day = parted.this
        assert isinstance(day, exp.Date) and day.this.name == "feature_time"
    names = [s.name for s in steps]
    assert names.count("begin") == names.count("commit") == 3
    assert all(names[i:i + 5] == ["begin", "delete_chunk", "insert_chunk", "record_chunk",
                                  "commit"] for i in range(3, len(names), 5))


def test_unsupported_dialect_raises(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("duckdb", "postgres"):
        with pytest.raises(UnsupportedError, match="bigquery, snowflake"):
            print_backfill(repo, view="snap", start=GRID[0], end=GRID[-1], every="30m",
                           dialect=name)
    base = ["backfill", "--repo", str(repo.root), "--view", "snap", "--start", "2024-01-01",
            "--end", "2024-01-01T04:00:00", "--every", "1h"]
    assert main([*base, "--dialect", "postgres", "--print"]) == 2
    assert main([*base, "--dialect", "snowflake"]) == 2  # --dialect without --print
    capsys.readouterr()
    assert main([*base, "--dialect", "snowflake", "--print"]) == 0
    out = capsys.readouterr().out
    assert out.count("BEGIN;") == 1 and "CLUSTER BY (\"bank\", \"branch\")" in out


SNAPSHOT_OF_BACKFILL = '''
backfilled = Source("backfilled", path="data/activity_backfill.parquet",
                    timestamp_field="feature_time")
activity_grid = FeatureView("activity_grid", entities=[user], source=backfilled, features=[
    Field("cnt_life", "int64"),
    Field("amount_sum_3h", "float64"),
])
'''


def test_backfill_table_is_the_source_of_a_snapshot_view(tmp_path: Path) -> None:
    """A snapshot view over the offline table: a spine row between two grid times gets the
    oracle's value at the grid time before it (nothing before a key's first event)."""
    import pandas as pd

    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    backfill(Repo.load(root), view="activity", start=GRID[0], end=GRID[-1], every="30m")
    con = duckdb.connect(str(root / "fsql_store.duckdb"))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("COPY (SELECT * REPLACE (timezone('UTC', feature_time) AS feature_time) "
                    "FROM activity_backfill) TO ? (FORMAT parquet)",
                    [str(root / "data" / "activity_backfill.parquet")])
    finally:
        con.close()
    (root / "features.py").write_text((root / "features.py").read_text() + SNAPSHOT_OF_BACKFILL)
    repo = Repo.load(root)
    users = sorted({r["user_id"] for r in EVENTS if r["user_id"] is not None})
    moments = [t(45), t(100), t(239), t(250)]
    spine = pd.DataFrame([{"user_id": u, "event_timestamp": m} for u in users for m in moments])
    got = repo.get_historical_features([repo.views["activity_grid"]], spine)
    assert len(got) == len(spine)
    checked = 0
    for row in got.to_dict("records"):
        moment = row["event_timestamp"].to_pydatetime()
        floor = max(g for g in GRID if g <= moment)
        seen = any(e["user_id"] == row["user_id"] and e["ts"] <= floor for e in EVENTS)
        expected, _ = expected_rows(repo, "activity", floor, EVENTS, tmp_path)
        for name in ("cnt_life", "amount_sum_3h"):
            have = row[name]
            if not seen:
                assert pd.isna(have), (row, name)
                continue
            want = expected[(row["user_id"],)][name]
            assert same(type(want)(have), want), (row, name, have, want)
            checked += 1
    assert checked


def test_qualified_names_follow_the_dialect(repo: Repo) -> None:
    """A target's dataset/schema qualifies every reference: one backticked path on BigQuery,
    dotted parts on Snowflake."""
    bq = print_backfill(repo, view="snap", start=GRID[0], end=GRID[1], every="30m",
                        dialect="bigquery", target="bigquery://proj/feat")
    assert "DELETE FROM `proj.feat.snap_backfill`" in bq and "`proj.feat.fsql_backfills`" in bq
    sf = print_backfill(repo, view="snap", start=GRID[0], end=GRID[1], every="30m",
                        dialect="snowflake", target="snowflake://me@acct/DB/FEAT?warehouse=WH")
    assert "DELETE FROM DB.FEAT.snap_backfill" in sf and "FROM DB.FEAT.fsql_backfills" in sf
    with pytest.raises(CompileError, match="bigquery target"):
        print_backfill(repo, view="snap", start=GRID[0], end=GRID[1], every="30m",
                       dialect="snowflake", target="bigquery://proj/feat")
