"""Materialization statements on the warehouses' local engines: Snowflake's script (CREATE,
state rows, one deduplicated MERGE) run on fakesnow, run after run; BigQuery's new-rows SELECT
(the MERGE's source) on the GoogleSQL reference evaluator. Both are checked against the
oracle, not against DuckDB's run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fsql.oracle import to_micros
from fsql.repo import Repo
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect
from tests.engines import TableData
from tests.materialize_support import expected_rows, make_repo, same, t, write_sources
from tests.test_materialize import EVENTS, SNAP

pytestmark = pytest.mark.engine

TABLES = {"snap": [("bank", "int64"), ("branch", "string"), ("ts", "timestamp"),
                   ("created", "timestamp"), ("score", "float64"), ("n", "int64"),
                   ("label", "string")],
          "events": [("user_id", "int64"), ("ts", "timestamp"), ("amount", "float64")]}
KEYS = {"snap": ("bank", "branch"), "activity": ("user_id",), "averaged": ("user_id",)}
# a lifetime avg, merged from the stored sum and count (fsql/materialize/lifetime.py)
AVERAGED = '''
averaged = FeatureView("averaged", entities=[user], source=events, late_arrival="1h",
                       features=[
    Aggregate("amount", "avg", name="amount_avg"),
    Aggregate("amount", "avg", name="amount_avg_big", where="amount > 1", default=-1.0),
    Aggregate("*", "count", window="2h", name="cnt_2h"),
])
'''


def _tables(snap: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, TableData]:
    def data(name: str, rows: list[dict[str, Any]]) -> TableData:
        return TableData(TABLES[name], [tuple(r[c] for c, _ in TABLES[name]) for r in rows])

    return {"snap": data("snap", snap), "events": data("events", events)}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)  # the files type the keys; the warehouse reads tables
    return Repo.load(root)


def _statements(repo: Repo, dialect: str, end: datetime, *, full: bool = False,
                views: tuple[str, ...] = ("snap", "activity")) -> list[str]:
    from fsql.materialize import statements as st
    from fsql.materialize.run import layout_for
    from fsql.materialize.script import render_step, view_steps

    out = []
    for name in views:
        layout = layout_for(repo, repo.views[name], "inclusive", dialect=dialect)
        names = st.Names(layout.name, "fsql_materializations")
        run = st.RunInfo(uuid.uuid4().hex, end, datetime(2030, 1, 1, tzinfo=UTC),
                         full_refresh=full)
        out += [render_step(s, dialect) for s in view_steps(repo, layout, names, run, dialect)]
    return out


def _fakesnow(setup: list[str], sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    from tests.engines import fakesnow_engine as fe

    with fe._lock:
        worker = fe._get_worker(fe.fakesnow_python(), 120.0)
        answer = worker.request({"database": fe.DEFAULT_DATABASE, "schema": fe.DEFAULT_SCHEMA,
                                 "setup": setup, "sql": sql}, 300.0)
    assert answer.get("ok"), answer
    return [str(c) for c in answer["columns"]], [tuple(fe._decode(v) for v in r)
                                                 for r in answer["rows"]]


def _check_rows(repo: Repo, view: str, columns: list[str], rows: list[tuple[Any, ...]],
                end: datetime, source: list[dict[str, Any]], tmp: Path, *,
                only_these: bool = False) -> None:
    """The rows (of a latest table, or of a MERGE source with ``only_these``) equal the
    oracle's for a spine (key, end); a key of the table without a row reads as absent."""
    expected, absent = expected_rows(repo, view, end, source, tmp)
    table = {}
    for row in rows:
        record = {c.lower(): v for c, v in zip(columns, row, strict=True)}
        key = tuple(int(record[k]) if k in ("bank", "user_id") else record[k]
                    for k in KEYS[view])
        table[key] = record
    assert set(table) <= set(expected)
    for key, want in expected.items():
        if only_these and key not in table:
            continue
        got = table.get(key)
        for name, value in want.items():
            have = absent[name] if got is None else got[name.lower()]
            if isinstance(value, int) and not isinstance(value, bool) and have is not None:
                have = int(have)  # Snowflake's NUMBER(38,0) comes back as Decimal
            assert same(have, value), (view, key, name, have, value)


