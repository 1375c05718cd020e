"""``fsql dbt --dialect snowflake``: the generated project's first build by real dbt-snowflake
(1.12.4, in ``.venv-dbt``) against fakesnow's server (tests/engines/fakesnow_server.py): every
model and schema test runs, and the latest tables' keys and features equal fsql's own
``materialize`` on DuckDB.

What this leaves unproven: dbt-snowflake's incremental MERGE (fakesnow rejects dbt's
qualified temporary relations and its quoted SET columns), and timestamp columns read back
through the server (its Arrow encoder turns NULL timestamps into 1970-01-01), which are left
out of the comparison. fakesnow is DuckDB underneath: Snowflake semantics of the same SQL are
proven by the in-process fakesnow engine tests only as far as DuckDB agrees."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fsql.repo import Repo
from tests.engines.fakesnow_server import PYTHON, FakesnowServer
from tests.materialize_support import EVENT_SCHEMA, SNAP_SCHEMA, make_repo, t, write_table
from tests.test_dbt import DBT, SERVICE, SPINE, _norm, generate
from tests.test_materialize import EVENTS, SNAP

pytestmark = pytest.mark.engine

FEATURES = {"snap_latest": ["bank", "branch", "score", "n", "label", "score_x2"],
            "activity_latest": ["user_id", "cnt_1h", "amount_sum_3h", "amount_max_2h",
                                "amount_last_lifetime", "cnt_life"]}
_READ = """
import json, sys
import snowflake.connector
host, port, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3]
con = snowflake.connector.connect(account="fakesnow", user="fake", password="snow",
                                  database="DB", schema="SC", host=host, port=port,
                                  protocol="http")
print(json.dumps(con.cursor().execute(sql).fetchall()))
"""


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if hasattr(value, "isoformat"):
        return f"'{value.isoformat()}'::TIMESTAMP_TZ"
    return repr(value)


def _model(columns: Sequence[str], records: Sequence[dict[str, Any]]) -> str:
    return "{{ config(materialized='table') }}\n" + "\nUNION ALL\n".join(
        "SELECT " + ", ".join(f"{_literal(r.get(c))} AS {c}" for c in columns) for r in records)


def _dbt(project: Path, *args: str) -> str:
    stamp = t(200).strftime("%Y-%m-%d %H:%M:%S.%f")
    done = subprocess.run([str(DBT), *args, "--profiles-dir", ".", "--vars",
                           f"{{fsql_end: '{stamp}'}}"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


def _snowflake_rows(server: FakesnowServer, table: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(f'"{c}"' for c in FEATURES[table])
    done = subprocess.run([str(PYTHON), "-c", _READ, server.host, str(server.port),
                           f"SELECT {columns} FROM {table}"],
                          capture_output=True, text=True, timeout=120, check=True)
    return sorted((tuple(_norm(v) for v in r) for r in json.loads(done.stdout)), key=repr)


def _duckdb_rows(database: Path, table: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(f'"{c}"' for c in FEATURES[table])
    con = duckdb.connect(str(database), read_only=True)
    try:
        found = con.execute(f'SELECT {columns} FROM "{table}"').fetchall()
    finally:
        con.close()
    return sorted((tuple(_norm(v) for v in r) for r in found), key=repr)


def test_snowflake_project_first_build_on_fakesnow_server(tmp_path: Path) -> None:
    if not DBT.exists():
        pytest.fail(f"{DBT} is missing: run bash tests/engines/setup_dbt.sh (make test does)")
    repo_dir = make_repo(tmp_path / "repo")
    (repo_dir / "services.py").write_text(SERVICE)
    write_table(repo_dir / "data" / "snap.parquet", SNAP_SCHEMA, SNAP)
    write_table(repo_dir / "data" / "events.parquet", EVENT_SCHEMA, EVENTS)
    project = tmp_path / "proj"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        'name: "p"\nversion: "1.0"\nprofile: "p"\nconfig-version: 2\n')
    models = project / "models"
    # the sources' tables, built first by dbt itself (fakesnow's server takes no bulk load)
    (models / "snap.sql").write_text(_model([f.name for f in SNAP_SCHEMA], SNAP))
    (models / "events.sql").write_text(_model([f.name for f in EVENT_SCHEMA], EVENTS))
    (models / "spine.sql").write_text(_model(
        ["bank", "branch", "user_id", "event_timestamp"], SPINE))
    generate(repo_dir, project, "--dialect", "snowflake", "--training", "svc=ref('spine')")
    server = FakesnowServer()
    try:
        (project / "profiles.yml").write_text(textwrap.dedent(f'''\
            p:
              target: dev
              outputs:
                dev:
                  type: snowflake
                  account: fakesnow
                  user: fake
                  password: not-a-real-password
                  database: DB
                  schema: SC
                  warehouse: WH
                  host: {server.host}
                  port: {server.port}
                  protocol: http
                  threads: 1
            '''))
        _dbt(project, "run", "--select", "snap", "events")
        out = _dbt(project, "build", "--exclude", "snap", "events")
        assert "PASS=12" in out and "ERROR=0" in out, out[-3000:]  # 4 models, 8 tests
        repo = Repo.load(repo_dir)
        repo.materialize(end=t(200), target="duckdb:///fsql.duckdb")
        for table in FEATURES:
            want = _duckdb_rows(repo_dir / "fsql.duckdb", table)
            assert want, table
            assert _snowflake_rows(server, table) == want, table
    finally:
        server.close()
