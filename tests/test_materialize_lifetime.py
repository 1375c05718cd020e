"""Lifetime aggregates merged with the stored value (fsql/materialize/lifetime.py): an
incremental run reads the new rows and the finite windows' rows only, and its table equals
the oracle at every run's end and a --full-refresh run at the last one, for a source with a
created timestamp (late rows found by it) and one without (the late-arrival allowance)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fsql.errors import DefinitionError
from fsql.materialize.lifetime import merges
from fsql.materialize.run import layout_for
from fsql.repo import Repo
from tests.materialize_support import (
    assert_contract,
    assert_stores_equal,
    latest_rows,
    make_repo,
    t,
    write_sources,
)
from tests.test_materialize_guarantees import _arrived

LEDGER = '''
ledger = FeatureView("ledger", entities=[account], source=snap_source, late_arrival="30m",
                     features=[
    Aggregate("*", "count", name="rows_life"),
    Aggregate("n", "count", name="n_count"),
    Aggregate("n", "sum", name="n_sum", dtype="int64"),
    Aggregate("score", "min", name="score_min", default=-1.0),
    Aggregate("label", "max", name="label_max"),
    Aggregate("score", "first", name="score_first"),
    Aggregate("label", "last", name="label_last", where="n >= 2"),
    Aggregate("score", "last", name="score_last", default=0.0),
    Aggregate("score", "sum", window="1h", name="score_1h", dtype="float64"),
    Aggregate("*", "count", window="2h", name="rows_2h"),
    Derived("rows_x2", "rows_life * 2 + n_count"),
])
averaged = FeatureView("averaged", entities=[user], source=events, late_arrival="1h",
                       features=[
    Aggregate("amount", "avg", name="amount_avg"),
    Aggregate("*", "count", name="n_life"),
])
tallied = FeatureView("tallied", entities=[account], source=snap_source, late_arrival="30m",
                      features=[
    Aggregate("n", "avg", name="n_avg", default=-1.0),
    Aggregate("score", "avg", name="score_avg", where="n >= 2"),
    Aggregate("*", "count", window="1h", name="rows_1h"),
])
spread = FeatureView("spread", entities=[user], source=events, features=[
    Aggregate("amount", "stddev", name="amount_sd"),
    Aggregate("*", "count", name="n_life"),
])
'''
# each view and the rows it reads: 0 the snapshot source's, 1 the events'
VIEWS = {"ledger": 0, "activity": 1, "averaged": 1, "tallied": 0}


GRID = list(range(0, 301, 15))
snap_rows = st.lists(st.fixed_dictionaries({
    "bank": st.sampled_from([1, 2, 12]), "branch": st.sampled_from(["3", "23"]),
    "ts": st.sampled_from(GRID), "lag": st.sampled_from([-30, 0, 5, 60, 200, None]),
    "score": st.sampled_from([0.5, 1.5, None]), "n": st.sampled_from([1, 2, 5, None]),
    "label": st.sampled_from(["a", "b", None]),
}), max_size=14)
event_rows = st.lists(st.fixed_dictionaries({
    "user_id": st.integers(1, 6), "ts": st.sampled_from(GRID),
    "lag": st.sampled_from([-30, 0, 10, 45, 60]),  # at most the late_arrival of 1h
    "amount": st.sampled_from([1.0, 2.5, None]),
}), max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# a correction (same key and event time, created later) arriving after a run: both count
@example(snap=[{"bank": 1, "branch": "3", "ts": 30, "lag": 0, "score": 0.5, "n": 2,
                "label": "a"},
               {"bank": 1, "branch": "3", "ts": 30, "lag": 100, "score": 1.5, "n": 5,
                "label": "b"}], events=[], splits=[60, 90, 200])
# a full tie of last (same event and created time) split over two runs
@example(snap=[{"bank": 2, "branch": "23", "ts": 45, "lag": None, "score": 1.5, "n": 2,
                "label": "a"},
               {"bank": 2, "branch": "23", "ts": 45, "lag": None, "score": 0.5, "n": 2,
                "label": "b"}], events=[], splits=[45, 50])
@given(snap=snap_rows, events=event_rows,
       splits=st.lists(st.sampled_from(range(0, 421, 5)), max_size=6, unique=True))
def test_merged_runs_equal_the_oracle_and_a_full_refresh(snap: list[dict[str, Any]],
                                                          events: list[dict[str, Any]],
                                                          splits: list[int]) -> None:
    end = 420
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp) / "repo", extra=LEDGER)
        repo = Repo.load(root)
        for point in [*sorted(s for s in splits if s < end), end]:
            arrived = (_arrived(snap, point, snapshot=True),
                       _arrived(events, point, snapshot=False))
            write_sources(root, *arrived)
            repo.materialize(views=list(VIEWS), end=t(point), target="duckdb:///split.duckdb")
            for view, rows in VIEWS.items():
                assert_contract(root / "split.duckdb", repo, view, t(point), arrived[rows],
                                Path(tmp))
        repo.materialize(views=list(VIEWS), end=t(end), target="duckdb:///full.duckdb",
                         full_refresh=True)
        assert_stores_equal(root / "split.duckdb", root / "full.duckdb", VIEWS)


def test_settled_history_is_not_read_again(tmp_path: Path) -> None:
    """The lifetime values come from the stored state: once rows are settled (created before
    the watermark minus the allowance, event time before T1 minus it), a later run does not
    read them. Shown by dropping them from the source (a retention policy would): the
    lifetime count keeps them, a rescan would not; the finite windows read only their span."""
    root = make_repo(tmp_path / "repo", extra=LEDGER)
    old = [{"bank": 1, "branch": "3", "ts": t(m), "created": t(m), "score": float(m),
            "n": 2, "label": f"l{m}"} for m in (0, 10, 20)]
    # created 70 minutes after the old rows: they are settled (watermark - 30m)
    keep = {"bank": 1, "branch": "3", "ts": t(90), "created": t(90), "score": 5.0, "n": 3,
            "label": "k"}
    write_sources(root, [*old, keep], [])
    repo = Repo.load(root)
    repo.materialize(views=["ledger"], end=t(100))
    new = {"bank": 1, "branch": "3", "ts": t(110), "created": t(110), "score": 0.25, "n": 1,
           "label": "z"}
    write_sources(root, [keep, new], [])  # the settled rows are gone from the source
    repo.materialize(views=["ledger"], end=t(200))
    (row,) = latest_rows(root / "fsql_store.duckdb", "ledger").values()
    assert (row["rows_life"], row["n_count"], row["n_sum"]) == (5, 5, 10)
    assert (row["score_min"], row["score_first"], row["score_last"]) == (0.0, 0.0, 0.25)
    assert (row["label_max"], row["label_last"]) == ("z", "k")  # "z" has n = 1 < 2
    assert (row["rows_2h"], row["score_1h"]) == (2, None)  # the windows read the source
    # the oracle over the whole history (the dropped rows included) agrees
    assert_contract(root / "fsql_store.duckdb", repo, "ledger", t(200), [*old, keep, new],
                    tmp_path)


def test_views_that_cannot_merge_rescan_and_have_no_state(tmp_path: Path) -> None:
    """A lifetime stddev (or variance, count_distinct) is not merged: the view keeps reading
    the recomputed keys' history, and its latest table has no hidden columns."""
    root = make_repo(tmp_path / "repo", extra=LEDGER)
    events = [{"user_id": 1, "ts": t(m), "amount": float(m)} for m in (0, 50, 100)]
    write_sources(root, [], events)
    repo = Repo.load(root)
    assert not merges(layout_for(repo, repo.views["spread"], "inclusive"))
    assert merges(layout_for(repo, repo.views["ledger"], "inclusive"))
    assert merges(layout_for(repo, repo.views["averaged"], "inclusive"))
    repo.materialize(views=["spread"], end=t(100))
    more = [*events, {"user_id": 1, "ts": t(110), "amount": 3.0}]
    write_sources(root, [], more)
    repo.materialize(views=["spread"], end=t(120))
    con = duckdb.connect(str(root / "fsql_store.duckdb"), read_only=True)
    columns = [r[0] for r in con.execute("DESCRIBE spread_latest").fetchall()]
    con.close()
    assert not [c for c in columns if c.startswith("__fsql")]
    assert_contract(root / "fsql_store.duckdb", repo, "spread", t(120), more, tmp_path)


