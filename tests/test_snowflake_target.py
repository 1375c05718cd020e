"""``fsql run --target snowflake://...`` and ``fsql materialize --target snowflake://...``
end to end through the real snowflake-connector-python against fakesnow's server mode
(tests/engines/fakesnow_server.py). The expectation is fsql's own DuckDB path
(``get_historical_features``, ``materialize``), which the golden and materialization tests
check against the oracle.

fakesnow is DuckDB under a sqlglot translation: this proves the connector's code paths and
that Snowflake accepts the statements, not Snowflake's semantics. What its server could not
do, and how it is covered instead:
- NULL timestamps come back as 1970-01-01 (its Arrow encoder drops the null mask): timestamp
  columns that can be NULL (``feature_timestamp``, ``created_timestamp`` of the latest tables)
  are left out of the comparisons; the printed scripts' timestamps are checked on in-process
  fakesnow (tests/test_golden_materialize.py).
- ``SYSTEM$CANCEL_QUERY`` does not exist there and its queries finish before they are
  polled: Ctrl-C cancelling and progress lines are tested with a stand-in connection.
- ``EXPLAIN`` fails with HTTP 500: :func:`fsql.engines.snowflake.explain` is tested on the
  statement it sends and on a stand-in connection.
- MERGE inside an explicit transaction: never sent (the Snowflake merge style has no
  transaction; fsql/materialize/styles.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql.cli import main
from fsql.engines import snowflake
from fsql.repo import Repo
from tests.engines import TableData
from tests.engines.fakesnow_engine import load_statements
from tests.engines.fakesnow_server import PYTHON, FakesnowServer
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    make_repo,
    same,
    t,
    write_sources,
    write_table,
)
from tests.test_materialize import EVENTS, SNAP

pytestmark = [pytest.mark.engine, pytest.mark.skipif(
    not PYTHON.exists(), reason="fakesnow not installed: tests/engines/setup_fakesnow.sh")]

SECRET = "pl4nted-Sn0wflake-s3cret"  # the password; it must show up nowhere
SPINE_SCHEMA = pa.schema([("bank", pa.int64()), ("branch", pa.string()), ("user_id", pa.int64()),
                          ("event_timestamp", pa.timestamp("us", tz="UTC"))])
# Out of time order, a repeated row, a key with no rows: the output keeps the spine's order.
SPINE = [
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(200)},
    {"bank": 12, "branch": "3", "user_id": 3, "event_timestamp": t(60)},
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(45)},
    {"bank": 1, "branch": "23", "user_id": 1, "event_timestamp": t(45)},
    {"bank": 7, "branch": "x", "user_id": 9, "event_timestamp": t(100)},
    {"bank": 12, "branch": "3", "user_id": 2, "event_timestamp": t(171)},
]
SERVICE = ('\nfrom fsql import FeatureService\n'
           'svc = FeatureService("svc", features=[snap, activity])\n')
DTYPES = {"int64": "int64", "double": "float64", "string": "string",
          "timestamp[us, tz=UTC]": "timestamp"}


def table_data(schema: pa.Schema, rows: list[dict[str, Any]]) -> TableData:
    return TableData([(f.name, DTYPES[str(f.type)]) for f in schema],
                     [[r.get(f.name) for f in schema] for r in rows])


class Fixture:
    """The server, a connection of the tests' own (fixtures loaded by the engine harness's
    loader, independent of the code under test) and the target URL."""

    def __init__(self, server: FakesnowServer) -> None:
        self.server = server
        self.con = snowflake._connector().connect(
            account="fakesnow", user="fake", password="x", database="DB", schema="SC",
            host=server.host, port=server.port, protocol="http")
        self.url = (f"snowflake://fake@fakesnow/DB/SC?warehouse=WH&host={server.host}"
                    f"&port={server.port}&protocol=http")

    def load(self, tables: dict[str, TableData]) -> None:
        for statement in load_statements(tables)[:-1]:  # (its last: USE SCHEMA FSQL.PUBLIC)
            self.con.cursor().execute(statement)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.cursor().execute(sql)
        names = [d.name.lower() for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@pytest.fixture(scope="module")
def sf() -> Iterator[Fixture]:
    server = FakesnowServer()
    try:
        fixture = Fixture(server)
        fixture.load({"DB.SC.snap": table_data(SNAP_SCHEMA, SNAP),
                      "DB.SC.events": table_data(EVENT_SCHEMA, EVENTS),
                      "DB.SC.spine": table_data(SPINE_SCHEMA, SPINE)})
        yield fixture
        fixture.con.close()
    finally:
        server.close()


@pytest.fixture()
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    for name in ("SNOWFLAKE_PRIVATE_KEY_FILE", "SNOWFLAKE_PRIVATE_KEY_FILE_PWD"):
        monkeypatch.delenv(name, raising=False)
    return SECRET


def assert_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (set(g) ^ set(w))
        for name in w:
            assert same(g[name], w[name]), (name, g, w)


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["bank"], row["user_id"], row["event_timestamp"])


@pytest.mark.parametrize("spine", ["file", "table", "query"])
def test_run_on_snowflake_equals_duckdb(sf: Fixture, password: str, tmp_path: Path, spine: str,
                                        capsys: pytest.CaptureFixture[str],
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    root = make_repo(tmp_path / "repo", SERVICE)
    write_sources(root, SNAP, EVENTS)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    arg = {"file": str(root / "spine.parquet"), "table": "spine",
           "query": "SELECT * FROM DB.SC.spine WHERE bank > 0"}[spine]
    out = tmp_path / "out.parquet"
    code = main(["run", "--repo", str(root), "--features", "svc", "--spine", arg,
                 "--out", str(out), "--target", sf.url])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"wrote {out}: 6 rows" in printed.out
    got = pq.read_table(out).to_pylist()
    want = Repo.load(root).get_historical_features(
        "svc", str(root / "spine.parquet"), arrow=True).to_pylist()
    if spine == "file":
        assert_rows(got, want)
        assert [r["cnt_life"] for r in got] == [7, 1, 2, 2, 0, 1]  # by hand, from EVENTS
    else:  # a table or query has no order of its own: compare sorted
        assert_rows(sorted(got, key=_key), sorted(want, key=_key))
    seen = printed.out + printed.err + caplog.text
    assert password not in seen
    left = sf.rows("SELECT table_name FROM information_schema.tables "
                   "WHERE table_name ILIKE 'fsql_spine_%'")
    assert not left  # the temporary upload is dropped
