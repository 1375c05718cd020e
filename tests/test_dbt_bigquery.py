"""``fsql dbt --dialect bigquery``: the generated project built by real dbt (dbt-core 1.11 with
dbt-bigquery 1.12, in ``.venv-dbt``) through the real google-cloud-bigquery client against a
local BigQuery API server (bqemulator: tests/engines/bqemulator_server.py). First build and an
incremental build (the adapter's MERGE) with a late row, a correction and a new event: the
latest tables and the training set equal fsql's own results on DuckDB and the oracle.

bqemulator runs the SQL on DuckDB after a sqlglot translation, so this proves that dbt-bigquery
accepts and runs the models (Jinja shells, MERGE, post-hook, schema tests) and that the
result is right under that translation; BigQuery semantics of the same SQL are proven on the
GoogleSQL evaluator by the materialization tests."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fsql.repo import Repo
from tests.engines.bqemulator_server import BigQueryEmulator
from tests.materialize_support import EVENT_SCHEMA, SNAP_SCHEMA, make_repo, t, write_table
from tests.test_dbt import DBT, SERVICE, SPINE, SPINE_SCHEMA, _norm, frame_rows, generate, rows
from tests.test_materialize import EVENTS, SNAP

pytestmark = pytest.mark.engine

SNAP_COLUMNS = {"bank": "INT64", "branch": "STRING", "ts": "TIMESTAMP", "created": "TIMESTAMP",
                "score": "FLOAT64", "n": "INT64", "label": "STRING"}
EVENT_COLUMNS = {"user_id": "INT64", "ts": "TIMESTAMP", "amount": "FLOAT64"}
SPINE_COLUMNS = {"bank": "INT64", "branch": "STRING", "user_id": "INT64",
                 "event_timestamp": "TIMESTAMP"}


def _literal(value: Any, dtype: str) -> str:
    if value is None:
        return f"CAST(NULL AS {dtype})"
    if dtype == "STRING":
        return "'" + str(value).replace("'", "\\'") + "'"
    if dtype == "TIMESTAMP":
        return f"TIMESTAMP '{value.isoformat()}'"
    return repr(value)


def _select(columns: dict[str, str], records: Sequence[dict[str, Any]]) -> str:
    """The rows as one BigQuery SELECT of literals (typed, NULLs cast)."""
    return "\nUNION ALL\n".join(
        "SELECT " + ", ".join(f"{_literal(r.get(c), d)} AS {c}" for c, d in columns.items())
        for r in records)


@pytest.fixture(scope="module")
def emulator() -> Iterator[BigQueryEmulator]:
    server = BigQueryEmulator()
    try:
        yield server
    finally:
        server.close()


def _load(client: Any, table: str, columns: dict[str, str],
          records: Sequence[dict[str, Any]]) -> None:
    client.query(f"CREATE OR REPLACE TABLE ds.{table} AS {_select(columns, records)}").result()


def _bq_rows(client: Any, table: str) -> list[tuple[Any, ...]]:
    """A table's rows as tests/test_dbt.rows gives them (naive UTC timestamps, no
    materialized_at, floats rounded), sorted."""
    arrow = client.query(f"SELECT * FROM ds.{table}").result().to_arrow(
        create_bqstorage_client=False)
    out = []
    for record in arrow.to_pylist():
        values = []
        for name, value in record.items():
            if name == "materialized_at" or name.startswith("__fsql_"):
                continue
            if isinstance(value, datetime) and value.tzinfo:
                value = value.astimezone(UTC).replace(tzinfo=None)
            values.append(_norm(value))
        out.append(tuple(values))
    return sorted(out, key=repr)


def _build(project: Path, end: datetime) -> str:
    stamp = end.strftime("%Y-%m-%d %H:%M:%S.%f")
    done = subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--vars", f"{{fsql_end: '{stamp}'}}"],
        cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


def test_bigquery_project_builds_through_the_client(emulator: BigQueryEmulator,
                                                    tmp_path: Path) -> None:
    if not DBT.exists():
        pytest.fail(f"{DBT} is missing: run bash tests/engines/setup_dbt.sh (make test does)")
    repo_dir = make_repo(tmp_path / "repo")
    (repo_dir / "services.py").write_text(SERVICE)
    project = tmp_path / "proj"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        'name: "p"\nversion: "1.0"\nprofile: "p"\nconfig-version: 2\n')
    (project / "models" / "spine.sql").write_text(
        "{{ config(materialized='table') }}\n" + _select(SPINE_COLUMNS, SPINE) + "\n")
    (project / "profiles.yml").write_text(textwrap.dedent(f'''\
        p:
          target: dev
          outputs:
            dev:
              type: bigquery
              method: oauth-secrets
              token: not-a-real-token
              project: {emulator.project}
              dataset: ds
              api_endpoint: {emulator.endpoint}
              threads: 1
              job_execution_timeout_seconds: 120
        '''))
    generate(repo_dir, project, "--dialect", "bigquery", "--training", "svc=ref('spine')")
    client = emulator.client()
    client.create_dataset("ds", exists_ok=True)
    repo = Repo.load(repo_dir)
    snap, events = list(SNAP), list(EVENTS)

    def check(end: datetime) -> None:
        _load(client, "snap", SNAP_COLUMNS, snap)
        _load(client, "events", EVENT_COLUMNS, events)
        write_table(repo_dir / "data" / "snap.parquet", SNAP_SCHEMA, snap)
        write_table(repo_dir / "data" / "events.parquet", EVENT_SCHEMA, events)
        out = _build(project, end)
        assert "ERROR=0" in out
        repo.materialize(end=end, target="duckdb:///fsql.duckdb")
        for view in ("snap_latest", "activity_latest"):
            assert _bq_rows(client, view) == rows(repo_dir / "fsql.duckdb", view), view

    check(t(200))
    want = repo.get_historical_features("svc", _spine_file(tmp_path))
    assert _bq_rows(client, "svc_training") == _naive(frame_rows(want))
    assert _bq_rows(client, "svc_training_rows") == [(len(SPINE), len(SPINE), True)]
    # incremental: a late row (older event time, created later) must not win, a newer row
    # of (12, "3") must, a late event inside the allowance is counted
    snap += [{"bank": 4, "branch": "new", "ts": t(140), "created": t(250), "score": -1.0,
              "n": -1, "label": "late"},
             {"bank": 12, "branch": "3", "ts": t(230), "created": t(231), "score": 5.0,
              "n": 5, "label": "h"}]
    events += [{"user_id": 3, "ts": t(190), "amount": 2.0},
               {"user_id": 1, "ts": t(250), "amount": 7.0}]
    check(t(260))
    latest = {r[:2]: r for r in _bq_rows(client, "snap_latest")}
    assert latest[(4, "new")][2:5] == (4.0, 4, "g")
    assert latest[(12, "3")][2:5] == (5.0, 5, "h")


def _naive(records: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Aware timestamps as naive UTC (as :func:`_bq_rows` gives them), re-sorted."""
    return sorted((tuple(v.astimezone(UTC).replace(tzinfo=None)
                         if isinstance(v, datetime) and v.tzinfo else v for v in r)
                   for r in records), key=repr)


def _spine_file(tmp_path: Path) -> str:
    path = tmp_path / "spine.parquet"
    write_table(path, SPINE_SCHEMA, SPINE)
    return str(path)