def test_a_lifetime_avg_is_merged_from_the_stored_sum_and_count(tmp_path: Path) -> None:
    """A lifetime avg keeps the sum and the count of its settled values: once rows are
    settled, a later run does not read them (dropped from the source, the average keeps
    them); integer sums stay exact (a sum beyond 2**53, where a float64 sum would round)."""
    root = make_repo(tmp_path / "repo", extra=LEDGER)
    big = 2**53
    old = [{"bank": 1, "branch": "3", "ts": t(m), "created": t(m), "score": 1.0,
            "n": big + 1, "label": "x"} for m in (0, 10)]
    keep = {"bank": 1, "branch": "3", "ts": t(90), "created": t(90), "score": None, "n": None,
            "label": "k"}
    write_sources(root, [*old, keep], [])
    repo = Repo.load(root)
    repo.materialize(views=["tallied"], end=t(100))
    new = {"bank": 1, "branch": "3", "ts": t(110), "created": t(110), "score": 4.0, "n": 1,
           "label": "z"}
    write_sources(root, [keep, new], [])  # the settled rows are gone from the source
    repo.materialize(views=["tallied"], end=t(200))
    (row,) = latest_rows(root / "fsql_store.duckdb", "tallied").values()
    # the settled values: the two old rows (the new one is created after the watermark
    # minus the allowance); 2**54 + 2 is no float64, so the sum is exact
    assert row["__fsql_s__n_avg"] == 2 * (big + 1) and float(2 * (big + 1)) != 2 * (big + 1)
    assert row["__fsql_n__n_avg"] == 2
    exact = (2 * (big + 1) + 1) / 3  # Python divides the exact integer sum
    assert abs(row["n_avg"] - exact) <= 1e-15 * exact  # the double division rounds once more
    assert row["score_avg"] == 1.0  # only the rows with n >= 2: the two old ones
    assert_contract(root / "fsql_store.duckdb", repo, "tallied", t(200), [*old, keep, new],
                    tmp_path)


