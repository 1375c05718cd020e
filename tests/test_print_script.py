"""Printed materialization scripts are deterministic for a given end time (so they can be
golden files), and the printed Snowflake script, run on fakesnow twice, leaves latest tables
equal to the oracle's and a warehouse-clock ``materialized_at``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from fsql.materialize.run import print_script
from fsql.repo import Repo
from tests.materialize_support import assert_contract, make_repo, t, write_sources
from tests.test_materialize_engines import (
    EVENTS,
    SNAP,
    _check_rows,
    _fakesnow,
    _tables,
    repo,  # noqa: F401  (fixture)
)
from tests.test_materialize_guarantees import _arrived
from tests.test_materialize_lifetime import LEDGER


def statements(script: str) -> list[str]:
    """The statements of a printed script (comment lines dropped)."""
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() + ";" for s in body.split(";\n") if s.strip().rstrip(";")]


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake", "bigquery"])
def test_two_prints_are_equal_byte_for_byte(repo: Repo, dialect: str) -> None:  # noqa: F811
    first = print_script(repo, dialect=dialect, end="2024-01-01")
    second = print_script(repo, dialect=dialect, end="2024-01-01")
    assert first == second
    assert "1111-11-11" not in first  # the clock stand-in never reaches the text
    other = print_script(repo, dialect=dialect, end="2024-01-02")
    assert other != first


@pytest.mark.engine
def test_printed_snowflake_script_runs_on_fakesnow_equal_oracle(
        repo: Repo, tmp_path) -> None:  # noqa: F811
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow

    early_snap = [r for r in SNAP if r["created"] is None or r["created"] <= t(40)]
    early_events = [r for r in EVENTS if r["ts"] <= t(40)]
    views = ["snap", "activity"]
    first = statements(print_script(repo, dialect="snowflake", views=views, end=t(40)))
    second = statements(print_script(repo, dialect="snowflake", views=views, end=t(200)))
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
    setup = [*load_statements(_tables(early_snap, early_events)),
             *(rewrite_for_fakesnow(s) for s in first),
             "DELETE FROM snap", "DELETE FROM events",
             *(s for s in load_statements(_tables(SNAP, EVENTS)) if s.startswith("INSERT")),
             *(rewrite_for_fakesnow(s) for s in second)]
    for view, source in (("snap", SNAP), ("activity", EVENTS)):
        columns, rows = _fakesnow(setup, f"SELECT * FROM {view}_latest")
        _check_rows(repo, view, columns, rows, t(200), source, tmp_path)
    _, state = _fakesnow(setup, "SELECT started_at, finished_at FROM fsql_materializations")
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)
    assert len(state) == 4
    for started, finished in state:  # the warehouse's clock in UTC, not a printed literal
        assert before <= started.replace(tzinfo=None) <= after, started
        assert finished is not None


# A created-time source with late rows (lag > late_arrival of 30m), corrections, NULL created
# times and a full tie of `last` split over runs.
LEDGER_ROWS = [
    {"bank": 1, "branch": "3", "ts": 30, "lag": 0, "score": 0.5, "n": 2, "label": "a"},
    {"bank": 1, "branch": "3", "ts": 30, "lag": 100, "score": 1.5, "n": 5, "label": "b"},
    {"bank": 2, "branch": "23", "ts": 45, "lag": None, "score": 1.5, "n": 2, "label": "a"},
    {"bank": 2, "branch": "23", "ts": 45, "lag": None, "score": 0.5, "n": 2, "label": "b"},
    {"bank": 12, "branch": "3", "ts": 0, "lag": 200, "score": None, "n": 1, "label": None},
    {"bank": 12, "branch": "3", "ts": 150, "lag": -30, "score": 0.5, "n": None, "label": "a"},
    {"bank": 1, "branch": "23", "ts": 240, "lag": 60, "score": 1.5, "n": 5, "label": "b"},
    {"bank": 2, "branch": "3", "ts": 90, "lag": 5, "score": 0.5, "n": 1, "label": "a"},
]


def test_printed_duckdb_runs_of_a_merging_view_equal_the_oracle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Printed DuckDB scripts of a view whose lifetime aggregates merge, over a created-time
    source: a first run without --full-refresh, incremental runs as rows land, the same
    script twice (two state rows with one run id), an older end, a --full-refresh and a run
    after it; the table equals the oracle after each (it is read
    relative to the repository, as the script names its files)."""
    root = make_repo(tmp_path / "repo", extra=LEDGER)
    ledger = Repo.load(root)
    monkeypatch.chdir(root)
    store = root / "printed.duckdb"
    latest = 0
    for point, full_refresh in [(50, False), (60, False), (120, False), (120, False),
                                (100, False), (200, True), (420, False)]:
        write_sources(root, _arrived(LEDGER_ROWS, point, snapshot=True), [])
        script = print_script(ledger, dialect="duckdb", views=["ledger"], end=t(point),
                              full_refresh=full_refresh)
        con = duckdb.connect(str(store))
        try:
            for statement in statements(script):
                con.execute(statement)
        finally:
            con.close()
        latest = point if full_refresh else max(latest, point)  # an older end changes nothing
        assert_contract(store, ledger, "ledger", t(latest),
                        _arrived(LEDGER_ROWS, latest, snapshot=True), tmp_path)
