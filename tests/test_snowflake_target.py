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
- ``EXPLAIN USING TABULAR`` is a parser error there (a plain ``EXPLAIN``, HTTP 500):
  :func:`fsql.engines.snowflake.explain` is tested on the statement it sends and on a
  stand-in connection.
- MERGE inside an explicit transaction: never sent (the Snowflake merge style has no
  transaction; fsql/materialize/styles.py).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql.cli import main
from fsql.engines import snowflake
from fsql.engines.credentials import snowflake_credentials
from fsql.errors import CompileError, ExecutionError, QueryRejectedError
from fsql.repo import Repo
from tests.engines import Result, TableData
from tests.engines.fakesnow_engine import load_statements
from tests.engines.fakesnow_server import PYTHON, FakesnowServer
from tests.golden_support import MATERIALIZE_CASES, GoldenCase, assert_result_matches, cases
from tests.materialize_support import (
    EVENT_SCHEMA,
    SNAP_SCHEMA,
    make_repo,
    same,
    t,
    write_sources,
    write_table,
)
from tests.test_golden_materialize import _check as check_latest_tables
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
        self.con.cursor().execute("USE SCHEMA DB.SC")  # CREATE SCHEMA made another current

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


# Appended before the second run: a late correction (old event time, created after the first
# run), a new key, and late and new events (activity allows 1h of late arrival).
SNAP_MORE = [
    {"bank": 1, "branch": "23", "ts": t(100), "created": t(130), "score": 5.5, "n": 8,
     "label": "late"},
    {"bank": 5, "branch": "q", "ts": t(190), "created": t(190), "score": 6.0, "n": 6,
     "label": "h"},
]
EVENTS_MORE = [
    {"user_id": 1, "ts": t(115), "amount": 2.5},
    {"user_id": 4, "ts": t(180), "amount": 4.0},
    {"user_id": 3, "ts": t(195), "amount": None},
]
KEYS = {"snap": ("bank", "branch"), "activity": ("user_id",)}
# fakesnow's server reads NULL timestamps back as 1970-01-01 (its Arrow encoder drops the null
# mask): where DuckDB has NULL, that reading is accepted; ``materialized_at`` says when a row
# was written.
EPOCH = datetime(1970, 1, 1)