def test_a_table_written_without_the_hidden_columns_is_refused_then_rebuilt(
        tmp_path: Path) -> None:
    """A latest table from an older fsql (no settle point, no avg state) is refused before
    anything runs, naming the column and --full-refresh; the rebuild equals the oracle."""
    root = make_repo(tmp_path / "repo", extra=LEDGER)
    rows = [{"bank": 1, "branch": "3", "ts": t(m), "created": t(m), "score": float(m), "n": 2,
             "label": f"l{m}"} for m in (0, 10, 90)]
    write_sources(root, rows, [])
    repo = Repo.load(root)
    repo.materialize(views=["ledger"], end=t(100))
    store = root / "fsql_store.duckdb"
    hidden = [c for c, _ in layout_for(repo, repo.views["ledger"], "inclusive").columns
              if c.startswith("__fsql")]
    con = duckdb.connect(str(store))
    found = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger_latest'"
        " AND column_name LIKE '\\_\\_fsql%' ESCAPE '\\'").fetchall()]
    dropped = sorted(set(found) - set(hidden))[0]  # a column the table layout adds
    con.execute(f'ALTER TABLE ledger_latest DROP COLUMN "{dropped}"')
    before = con.execute("SELECT * FROM ledger_latest ORDER BY ALL").fetchall()
    con.close()
    with pytest.raises(DefinitionError, match=rf"ledger_latest has no column '{dropped}'.*"
                                              r"--full-refresh"):
        repo.materialize(views=["ledger"], end=t(200))
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT * FROM ledger_latest ORDER BY ALL").fetchall() == before
    con.close()
    repo.materialize(views=["ledger"], end=t(200), full_refresh=True)
    assert_contract(store, repo, "ledger", t(200), rows, tmp_path)
