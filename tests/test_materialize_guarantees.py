"""The guarantees of materialization runs on DuckDB: idempotent, convergent (any split of the
history into runs, rows arriving in created-time order, gives the table of one full run),
never regressing, atomic (an injected failure or a SIGKILL leaves table and watermark as they
were), and a changed definition is refused without --full-refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fsql.errors import DefinitionError
from fsql.repo import Repo
from tests.materialize_support import (
    SYSTEM,
    assert_contract,
    assert_stores_equal,
    latest_rows,
    make_repo,
    t,
    write_sources,
)
from tests.test_materialize import EVENTS, SNAP

VIEWS = ("snap", "activity")


def _snapshot_of_store(store: Path) -> dict[str, Any]:
    """Every row of every table of the store (materialized_at included)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for name in tables}
    finally:
        con.close()


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    return root


def test_same_run_twice_is_identical(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    repo.materialize(end=t(160))
    before = _snapshot_of_store(store)
    report = repo.materialize(end=t(160))
    assert all((v.inserted, v.updated, v.deleted) == (0, 0, 0) for v in report.views)
    after = _snapshot_of_store(store)
    assert {k: v for k, v in after.items() if k != "fsql_materializations"} == \
        {k: v for k, v in before.items() if k != "fsql_materializations"}


def test_older_source_row_changes_nothing_newer(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    repo.materialize(views=["snap"], end=t(100))
    # arrives late (created after every row so far: rows land in created order) with an
    # older event time than the stored winner
    late = {"bank": 2, "branch": "x", "ts": t(5), "created": t(160), "score": -1.0, "n": -1,
            "label": "late"}
    write_sources(repo_dir, [*SNAP, late], EVENTS)
    report = repo.materialize(views=["snap"], end=t(100))
    assert (report.views[0].updated, report.views[0].inserted) == (0, 0)
    assert latest_rows(store, "snap")[(2, "x")]["label"] == "d"
    # a late correction at the winner's event time, created later, does replace it
    fix = {**late, "ts": t(10), "created": t(170), "label": "fixed"}
    write_sources(repo_dir, [*SNAP, late, fix], EVENTS)
    repo.materialize(views=["snap"], end=t(100))
    assert latest_rows(store, "snap")[(2, "x")]["label"] == "fixed"


def test_late_events_within_the_allowance(repo_dir: Path, tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    repo.materialize(views=["activity"], end=t(200))
    within = {"user_id": 3, "ts": t(150), "amount": 100.0}  # 50 min before the last run
    # 300 min before the last run: past the 1h allowance and in no window that moved
    beyond = {"user_id": 4, "ts": t(-100), "amount": 100.0}
    write_sources(repo_dir, SNAP, [*EVENTS, within, beyond])
    repo.materialize(views=["activity"], end=t(210))
    rows = latest_rows(store, "activity")
    assert rows[(3,)]["cnt_life"] == 2  # picked up
    assert (4,) not in rows  # documented: a later row needs a created timestamp
    # ... or a full refresh
    repo.materialize(views=["activity"], end=t(210), full_refresh=True)
    assert latest_rows(store, "activity")[(4,)]["cnt_life"] == 1
    assert_contract(store, repo, "activity", t(210), [*EVENTS, within, beyond], tmp_path)


# -- convergence -------------------------------------------------------------------------
GRID = list(range(0, 301, 15))
snap_rows = st.lists(st.fixed_dictionaries({
    "bank": st.sampled_from([1, 2, 12]), "branch": st.sampled_from(["3", "23"]),
    "ts": st.sampled_from(GRID), "lag": st.sampled_from([-30, 0, 5, 60, 200, None]),
    "score": st.sampled_from([0.5, 1.5, None]), "n": st.sampled_from([1, 2, None]),
    "label": st.sampled_from(["a", "b", None]),
}), max_size=12)
event_rows = st.lists(st.fixed_dictionaries({
    "user_id": st.integers(1, 10), "ts": st.sampled_from(GRID),
    "lag": st.sampled_from([-30, 0, 10, 45, 60]),  # at most the late_arrival of 1h
    "amount": st.sampled_from([1.0, 2.5, None]),
}), max_size=12)


def _arrived(rows: list[dict[str, Any]], by: float, *, snapshot: bool) -> list[dict[str, Any]]:
    """The rows written by time ``by``: a snapshot row arrives at its created time (a NULL
    created row with its event), an event ``lag`` minutes after its event time."""
    out = []
    for r in rows:
        if snapshot:
            created = None if r["lag"] is None else t(r["ts"] + r["lag"])
            arrival = r["ts"] if r["lag"] is None else r["ts"] + r["lag"]
            row = {**r, "ts": t(r["ts"]), "created": created}
        else:
            arrival = r["ts"] + r["lag"]
            row = {**r, "ts": t(r["ts"])}
        if arrival <= by:
            out.append(row)
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# an event 20 minutes late, arriving between two close runs, in no window that moved
@example(snap=[], events=[{"user_id": 5, "ts": 105, "lag": 45, "amount": 1.0}],
         splits=[120, 150])
# a snapshot row created after the first run with an older event time
@example(snap=[{"bank": 1, "branch": "3", "ts": 30, "lag": 100, "score": 0.5, "n": 1,
                "label": "a"}], events=[], splits=[60, 135])
@given(snap=snap_rows, events=event_rows,
       splits=st.lists(st.sampled_from(range(0, 421, 5)), max_size=6, unique=True))
def test_any_split_converges_to_one_full_run(snap: list[dict[str, Any]],
                                             events: list[dict[str, Any]],
                                             splits: list[int]) -> None:
    end = 420
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp) / "repo")
        repo = Repo.load(root)
        for point in [*sorted(s for s in splits if s < end), end]:
            arrived = (_arrived(snap, point, snapshot=True),
                       _arrived(events, point, snapshot=False))
            write_sources(root, *arrived)
            repo.materialize(end=t(point), target="duckdb:///split.duckdb")
            # the contract holds after every run, not only at the end
            for view, rows in zip(VIEWS, arrived, strict=True):
                assert_contract(root / "split.duckdb", repo, view, t(point), rows, Path(tmp))
        repo.materialize(end=t(end), target="duckdb:///full.duckdb", full_refresh=True)
        assert_stores_equal(root / "split.duckdb", root / "full.duckdb", VIEWS)


# -- atomicity ---------------------------------------------------------------------------
class Injected(RuntimeError):
    pass


@pytest.mark.parametrize("step", ["create_latest", "insert_state", "new_rows", "merge",
                                  "finish_state"])
def test_failure_between_statements_changes_nothing(repo_dir: Path, tmp_path: Path,
                                                    step: str) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    repo.materialize(end=t(100))
    before = _snapshot_of_store(store)

    def fail(view: str, name: str) -> None:
        if view == "activity" and name == step:  # snap's statements have run by now
            raise Injected(f"injected before {step}")

    with pytest.raises(Injected):
        repo.materialize(end=t(200), hook=fail)
    assert _snapshot_of_store(store) == before
    repo.materialize(end=t(200))
    for view, rows in (("snap", SNAP), ("activity", EVENTS)):
        assert_contract(store, repo, view, t(200), rows, tmp_path)


KILLED = """
import sys, time
from fsql.repo import Repo
from tests.materialize_support import t

def pause(view, step):
    if view == "activity" and step == "merge":
        print("paused", flush=True)
        time.sleep(120)

Repo.load(sys.argv[1]).materialize(end=t(200), hook=pause)
"""


def test_sigkill_mid_run_changes_nothing(repo_dir: Path, tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    store = repo_dir / "fsql_store.duckdb"
    repo.materialize(end=t(100))
    before = _snapshot_of_store(store)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(repo_dir)],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "paused"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert _snapshot_of_store(store) == before
    repo.materialize(end=t(200))
    for view, rows in (("snap", SNAP), ("activity", EVENTS)):
        assert_contract(store, repo, view, t(200), rows, tmp_path)


# -- definition changes ------------------------------------------------------------------
def test_changed_definition_is_refused_without_full_refresh(repo_dir: Path,
                                                            tmp_path: Path) -> None:
    store = repo_dir / "fsql_store.duckdb"
    Repo.load(repo_dir).materialize(end=t(100))
    before = _snapshot_of_store(store)
    text = (repo_dir / "features.py").read_text()
    (repo_dir / "features.py").write_text(text.replace('ttl="2h"', 'ttl="3h"'))
    repo = Repo.load(repo_dir)
    with pytest.raises(DefinitionError, match=r"FeatureView 'snap' .*--full-refresh"):
        repo.materialize(end=t(200))
    assert _snapshot_of_store(store) == before
    repo.materialize(end=t(200), full_refresh=True)
    assert_contract(store, repo, "snap", t(200), SNAP, tmp_path)
    repo.materialize(end=t(220))  # incremental again, under the new definition
    assert_contract(store, repo, "snap", t(220), SNAP, tmp_path)


def test_system_columns_are_typed(repo_dir: Path) -> None:
    Repo.load(repo_dir).materialize(end=t(100))
    con = duckdb.connect(str(repo_dir / "fsql_store.duckdb"), read_only=True)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'snap_latest'").fetchall())
    con.close()
    assert types == {"bank": "BIGINT", "branch": "VARCHAR", "score": "DOUBLE", "n": "BIGINT",
                     "label": "VARCHAR", "score_x2": "DOUBLE",
                     **dict.fromkeys(SYSTEM, "TIMESTAMP")}


PLAIN = '''
plain = FeatureView("plain", entities=[user], source=events, ttl="3h", late_arrival="1h",
                    features=[Field("amount", "float64")])
'''


@pytest.mark.parametrize(("late_amount", "winner"), [(1.0, 9.0), (20.0, 20.0)])
def test_full_tie_arriving_in_a_later_run(tmp_path: Path, late_amount: float,
                                          winner: float) -> None:
    """Two rows of a key at the same event time (no created time): the full-tie rule keeps
    the greater value whichever run each arrives in, so a later, smaller row loses."""
    root = make_repo(tmp_path / "repo", extra=PLAIN)
    first = [{"user_id": 1, "ts": t(100), "amount": 9.0}]
    write_sources(root, [], first)
    repo = Repo.load(root)
    repo.materialize(views=["plain"], end=t(110))
    write_sources(root, [], [*first, {"user_id": 1, "ts": t(100), "amount": late_amount}])
    repo.materialize(views=["plain"], end=t(120))
    con = duckdb.connect(str(root / "fsql_store.duckdb"), read_only=True)
    assert con.execute("SELECT amount FROM plain_latest").fetchall() == [(winner,)]
    con.close()
