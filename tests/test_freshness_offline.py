"""`fsql freshness --offline`: per view the newest event and created time of its source (one
query for every view), its last materialization, and the lag against its freshness_sla, else
its TTL; exit 1 when a view is stale."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from fsql import Entity, FeatureView, Field, Source
from fsql.errors import DefinitionError
from fsql.monitor.freshness import freshness_query, offline_freshness
from fsql.online.sync import micros
from fsql.repo import Repo
from fsql.sql.dialect import get_dialect
from tests.materialize_support import make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP

EXTRA = '''
recent = FeatureView("recent", entities=[user], source=events, freshness_sla="30m",
                     features=[Aggregate("*", "count", window="1h", name="n_1h")])
'''


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo", extra=EXTRA)
    write_sources(root, SNAP, EVENTS)
    return Repo.load(root)


def test_newest_times_lags_and_the_last_materialization(repo: Repo) -> None:
    repo.materialize(views=["snap"], end=t(200))
    found = {f.view: f for f in offline_freshness(repo, now=t(260))}
    snap, activity, recent = found["snap"], found["activity"], found["recent"]
    assert snap.newest_event == max(r["ts"] for r in SNAP)  # t(150)
    assert snap.newest_created == max(r["created"] for r in SNAP if r["created"])
    assert snap.materialized == t(200) and activity.materialized is None
    assert snap.lag == timedelta(minutes=110) and snap.limit == timedelta(hours=2)
    assert not snap.stale  # 110 min < the 2h TTL
    assert activity.limit is None and not activity.stale  # no TTL, no SLA: never by age
    assert recent.newest_created is None  # the source has no created timestamp
    assert recent.lag == timedelta(minutes=60) and recent.stale  # SLA 30m
    assert snap.lags == {"event": timedelta(minutes=110), "created": timedelta(minutes=110),
                         "materialized": timedelta(minutes=60)}
    later = {f.view: f for f in offline_freshness(repo, ["snap"], now=t(300))}
    assert later["snap"].stale and later["snap"].late == ["event", "created"]  # run: 100 min
    assert "STALE (event, created over the limit)" in later["snap"].format()


def test_a_materialization_behind_its_source_is_stale(repo: Repo) -> None:
    repo.materialize(views=["snap"], end=t(100))  # before the newest event, t(150)
    (snap,) = offline_freshness(repo, ["snap"], now=t(260))
    assert snap.lag == timedelta(minutes=110)  # the source is fresh (2h TTL)...
    assert snap.late == ["materialized"] and snap.stale  # ...its latest table is not: 160 min
    assert snap.format().startswith("snap: STALE (materialized over the limit), limit 2:00:00")


def test_the_cli_exits_1_when_stale_and_2_on_an_unknown_view(repo: Repo) -> None:
    run = [sys.executable, "-m", "fsql.cli", "freshness", "--repo", str(repo.root), "--offline"]
    fresh = subprocess.run([*run, "--views", "snap", "--at", t(210).isoformat()],
                           capture_output=True, text=True)
    assert fresh.returncode == 0 and "snap: fresh" in fresh.stdout, fresh.stderr
    stale = subprocess.run([*run, "--at", t(260).isoformat()], capture_output=True, text=True)
    assert stale.returncode == 1 and "recent: STALE" in stale.stdout
    bad = subprocess.run([*run, "--views", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Unknown feature view 'nope'" in bad.stderr


def test_a_bad_sla_names_the_view() -> None:
    with pytest.raises(DefinitionError, match="freshness_sla"):
        FeatureView("v", entities=[Entity("e", join_keys=["k"])],
                    source=Source("s", path="x.parquet", timestamp_field="ts"),
                    features=[Field("f", "int64")], freshness_sla="soon")


@pytest.mark.engine
def test_the_bigquery_freshness_query_on_googlesql_equals_the_data(repo: Repo) -> None:
    """What ``fsql freshness --target bigquery://`` runs, with BigQuery semantics (bqemulator
    is DuckDB underneath): per view the greatest event and created time, in microseconds."""
    from tests.engines.zetasql_engine import ZetaSQLEngine
    from tests.test_backfill_warehouse import _tables

    views = [repo.views["snap"], repo.views["activity"]]
    sql = freshness_query(repo, views, get_dialect("bigquery")).sql(dialect="bigquery")
    rows = {r[0]: r[1:] for r in ZetaSQLEngine().run(sql, _tables()).rows}
    assert rows == {
        "snap": (micros(max(r["ts"] for r in SNAP)),
                 micros(max(r["created"] for r in SNAP if r["created"]))),
        "activity": (micros(max(r["ts"] for r in EVENTS)), None)}