def _latest_duckdb(store: Path, view: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM {view}_latest")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return {tuple(r[k] for k in KEYS[view]): r for r in rows}


def _comparable(value: Any, want: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, datetime) and value.tzinfo is None:  # TIMESTAMP_NTZ: UTC
        return None if value == EPOCH and want is None else value.replace(tzinfo=UTC)
    return value


def assert_same_latest(sf: Fixture, schema: str, store: Path) -> None:
    for view, keys in KEYS.items():
        want = _latest_duckdb(store, view)
        got = {tuple(r[k] for k in keys): r for r in
               sf.rows(f"SELECT * FROM DB.{schema}.{view}_latest")}
        assert set(got) == set(want), (view, set(got) ^ set(want))
        for key, row in want.items():
            assert set(got[key]) == {n.lower() for n in row}, (view, key)
            for name, value in row.items():
                if name == "materialized_at":
                    continue
                if isinstance(value, datetime):
                    value = value.astimezone(UTC)
                assert same(_comparable(got[key][name.lower()], value), value), (
                    view, key, name, got[key][name.lower()], value)


def test_materialize_on_snowflake_equals_duckdb_first_and_incremental(
        sf: Fixture, password: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sf.load({"DB.MAT.snap": table_data(SNAP_SCHEMA, SNAP),
             "DB.MAT.events": table_data(EVENT_SCHEMA, EVENTS)})
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    target = sf.url.replace("/DB/SC?", "/DB/MAT?")
    store = "duckdb:///store.duckdb"
    first = repo.materialize(end=t(120), target=target)
    first_duck = repo.materialize(end=t(120), target=store)
    assert_same_latest(sf, "MAT", root / "store.duckdb")
    for rows, schema in ((SNAP_MORE, SNAP_SCHEMA), (EVENTS_MORE, EVENT_SCHEMA)):
        name = "snap" if schema is SNAP_SCHEMA else "events"
        loaded = load_statements({f"DB.MAT.{name}": table_data(schema, rows)})
        sf.con.cursor().execute(next(s for s in loaded if s.startswith("INSERT")))
    write_sources(root, SNAP + SNAP_MORE, EVENTS + EVENTS_MORE)
    code = main(["materialize", "--repo", str(root), "--end", t(200).isoformat(),
                 "--target", target])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    second_duck = repo.materialize(end=t(200), target=store)
    assert_same_latest(sf, "MAT", root / "store.duckdb")
    assert printed.out.startswith("target snowflake://fake@fakesnow/DB/MAT?")
    # the same rows written and the same watermarks as the DuckDB runs report
    for line, duck in zip(printed.out.splitlines()[1:], second_duck.views, strict=True):
        assert line.startswith(f"{duck.view} -> DB.MAT.{duck.view}_latest: {duck.inserted} "
                               f"inserted, {duck.updated} updated, {duck.deleted} deleted, ")
        assert f"watermark {duck.end.isoformat()}" in line
    for mine, duck in zip(first.views, first_duck.views, strict=True):
        assert (mine.inserted, mine.updated, mine.deleted, mine.created_watermark) == \
            (duck.inserted, duck.updated, duck.deleted, duck.created_watermark)
    assert sum(v.inserted for v in first.views) > 0
    assert second_duck.views[0].updated > 0 or second_duck.views[1].updated > 0
    older = repo.materialize(end=t(120), target=target)  # older than the tables: no change
    assert [(v.inserted, v.updated, v.deleted) for v in older.views] == [(0, 0, 0)] * 2
    assert [v.format() for v in older.views] == [  # as DuckDB says it
        v.format() for v in repo.materialize(end=t(120), target=store).views]
    repo.materialize(end=t(120), target=store)
    assert_same_latest(sf, "MAT", root / "store.duckdb")
    assert password not in printed.out + printed.err + caplog.text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_bad_input_one_line_and_no_secret(sf: Fixture, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    root = make_repo(tmp_path / "repo", SERVICE)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    run = ["run", "--repo", str(root), "--features", "svc", "--spine",
           str(root / "spine.parquet"), "--out", str(tmp_path / "o.parquet"), "--target"]
    for name in ("SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY_FILE", "SNOWFLAKE_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert main([*run, sf.url]) == 2  # no credentials: names the variables that give them
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SNOWFLAKE_PASSWORD" in err and \
        "SNOWFLAKE_PRIVATE_KEY_FILE" in err, err
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    unreachable = f"snowflake://fake@acct/DB/SC?host=127.0.0.1&port={_closed_port()}&protocol=http"
    started = time.monotonic()
    assert main([*run, unreachable]) == 2
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect" in err and "127.0.0.1" in err, err
    assert seconds < snowflake.LOGIN_TIMEOUT + 10, seconds
    assert main([*run[:6], "no_such_table", *run[7:], sf.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_table" in err, err
    with pytest.raises(ExecutionError) as raised:  # the Python API: a typed error
        Repo.load(root).materialize(end=t(10), target=unreachable)
    assert not isinstance(raised.value, QueryRejectedError)  # an outage, not a bad statement
    assert main(["materialize", "--repo", str(root), "--dialect", "snowflake", "--print",
                 "--end", t(10).isoformat(), "--target", sf.url]) == 0
    printed = capsys.readouterr()
    assert "MERGE" in printed.out
    for text in (str(raised.value), repr(raised.value), printed.out, printed.err, caplog.text):
        assert SECRET not in text


class _Cursor:
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log

    def execute_async(self, sql: str, params: Any = None) -> dict[str, str]:
        self.log.append(("async", sql))
        return {"queryId": "01b2-q"}

    def execute(self, sql: str, params: Any = None) -> _Cursor:
        self.log.append((sql, params))
        return self


class _Running:
    """A connection whose query stays RUNNING until the third look, where Ctrl-C comes."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.looks = 0

    def cursor(self) -> _Cursor:
        return _Cursor(self.log)

    def get_query_status_throw_if_error(self, qid: str) -> str:
        self.looks += 1
        if self.looks == 4:
            raise KeyboardInterrupt
        return "RUNNING"

    @staticmethod
    def is_still_running(status: str) -> bool:
        return status == "RUNNING"


def test_ctrl_c_cancels_the_query_and_progress_shows_its_state() -> None:
    con, seen = _Running(), []
    with pytest.raises(KeyboardInterrupt):
        snowflake.execute(con, "SELECT 1", what="running", progress=seen.append, poll=0.05)
    assert con.log == [("async", "SELECT 1"), ("SELECT SYSTEM$CANCEL_QUERY(%s)", ("01b2-q",))]
    assert seen and all(line.startswith("running: query 01b2-q running, ") for line in seen)


class _Explaining:
    """A connection answering EXPLAIN USING TABULAR as Snowflake's documentation shows."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def cursor(self) -> _Explaining:
        return self

    def execute_async(self, sql: str, params: Any = None) -> dict[str, str]:
        self.sent.append(sql)
        return {"queryId": "q"}

    def get_query_status_throw_if_error(self, qid: str) -> str:
        return "SUCCESS"

    @staticmethod
    def is_still_running(status: str) -> bool:
        return False

    def get_results_from_sfqid(self, qid: str) -> None:
        self.description = [type("Meta", (), {"name": n}) for n in (
            "step", "id", "parentOperators", "operation", "objects", "alias", "expressions",
            "partitionsTotal", "partitionsAssigned", "bytesAssigned")]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [(None, None, None, "GlobalStats", None, None, None, 12, 3, 1048576),
                (1, 0, None, "Result", None, None, "X", None, None, None),
                (1, 1, "[0]", "TableScan", "DB.SC.EVENTS", None, "TS", 12, 3, 1048576)]


def test_explain_sends_the_statement_and_reads_the_pruning(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", SERVICE)
    sql = Repo.load(root).compile("svc", "spine", dialect="snowflake")
    con = _Explaining()
    explained = snowflake.explain(con, sql + ";\n", what="service svc")
    assert con.sent == ["EXPLAIN USING TABULAR\n" + sql.strip()]
    assert (explained.partitions_total, explained.partitions_assigned,
            explained.bytes_assigned) == (12, 3, 1048576)
    assert explained.operations == ("Result", "TableScan")
    assert explained.format() == "service svc: 3 of 12 partitions, 1048576 bytes assigned"


def test_explain_on_fakesnow_server_is_a_typed_error(sf: Fixture, password: str) -> None:
    """fakesnow's server cannot parse ``EXPLAIN USING TABULAR`` (a plain ``EXPLAIN`` is an
    HTTP 500 there): the connector's error comes back as one typed line (what real
    Snowflake returns is read by the test above)."""
    con = snowflake.connection("fakesnow", database="DB", schema="SC", options={
        "host": sf.server.host, "port": str(sf.server.port), "protocol": "http"},
        credentials=snowflake_credentials("t", "fake", None))
    try:
        with pytest.raises(ExecutionError, match="explaining the spine") as raised:
            snowflake.explain(con, "SELECT * FROM spine", what="the spine")
        # a refused statement is a problem of that statement, not an outage
        with pytest.raises(QueryRejectedError, match=r"running a test.*NO_SUCH") as refused:
            snowflake.execute(con, "SELECT * FROM no_such", what="running a test")
    finally:
        con.close()
    for err in (raised.value, refused.value):
        assert "\n" not in str(err) and password not in str(err)


def test_connections_toml_and_a_versioned_view(sf: Fixture, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Credentials from a [NAME] of $SNOWFLAKE_HOME/connections.toml (the connector reads
    it); a version 2 view materializes to ``snap_v2_latest`` with ``snap_latest`` a SQL VIEW
    over it, as ``--print`` shows."""
    for name in ("SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "sfhome"
    home.mkdir()
    (home / "connections.toml").write_text(
        f'[dev]\naccount = "fakesnow"\nuser = "fake"\npassword = "{SECRET}"\n')
    (home / "connections.toml").chmod(0o600)  # the connector warns about a readable one
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    sf.load({"DB.VER.snap": table_data(SNAP_SCHEMA, SNAP)})
    root = make_repo(tmp_path / "repo")
    features = root / "features.py"
    features.write_text(features.read_text().replace(
        'snap = FeatureView("snap", ', 'snap = FeatureView("snap", version=2, '))
    write_sources(root, SNAP, EVENTS)
    target = (f"snowflake://fakesnow/DB/VER?connection=dev&host={sf.server.host}"
              f"&port={sf.server.port}&protocol=http")
    code = main(["materialize", "--repo", str(root), "--views", "snap", "--end",
                 t(200).isoformat(), "--target", target])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert SECRET not in printed.out + printed.err
    tables = {r["table_name"].lower() for r in sf.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'VER' "
        "AND table_type = 'BASE TABLE'")}
    assert "snap_v2_latest" in tables and "snap_latest" not in tables, tables  # a VIEW
    through_view, table = (sf.rows(f"SELECT bank, branch, score, n, label FROM DB.VER.{name} "
                                   "ORDER BY bank, branch")
                           for name in ("snap_latest", "snap_v2_latest"))
    assert through_view and through_view == table
    duck = Repo.load(root).materialize(views=["snap"], end=t(200), target="duckdb:///v.duckdb")
    assert duck.views[0].table.endswith("snap_v2_latest")
    assert len(table) == len(_latest_duckdb(root / "v.duckdb", "snap"))


def test_upload_keeps_every_value(sf: Fixture, password: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Strings that need escaping, NaN and infinities, NULLs, dates, decimals and aware
    timestamps (stored as UTC wall-clock time) survive the JSON-literal upload, sent in
    batches of at most BATCH_BYTES (here small: several INSERTs, one row longer alone)."""
    monkeypatch.setattr(snowflake, "BATCH_BYTES", 120)
    batches = list(snowflake._batches(['[1,"a"]', '[2,"b"]', "[" + "9" * 200 + "]", "[3]"]))
    assert batches == ['[[1,"a"],[2,"b"]]', "[[" + "9" * 200 + "]]", "[[3]]"]
    assert len(list(snowflake._batches(["[1]"] * 100))) == 4  # 4 bytes a row, 120 a batch
    rows = pa.table({
        "s": ["it's", 'a "quote"', "back\\slash", "new\nline", "ünï ☃", None],
        "f": [1.5, float("nan"), float("inf"), float("-inf"), -0.0, None],
        "i": [2**62, -1, 0, 7, 8, None],
        "b": [True, False, None, True, False, None],
        "d": [date(2024, 2, 29), None, date(1970, 1, 1), date(2000, 1, 1), None, None],
        "m": pa.array([Decimal("12.34"), None, Decimal("-0.01"), None, None, None],
                      pa.decimal128(10, 2)),
        "ts": pa.array([datetime(2024, 1, 1, 12, 30, 1, 5, tzinfo=UTC), None, None, None,
                        None, datetime(2024, 6, 30, 23, 59, 59, 999999, tzinfo=UTC)],
                       pa.timestamp("us", tz="UTC")),
    })
    con = snowflake.connection("fakesnow", database="DB", schema="SC", options={
        "host": sf.server.host, "port": str(sf.server.port), "protocol": "http"},
        credentials=snowflake_credentials("t", "fake", None))
    try:
        snowflake.upload(con, "uploaded", rows, temporary=False)
    finally:
        con.close()
    got = sorted(sf.rows("SELECT * FROM DB.SC.uploaded"), key=lambda r: r["s"] or "~")
    want = sorted(rows.to_pylist(), key=lambda r: r["s"] or "~")
    for g, w in zip(got, want, strict=True):
        for name in ("s", "f", "i", "b", "d", "m"):
            assert same(g[name], w[name]), (name, g[name], w[name])
        stamp = g["ts"]  # naive UTC; NULL reads as 1970 through the server (module doc)
        assert (stamp == EPOCH if w["ts"] is None else
                stamp.replace(tzinfo=UTC) == w["ts"]), (stamp, w["ts"])


ARROW = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(),
         "bool": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}


def _spine_file(case: GoldenCase, path: Path) -> str:
    """The case's spine as a Parquet file of its declared types."""
    data = case.tables[case.config["request"].get("spine", "spine")]
    fields = [pa.field(name, ARROW.get(dtype) or pa.decimal128(
        *map(int, dtype[len("decimal("):-1].split(",")))) for name, dtype in data.columns]
    columns = {f.name: [row[i] for row in data.rows] for i, f in enumerate(fields)}
    pq.write_table(pa.table(columns, schema=pa.schema(fields)), path)
    return str(path)


@pytest.mark.parametrize("spine", ["table", "file"])
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_golden_case_on_snowflake_target_equals_expected(
        sf: Fixture, password: str, case: GoldenCase, spine: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Every golden case through ``fsql run --target``: its tables loaded into a schema of
    its own; its spine table used in place (the output in the golden order: a table spine is
    numbered by all its columns) or its rows uploaded from a Parquet file (compared as a
    multiset: the output keeps the file's order). The output equals expected.csv (the
    oracle)."""
    database, schema = f"G_{spine.upper()}", case.name.upper()  # (two_entities: a.b names)
    sf.load({f"{database}.{name}" if "." in name else f"{database}.{schema}.{name}": data
             for name, data in case.tables.items()})
    request = case.config["request"]
    flags = [*(["--cut", request["cut"]] if "cut" in request else []),
             *(["--created-cutoff"] if request.get("created_cutoff") else []),
             *(["--full-names"] if request.get("full_names") else [])]
    arg = request.get("spine", "spine") if spine == "table" else \
        _spine_file(case, tmp_path / "spine.parquet")
    out = tmp_path / "out.parquet"
    code = main(["run", "--repo", str(case.path / "features"), "--features",
                 request["features"], "--spine", arg,
                 "--spine-timestamp", request.get("spine_timestamp", "event_timestamp"),
                 *flags, "--out", str(out), "--target",
                 sf.url.replace("/DB/SC?", f"/{database}/{schema}?")])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    got = pq.read_table(out)
    dtypes = case.output_dtypes
    expected = case.expected()
    rows = [tuple(None if dtype == "timestamp" and value == datetime(1970, 1, 1, tzinfo=UTC)
                  else value  # fakesnow's server reads NULL timestamps as 1970 (module doc)
                  for (name, dtype), value in zip(dtypes.items(), row.values(), strict=True))
            for row in got.to_pylist()]
    if spine == "file":
        rows.sort(key=repr)
        expected = sorted(expected, key=repr)
    assert_result_matches(Result(got.column_names, rows), expected, dtypes)


class _Refusing(_Running):
    """As _Running, and Snowflake refuses the cancel."""

    def cursor(self) -> _Cursor:
        log = self.log

        class Refusing(_Cursor):
            def execute(self, sql: str, params: Any = None) -> _Cursor:
                raise snowflake._connector().errors.ProgrammingError("cancel refused")

        return Refusing(log)


def test_a_refused_cancel_says_how_to_cancel_by_hand() -> None:
    with pytest.raises(ExecutionError, match=r"did not cancel query 01b2-q.*"
                                             r"SYSTEM\$CANCEL_QUERY\('01b2-q'\)"):
        snowflake.execute(_Refusing(), "SELECT 1", what="running", poll=0.05)


@pytest.mark.parametrize("case", [c for c in cases() if c.name in MATERIALIZE_CASES],
                         ids=lambda c: c.name)
def test_golden_materialization_on_snowflake_target_equals_the_oracle(
        sf: Fixture, password: str, case: GoldenCase, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """The materialization goldens' cases through ``fsql materialize --target``: every
    view's latest table equals the oracle for a spine of (every key, the case's end)."""
    schema = f"M_{case.name.upper()}"
    sf.load({f"DB.{schema}.{name}": data for name, data in case.tables.items()})
    code = main(["materialize", "--repo", str(case.path / "features"), "--end",
                 case.end.isoformat(), "--target", sf.url.replace("/DB/SC?", f"/DB/{schema}?")])
    printed = capsys.readouterr()
    assert code == 0, printed.err

    def rows_of(table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = sf.con.cursor().execute(f"SELECT * FROM DB.{schema}.{table}")
        return [d.name for d in cursor.description], cursor.fetchall()

    check_latest_tables(case, rows_of)


def test_a_failed_run_reports_its_own_error_and_drops_the_upload(
        sf: Fixture, password: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The uploaded spine is dropped after a run, and after a run that fails (whose own
    error is the one raised). fakesnow lists no temporary table, so the test names it."""
    root = make_repo(tmp_path / "repo", SERVICE)
    write_table(root / "spine.parquet", SPINE_SCHEMA, SPINE)
    keyless = pa.schema([f for f in SPINE_SCHEMA if f.name != "user_id"])
    write_table(root / "keyless.parquet", keyless, SPINE)  # uploaded, then the plan refuses it
    con = snowflake.connection("fakesnow", database="DB", schema="SC", options={
        "host": sf.server.host, "port": str(sf.server.port), "protocol": "http"},
        credentials=snowflake_credentials("t", "fake", None))
    repo = Repo.load(root)
    names = iter(["fsql_spine_failed", "fsql_spine_done"])
    monkeypatch.setattr(snowflake, "upload_name", lambda: next(names))

    def exists(name: str) -> bool:
        try:
            con.cursor().execute(f"SELECT COUNT(*) FROM {name}")
        except snowflake._connector().errors.ProgrammingError:
            return False
        return True

    try:
        with pytest.raises(CompileError, match="user_id"):
            snowflake.training_set(repo, "svc", str(root / "keyless.parquet"), con=con)
        snowflake.training_set(repo, "svc", str(root / "spine.parquet"), con=con)
        assert not exists("fsql_spine_failed") and not exists("fsql_spine_done")
        snowflake.upload(con, "fsql_spine_probe", pa.table({"a": [1]}))
        assert exists("fsql_spine_probe")  # the probe sees a temporary table
    finally:
        con.close()


def test_a_latest_table_without_a_column_is_refused_before_anything_runs(
        sf: Fixture, password: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """A Snowflake latest table missing a column the run writes (an older fsql's, or edited by
    hand) is refused before the first statement of any view, naming the view, the column and
    --full-refresh; tables and state are as they were; the rebuild equals DuckDB's."""
    sf.load({"DB.LEG.snap": table_data(SNAP_SCHEMA, SNAP),
             "DB.LEG.events": table_data(EVENT_SCHEMA, EVENTS)})
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    repo = Repo.load(root)
    target = sf.url.replace("/DB/SC?", "/DB/LEG?")
    repo.materialize(end=t(120), target=target)
    sf.con.cursor().execute('ALTER TABLE DB.LEG.activity_latest DROP COLUMN "cnt_1h"')
    state = "SELECT COUNT(*) AS n FROM DB.LEG.fsql_materializations"
    before = ([sf.rows(state)[0]["n"]] +
              [sorted(map(str, sf.rows(f"SELECT * FROM DB.LEG.{v}_latest"))) for v in KEYS])
    code = main(["materialize", "--repo", str(root), "--end", t(200).isoformat(),
                 "--target", target])
    err = capsys.readouterr().err
    assert code == 2
    assert "'activity'" in err and "activity_latest has no column 'cnt_1h'" in err
    assert "--full-refresh" in err and len(err.strip().splitlines()) == 1
    after = ([sf.rows(state)[0]["n"]] +
             [sorted(map(str, sf.rows(f"SELECT * FROM DB.LEG.{v}_latest"))) for v in KEYS])
    assert after == before  # not even the first view (snap) ran
    repo.materialize(end=t(200), target=target, full_refresh=True)
    repo.materialize(end=t(200), target="duckdb:///store.duckdb", full_refresh=True)
    assert_same_latest(sf, "LEG", root / "store.duckdb")
