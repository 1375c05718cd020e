"""``fsql dbt``: the generated project built by real dbt (dbt-core 1.11 with dbt-duckdb, in
``.venv-dbt``: tests/engines/setup_dbt.sh) equals fsql's own results and the oracle, on a small
case (first build, incremental builds with a late row, an expiring row and an older T1) and on
the fraud example; the BigQuery and Snowflake models parse in their dialects; bad input is one
line and exit 2; regenerating changes nothing."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from fsql.cli import main
from fsql.dbt.project import MARKER
from fsql.repo import Repo
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    assert_contract,
    make_repo,
    t,
    write_table,
)
from tests.test_example import EXAMPLE, _load_generator
from tests.test_materialize import EVENTS, SNAP

ROOT = Path(__file__).resolve().parent.parent
DBT = ROOT / ".venv-dbt" / "bin" / "dbt"
SERVICE = '''
from features import activity, snap
from fsql import FeatureService
svc = FeatureService("svc", features=[snap, activity])
'''
SPINE_SCHEMA = pa.schema([("bank", pa.int64()), ("branch", pa.string()), ("user_id", pa.int64()),
                          ("event_timestamp", pa.timestamp("us", tz="UTC"))])
SPINE = [
    *({"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(m)} for m in (0, 30, 100)),
    # duplicate spine rows stay two rows; NULL keys read as nothing visible
    {"bank": 12, "branch": "3", "user_id": 2, "event_timestamp": t(50)},
    {"bank": 12, "branch": "3", "user_id": 2, "event_timestamp": t(50)},
    {"bank": None, "branch": None, "user_id": None, "event_timestamp": t(50)},
    {"bank": 4, "branch": "new", "user_id": 3, "event_timestamp": t(200)},
]


def dbt_project(path: Path) -> Path:
    """An empty dbt project on a DuckDB file (profile inside the project)."""
    (path / "models").mkdir(parents=True)
    (path / "dbt_project.yml").write_text(
        'name: "p"\nversion: "1.0"\nprofile: "p"\nconfig-version: 2\n')
    (path / "profiles.yml").write_text(textwrap.dedent(f'''\
        p:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: "{path / 'warehouse.duckdb'}"
              threads: 1
        '''))
    return path


def dbt_build(project: Path, end: datetime, *, select: str | None = None) -> str:
    """``dbt build`` with T1 = ``end``; its output (the build must succeed)."""
    if not DBT.exists():
        pytest.fail(f"{DBT} is missing: run bash tests/engines/setup_dbt.sh (make test does)")
    stamp = end.strftime("%Y-%m-%d %H:%M:%S.%f")
    args = [str(DBT), "build", "--profiles-dir", ".", "--vars", f"{{fsql_end: '{stamp}'}}"]
    if select:
        args += ["--select", select]
    done = subprocess.run(args, cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


def rows(database: Path, table: str, drop: tuple[str, ...] = ("materialized_at",)
         ) -> list[tuple[Any, ...]]:
    """The rows of ``table`` (minus ``drop`` and fsql materialize's hidden state columns of
    merged lifetime aggregates, which dbt models do not keep), sorted; floats rounded."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n not in drop and not n.startswith("__fsql_")]
        out = [tuple(_norm(r[i]) for i in keep) for r in cursor.fetchall()]
    finally:
        con.close()
    return sorted(out, key=repr)


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, 9)
    return value


def frame_rows(frame: Any) -> list[tuple[Any, ...]]:
    """A DataFrame's rows as :func:`rows` gives them (NaN/NaT as None where pandas made them)."""
    out = []
    for record in frame.astype(object).itertuples(index=False):
        values = []
        for v in record:
            if v is None or (isinstance(v, float) and math.isnan(v)) or repr(v) in ("NaT", "<NA>"):
                values.append(None)
            elif hasattr(v, "to_pydatetime"):
                values.append(v.to_pydatetime())
            else:
                values.append(_norm(v))
        out.append(tuple(values))
    return sorted(out, key=repr)


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo", extra="")
    (repo / "services.py").write_text(SERVICE)
    write_table(repo / "data" / "snap.parquet", SNAP_SCHEMA, SNAP)
    write_table(repo / "data" / "events.parquet", EVENT_SCHEMA, EVENTS)
    write_table(repo / "data" / "spine.parquet", SPINE_SCHEMA, SPINE)
    project = dbt_project(tmp_path / "proj")
    (project / "models" / "spine.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select * from read_parquet('../repo/data/spine.parquet')\n")
    return repo, project