def test_snowflake_runs_on_fakesnow_equal_oracle(repo: Repo, tmp_path: Path) -> None:
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow

    # two runs: the second reads the first's state row and MERGEs the changed keys only
    early_snap = [r for r in SNAP if r["created"] is None or r["created"] <= t(40)]
    early_events = [r for r in EVENTS if r["ts"] <= t(40)]
    first = _statements(repo, "snowflake", t(40))
    second = _statements(repo, "snowflake", t(200))
    assert not any("TRANSACTION" in s for s in first), "one MERGE is the unit of work"
    setup = [*load_statements(_tables(early_snap, early_events)),
             *(rewrite_for_fakesnow(s) for s in first),
             "DELETE FROM snap", "DELETE FROM events",  # the sources grow: refill them
             *(s for s in load_statements(_tables(SNAP, EVENTS)) if s.startswith("INSERT")),
             *(rewrite_for_fakesnow(s) for s in second)]
    for view, source in (("snap", SNAP), ("activity", EVENTS)):
        columns, rows = _fakesnow(setup, f"SELECT * FROM {view}_latest")
        _check_rows(repo, view, columns, rows, t(200), source, tmp_path)
    columns, state = _fakesnow(setup, "SELECT view_name, end_time_us, finished_at "
                                      "FROM fsql_materializations ORDER BY end_time_us, view_name")
    assert [(r[0], int(r[1])) for r in state] == [
        ("activity", to_micros(t(40))), ("snap", to_micros(t(40))),
        ("activity", to_micros(t(200))), ("snap", to_micros(t(200)))]
    assert all(r[2] is not None for r in state)


def test_snowflake_merged_lifetime_avg_on_fakesnow_equals_oracle(tmp_path: Path) -> None:
    """Two Snowflake runs of a view with lifetime avgs: the second merges the stored sums and
    counts with the new rows only, and equals the oracle."""
    from fsql.materialize.lifetime import merges
    from fsql.materialize.run import layout_for
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow

    root = make_repo(tmp_path / "repo", extra=AVERAGED)
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    assert merges(layout_for(repo, repo.views["averaged"], "inclusive"))
    early = [r for r in EVENTS if r["ts"] <= t(40)]
    first = _statements(repo, "snowflake", t(40), views=("averaged",))
    second = _statements(repo, "snowflake", t(200), views=("averaged",))
    setup = [*load_statements(_tables(SNAP, early)), *(rewrite_for_fakesnow(s) for s in first),
             "DELETE FROM snap", "DELETE FROM events",  # the sources grow: refill them
             *(s for s in load_statements(_tables(SNAP, EVENTS)) if s.startswith("INSERT")),
             *(rewrite_for_fakesnow(s) for s in second)]
    columns, rows = _fakesnow(setup, "SELECT * FROM averaged_latest")
    assert "__fsql_n__amount_avg" in columns
    _check_rows(repo, "averaged", columns, rows, t(200), EVENTS, tmp_path)