def generate(repo: Path, project: Path, *extra: str) -> None:
    assert main(["dbt", "--repo", str(repo), "--out", str(project), *extra]) == 0


def materialized(repo: Repo, end: datetime, store: str) -> Path:
    """fsql materialize's own latest tables at ``end`` (incremental on the same store)."""
    repo.materialize(end=end, target=f"duckdb:///{store}")
    return repo.root / store


@pytest.mark.engine
def test_small_case_builds_equal_fsql_and_the_oracle(small: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    repo_dir, project = small
    generate(repo_dir, project, "--training", "svc=ref('spine')")
    repo = Repo.load(repo_dir)
    warehouse = project / "warehouse.duckdb"
    snap, events = list(SNAP), list(EVENTS)

    def check(end: datetime, *, oracle: bool = True) -> None:
        for view, source_rows in (("snap", snap), ("activity", events)):
            if oracle:
                assert_contract(warehouse, repo, view, end, source_rows, tmp_path)
        fsql_store = materialized(repo, end, "fsql.duckdb")
        for view in ("snap_latest", "activity_latest"):
            assert rows(warehouse, view) == rows(fsql_store, view), view

    out = dbt_build(project, t(200))
    assert "PASS=12" in out and "ERROR=0" in out  # 4 models, 8 tests
    check(t(200))
    want = repo.get_historical_features("svc", str(repo_dir / "data" / "spine.parquet"))
    assert rows(warehouse, "svc_training") == frame_rows(want)
    assert len(rows(warehouse, "svc_training")) == len(SPINE)
    assert rows(warehouse, "svc_training_rows") == [(len(SPINE), len(SPINE), True)]
    assert set(rows(warehouse, "snap_latest", drop=())) == {
        (4, "new", 4.0, 4, "g", 8.0, t(150).replace(tzinfo=None),
         t(150).replace(tzinfo=None), t(200).replace(tzinfo=None))}

    # A late row (created after the first build, older event time) must not overwrite the
    # newer value of (4, "new"); a correction of it at the same event time must; an event of
    # user 3 inside the late-arrival allowance is counted.
    snap += [{"bank": 4, "branch": "new", "ts": t(140), "created": t(250), "score": -1.0,
              "n": -1, "label": "late"},
             {"bank": 12, "branch": "3", "ts": t(230), "created": t(231), "score": 5.0,
              "n": 5, "label": "h"}]
    events += [{"user_id": 3, "ts": t(190), "amount": 2.0},
               {"user_id": 1, "ts": t(250), "amount": 7.0}]
    write_table(repo_dir / "data" / "snap.parquet", SNAP_SCHEMA, snap)
    write_table(repo_dir / "data" / "events.parquet", EVENT_SCHEMA, events)
    dbt_build(project, t(260))
    check(t(260))
    latest = {r[:2]: r for r in rows(warehouse, "snap_latest")}
    assert latest[(4, "new")][2:5] == (4.0, 4, "g")  # the late row did not win
    assert latest[(12, "3")][2:5] == (5.0, 5, "h")
    # Never regress: the source loses the t(230) row of (12, "3") and gains an older one
    # (created later, so the key is recomputed): the stored newer row stays, as in fsql's
    # own table (the source alone would now give the t(225) row: the oracle is not asked).
    snap = [r for r in snap if r["ts"] != t(230)]
    snap.append({"bank": 12, "branch": "3", "ts": t(225), "created": t(270), "score": 6.0,
                 "n": 6, "label": "i"})
    write_table(repo_dir / "data" / "snap.parquet", SNAP_SCHEMA, snap)
    dbt_build(project, t(280))
    check(t(280), oracle=False)
    latest = {r[:2]: r for r in rows(warehouse, "snap_latest")}
    assert latest[(12, "3")][2:5] == (5.0, 5, "h")
    # (4, "new") and (12, "3") leave the 2h TTL by t(400): deleted (the post-hook), as fsql
    # deletes them
    dbt_build(project, t(400))
    check(t(400))
    assert not {(4, "new"), (12, "3")} & {r[:2] for r in rows(warehouse, "snap_latest")}
    # A build older than the table changes nothing (never regress).
    before = rows(warehouse, "activity_latest", drop=())
    dbt_build(project, t(300), select="activity_latest")
    assert rows(warehouse, "activity_latest", drop=()) == before


@pytest.mark.engine
def test_fraud_example_builds_equal_fsql(tmp_path: Path) -> None:
    repo_dir = tmp_path / "fraud"
    shutil.copytree(EXAMPLE, repo_dir, ignore=shutil.ignore_patterns("*.parquet", "*.sql",
                                                                     "__pycache__"))
    _load_generator(repo_dir).generate(repo_dir / "data", users=200, merchants=40,
                                       transactions=2000, days=30)
    project = dbt_project(tmp_path / "proj")
    generate(repo_dir, project, "--training", "fraud_detection=source('fsql', 'transactions')")
    names = sorted(p.name for p in (project / "models" / "fsql").iterdir())
    assert names == ["fraud_detection_training.sql", "fraud_detection_training_rows.sql",
                     "merchant_stats_latest.sql", "schema.yml", "sources.yml",
                     "user_activity_latest.sql", "user_profile_latest.sql",
                     "user_risk_latest.sql"]
    repo = Repo.load(repo_dir)
    end = datetime(2024, 5, 20, 12)
    out = dbt_build(project, end)
    assert "ERROR=0" in out and "FAIL" not in out.replace("FAIL=0", "")
    warehouse = project / "warehouse.duckdb"
    store = materialized(repo, end, "fsql.duckdb")
    for view in ("user_profile", "user_risk", "merchant_stats", "user_activity"):
        got = rows(warehouse, f"{view}_latest")
        assert got and got == rows(store, f"{view}_latest"), view
    want = repo.get_historical_features("fraud_detection",
                                        str(repo_dir / "data" / "transactions.parquet"))
    got = rows(warehouse, "fraud_detection_training")
    assert len(got) == 2000 and got == frame_rows(want)
    # The incremental path on the example's data: T1 moves on (events enter and leave the
    # windows, snapshots leave their TTL); equal to fsql's incremental run at the same T1.
    later = datetime(2024, 5, 31)
    dbt_build(project, later, select="user_profile_latest user_risk_latest "
                                     "merchant_stats_latest user_activity_latest")
    store = materialized(repo, later, "fsql.duckdb")
    for view in ("user_profile", "user_risk", "merchant_stats", "user_activity"):
        assert rows(warehouse, f"{view}_latest") == rows(store, f"{view}_latest"), view


def test_regenerating_is_deterministic_and_touches_nothing_else(
        small: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    repo_dir, project = small
    mine = project / "models" / "fsql" / "notes.md"
    mine.parent.mkdir()
    mine.write_text("a user's file\n")
    generate(repo_dir, project, "--training", "svc=ref('spine')")
    folder = project / "models" / "fsql"
    first = {p.name: p.read_text() for p in folder.iterdir()}
    assert "6 written" in capsys.readouterr().out
    generate(repo_dir, project, "--training", "svc=ref('spine')")
    assert "0 written, 0 removed, 6 unchanged" in capsys.readouterr().out
    assert {p.name: p.read_text() for p in folder.iterdir()} == first
    assert "read_parquet('../repo/data/spine.parquet')" in (
        project / "models" / "spine.sql").read_text()
    # Without --training, fsql's own training models go; the user's file stays.
    generate(repo_dir, project)
    assert "2 removed" in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == [
        "activity_latest.sql", "notes.md", "schema.yml", "snap_latest.sql", "sources.yml"]
    assert all(first[n] == (folder / n).read_text() for n in ("snap_latest.sql", "sources.yml"))
    assert (folder / "snap_latest.sql").read_text().startswith(MARKER)


def _branches(text: str) -> list[str]:
    """The SQL branches of a model file, with dbt's Jinja replaced by plain SQL."""
    text = re.sub(r"'\{\{ var\(.*?\) \}\}'", "'2024-01-01 00:00:00'", text)
    text = re.sub(r"\{\{ (?:source|ref)\((.*?)\) \}\}",
                  lambda m: "_".join(re.findall(r"\w+", m.group(1))), text)
    text = text.replace("{{ this }}", "this_model")
    body = [line for line in text.splitlines()
            if not line.startswith(("--", "{{", "{%-"))]
    return [b.strip() for b in re.split(r"\{% (?:if is_incremental\(\)|else|endif) %\}",
                                        "\n".join(body)) if b.strip()]


@pytest.mark.engine
def test_a_changed_definition_with_the_same_columns_stops_the_build(
        small: tuple[Path, Path]) -> None:
    """A TTL change keeps every column, so dbt's on_schema_change cannot see it; the model's
    stored definition hash does: the incremental build fails naming the view and the fix,
    and changes nothing; --full-refresh rebuilds it with the new TTL."""
    repo_dir, project = small
    generate(repo_dir, project, "--training", "svc=ref('spine')")
    dbt_build(project, t(200))
    before = rows(project / "warehouse.duckdb", "snap_latest", drop=())
    features = repo_dir / "features.py"
    features.write_text(features.read_text().replace('ttl="2h"', 'ttl="4h"'))
    generate(repo_dir, project, "--training", "svc=ref('spine')")
    stamp = t(200).strftime("%Y-%m-%d %H:%M:%S.%f")
    done = subprocess.run([str(DBT), "build", "--profiles-dir", ".", "--select", "snap_latest",
                           "--vars", f"{{fsql_end: '{stamp}'}}"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert ("FeatureView 'snap' changed since snap_latest was built" in done.stdout
            and "dbt build --full-refresh --select snap_latest" in done.stdout), done.stdout[-3000:]
    assert rows(project / "warehouse.duckdb", "snap_latest", drop=()) == before
    done = subprocess.run([str(DBT), "build", "--profiles-dir", ".", "--full-refresh",
                           "--vars", f"{{fsql_end: '{stamp}'}}"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    repo = Repo.load(repo_dir)
    fsql_store = materialized(repo, t(200), "fsql.duckdb")
    assert rows(project / "warehouse.duckdb", "snap_latest") == rows(fsql_store, "snap_latest")
    # the 4h TTL keeps rows the 2h TTL dropped
    assert len(rows(project / "warehouse.duckdb", "snap_latest")) > len(before)


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_warehouse_models_parse(small: tuple[Path, Path], dialect: str) -> None:
    repo_dir, project = small
    (project / "models" / "spine.sql").unlink()
    (project / "seeds").mkdir()
    (project / "seeds" / "spine.csv").write_text("bank,branch,user_id,event_timestamp\n")
    generate(repo_dir, project, "--dialect", dialect, "--training", "svc=ref('spine')")
    folder = project / "models" / "fsql"
    for name in ("snap_latest.sql", "activity_latest.sql", "svc_training.sql",
                 "svc_training_rows.sql"):
        branches = _branches((folder / name).read_text())
        assert len(branches) == (2 if name.endswith("_latest.sql") else 1), name
        for sql in branches:
            assert sqlglot.parse_one(sql, read=dialect) is not None
    sources = (folder / "sources.yml").read_text()
    assert '"identifier": "snap"' not in sources and 'identifier: "snap"' in sources
    config = (folder / "snap_latest.sql").read_text().splitlines()[1]
    keys = '["\\"bank\\"", "\\"branch\\""]' if dialect == "snowflake" else '["bank", "branch"]'
    assert f"unique_key={keys}" in config
    assert 'incremental_strategy="merge"' in config


@pytest.mark.parametrize("args,message", [
    (["--training", "nope=ref('spine')"], "unknown feature service 'nope'"),
    (["--training", "svc=ref('spin')"], "ref('spin') names no model or seed"),
    (["--training", "svc=source('raw', 'spine')"], "is declared neither by fsql's sources"),
    (["--training", "svc=spine"], "must be ref('model') or source('name', 'table')"),
    (["--training", "svc"], "must be SERVICE=RELATION"),
    (["--training", "svc=ref('spine')", "--training", "svc=ref('spine')"], "is given twice"),
    (["--dialect", "postgres"], "fsql dbt writes models for duckdb, bigquery, snowflake"),
])
def test_bad_input_is_one_line_exit_2(small: tuple[Path, Path], args: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo_dir, project = small
    assert main(["dbt", "--repo", str(repo_dir), "--out", str(project), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fsql: error: ") and message in err, err
    assert not (project / "models" / "fsql").exists()


def test_out_must_be_a_dbt_project(small: tuple[Path, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo_dir, _ = small
    for out, what in ((tmp_path / "missing", "does not exist"),
                      (tmp_path / "repo", "has no dbt_project.yml")):
        assert main(["dbt", "--repo", str(repo_dir), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and what in err, err
    assert not (tmp_path / "repo" / "models").exists()


def test_source_declared_by_the_project_is_a_spine(small: tuple[Path, Path]) -> None:
    repo_dir, project = small
    (project / "models" / "raw.yml").write_text(
        "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: spine_rows\n")
    generate(repo_dir, project, "--training", "svc=source('raw', 'spine_rows')")
    text = (project / "models" / "fsql" / "svc_training.sql").read_text()
    assert "{{ source('raw', 'spine_rows') }}" in text