def _new_rows(repo: Repo, view: str, end: datetime, tables: dict[str, TableData], *,
              full: bool) -> Any:
    """The keys a run recomputes and then the new rows (the MERGE's source), both evaluated
    on GoogleSQL: the second reads the first's result as table ``__fsql_keys``."""
    from fsql.materialize import statements as st
    from fsql.materialize.run import layout_for
    from fsql.materialize.script import computed_features, key_source, rows_plan, table_layout
    from tests.engines.zetasql_engine import ZetaSQLEngine

    dialect = get_dialect("bigquery")
    layout = layout_for(repo, repo.views[view], "inclusive", dialect="bigquery")
    names = st.Names(layout.name, "fsql_materializations")
    run = st.RunInfo("r", end, datetime(2030, 1, 1, tzinfo=UTC), full_refresh=full)
    engine = ZetaSQLEngine(default_time_zone="America/New_York")
    source = key_source(repo, layout, local=False)
    types = dict(TABLES["snap"] + TABLES["events"])
    tables = dict(tables)
    if not full:  # an incremental run reads the source once, into table __fsql_rows
        read = engine.run(render(st.candidate_rows(source, layout, names, run, dialect),
                                 dialect), tables)
        tables[st.ROWS] = TableData([(c, types[c]) for c in read.columns], read.rows)
    keys = engine.run(render(st.changed_keys(layout, names, run, source, dialect), dialect),
                      tables)
    key_types = [(c, types[c]) for c in keys.columns]
    plan = rows_plan(repo, layout, names, run, dialect, local=False)
    written = table_layout(repo, layout, dialect)  # with a merging view's state columns
    sql = render(st.new_rows(compile_plan(plan, dialect), written, run, dialect,
                             computed=computed_features(repo, layout, dialect)), dialect)
    return engine.run(sql, {**tables, st.KEYS: TableData(key_types, keys.rows)})


@pytest.mark.parametrize("view", ["snap", "activity", "averaged"])
def test_bigquery_new_rows_on_googlesql_equal_oracle(repo: Repo, tmp_path: Path,
                                                     view: str) -> None:
    if view == "averaged":
        root = make_repo(tmp_path / "repo_avg", extra=AVERAGED)
        write_sources(root, SNAP, EVENTS)
        repo = Repo.load(root)
    result = _new_rows(repo, view, t(200), _tables(SNAP, EVENTS), full=True)
    present = [r for r in result.rows
               if not dict(zip(result.columns, r, strict=True))["__fsql_absent"]]
    source = SNAP if view == "snap" else EVENTS
    _check_rows(repo, view, result.columns, present, t(200), source, tmp_path)


def _latest_table(repo: Repo, rows: Any) -> TableData:
    """A latest table holding the present rows of a MERGE source (GoogleSQL result)."""
    from fsql.materialize.run import layout_for
    from fsql.materialize.script import table_layout

    layout = layout_for(repo, repo.views["activity"], "inclusive", dialect="bigquery")
    written = table_layout(repo, layout, get_dialect("bigquery"))
    columns = [(c, str(d)) for c, d in written.columns]
    index = [rows.columns.index(c) for c, _ in columns]
    present = [r for r in rows.rows if not r[rows.columns.index("__fsql_absent")]]
    return TableData(columns, [tuple(r[i] for i in index) for r in present])


def test_bigquery_incremental_spine_reads_the_state_table(repo: Repo, tmp_path: Path) -> None:
    """An incremental run's new rows on GoogleSQL: only the keys that can have changed since
    the state table's previous run are recomputed, and each equals the oracle at T1."""
    from fsql.materialize.layout import definition_hash

    state_columns = [("view_name", "string"), ("definition_hash", "string"),
                     ("end_time_us", "int64"), ("created_watermark_us", "int64"),
                     ("finished_at", "timestamp")]
    previous = ("activity", definition_hash(repo.views["activity"], "inclusive"),
                to_micros(t(300)), None, datetime(2030, 1, 1, tzinfo=UTC))
    tables = {**_tables(SNAP, EVENTS),
              "fsql_materializations": TableData(state_columns, [previous])}
    # the latest table as the previous run left it (lifetime aggregates merge with it)
    stored = _new_rows(repo, "activity", t(300), tables, full=True)
    tables["activity_latest"] = _latest_table(repo, stored)
    result = _new_rows(repo, "activity", t(310), tables, full=False)
    keys = {r[result.columns.index("user_id")] for r in result.rows}
    # from t(300) to t(310), with the 1h allowance, only user 1's events (100 .. 200) leave
    # a 1h, 2h or 3h window; users 2 (t(10)) and 3 (t(50)) changed long before
    assert keys == {1}
    _check_rows(repo, "activity", result.columns, result.rows, t(310), EVENTS, tmp_path,
                only_these=True)
    full = _new_rows(repo, "activity", t(310), tables, full=True)
    assert {r[full.columns.index("user_id")] for r in full.rows} == {1, 2, 3}
