"""``fsql validate --target`` against a local BigQuery API server (bqemulator 1.4.0 behind the
real google-cloud-bigquery client): each BigQuery statement is dry-run, the bytes it would
process are reported, a statement BigQuery refuses is a problem at its definition; and an
endpoint that cannot be reached fails in seconds with one line (run, materialize, validate).

bqemulator answers a dry run with the query's schema and ``total_bytes_processed = 0`` for
every query (it does not estimate), so the bytes figure is checked to be that 0, not a size."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from snowflake.connector.errors import ProgrammingError

from fsql.checks.validate import validate
from fsql.cli import main
from fsql.engines import bigquery, bigquery_calls
from fsql.errors import ExecutionError, QueryRejectedError
from fsql.materialize.targets import parse_url
from tests.engines.bqemulator_server import VENV, BigQueryEmulator
from tests.materialize_support import make_repo
from tests.test_validate import ENTITIES, SERVICES, VIEWS, write

REQUESTS = ["view activity", "view risk", "service derived", "service good"]
TABLES = {
    "risk": "user_id INT64, ts TIMESTAMP, score FLOAT64, label STRING",
    "events": "user_id INT64, ts TIMESTAMP, amount FLOAT64",
    "spine": "event_timestamp TIMESTAMP, user_id INT64, amount FLOAT64",
}
needs_emulator = pytest.mark.skipif(
    not (VENV / "bin" / "python").exists(),
    reason="bqemulator not installed: tests/engines/setup_bqemulator.sh")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own (never the user's ~/.cache)."""
    monkeypatch.setenv("FSQL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def emulator() -> Iterator[BigQueryEmulator]:
    server = BigQueryEmulator()
    try:
        bq = server.client()
        for dataset in ("ds", "empty"):  # "empty": no spine table
            bq.create_dataset(dataset)
        for name, columns in TABLES.items():
            bq.query(f"CREATE TABLE `{server.project}.ds.{name}` ({columns})").result()
        yield server
    finally:
        server.close()


def url(server: BigQueryEmulator, dataset: str = "ds") -> str:
    return f"bigquery://{server.project}/{dataset}?api_endpoint={server.endpoint}"


def shown(server: BigQueryEmulator) -> str:
    """The target as fsql prints it (SQLAlchemy's rendering of the URL)."""
    return parse_url(url(server), root=Path(".")).url


@pytest.fixture
def good_repo(tmp_path: Path) -> Path:
    return write(tmp_path / "good", {"entities.py": ENTITIES, "views.py": VIEWS,
                                     "services.py": SERVICES})


@needs_emulator
def test_good_repository_is_dry_run_query_by_query(
        emulator: BigQueryEmulator, good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--repo", str(good_repo), "--dialects", "duckdb",
                 "--target", url(emulator)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    lines = printed.out.splitlines()
    # One line per BigQuery statement (bigquery was added to the dialects), then the summary.
    assert lines[:-1] == [f"{r} (bigquery dry run): 0 bytes would be processed"
                          for r in REQUESTS]
    assert "on duckdb, bigquery: 8 statements compiled and parsed, 4 accepted by " \
           f"{shown(emulator)} in a dry run (0 bytes would be processed in all), 0 problem(s)" \
           in lines[-1]
    # The cache skips re-parsing, never the dry run; processes give the same report.
    again = validate(good_repo, dialects="bigquery", target=url(emulator), jobs=2)
    assert [(d.request, d.dialect, d.bytes) for d in again.dry_runs] == [
        (r, "bigquery", 0) for r in REQUESTS]
    assert not again.problems


@needs_emulator
def test_statements_bigquery_refuses_are_problems_at_their_definitions(
        emulator: BigQueryEmulator, good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (good_repo / "views.py").write_text(VIEWS.replace('"ds.events"', '"ds.no_events"'))
    code = main(["validate", "--repo", str(good_repo), "--dialects", "bigquery",
                 "--target", url(emulator)])
    printed = capsys.readouterr()
    assert code == 1
    assert printed.out.splitlines() == ["view risk (bigquery dry run): 0 bytes would be "
                                        "processed"]
    problems = printed.err.splitlines()[:-1]
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{good_repo}/services.py:5", f"{good_repo}/services.py:6", f"{good_repo}/views.py:10"]
    for line, request in zip(problems, ["service good", "service derived", "view activity"],
                             strict=True):
        assert "BigQuery failed dry-running" in line and "no_events" in line, line
        assert "POST" not in line, line  # BigQuery's message, not the HTTP request
        assert line.endswith(f"(in: {request}; bigquery)"), line
    assert printed.err.splitlines()[-1].endswith("1 accepted by "
                                                 f"{shown(emulator)} in a dry run (0 bytes would "
                                                 "be processed in all), 3 problem(s)")


@needs_emulator
def test_a_missing_placeholder_spine_names_the_setting(emulator: BigQueryEmulator,
                                                       good_repo: Path) -> None:
    (good_repo / "views.py").write_text(VIEWS.replace('"ds.', f'"{emulator.project}.ds.'))
    report = validate(good_repo, dialects="bigquery", target=url(emulator, "empty"))
    assert len(report.problems) == 4 and not report.dry_runs
    for problem in report.problems:
        assert "Not found" in problem.message and "placeholder table 'spine'" in \
            problem.message and "[golden] spine" in problem.message, problem.message
    # Naming a spine table the warehouse has fixes it.
    (good_repo / "fsql.toml").write_text(f'[golden]\nspine = "{emulator.project}.ds.spine"\n')
    fixed = validate(good_repo, dialects="bigquery", target=url(emulator, "empty"))
    assert not fixed.problems and len(fixed.dry_runs) == 4


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening, then closed: connections refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_endpoint_fails_at_once_with_one_line(tmp_path: Path) -> None:
    """google-cloud-bigquery alone retries a refused connection for ten minutes; fsql fails
    at the first refusal. Each command gets 60 s (a hang would be minutes)."""
    root = make_repo(tmp_path / "repo", '\nfrom fsql import FeatureService\n'
                     'svc = FeatureService("svc", features=[snap, activity])\n')
    endpoint = f"http://127.0.0.1:{closed_port()}"
    target = f"bigquery://p/ds?api_endpoint={endpoint}"
    commands = {
        "run": ["run", "--features", "svc", "--spine", "spine", "--out",
                str(tmp_path / "o.parquet")],
        "materialize": ["materialize", "--end", "2024-01-02"],
        "validate": ["validate", "--dialects", "bigquery"],
    }
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for name, args in commands.items():
        done = subprocess.run([sys.executable, "-m", "fsql.cli", *args, "--repo", str(root),
                               "--target", target], capture_output=True, text=True,
                              timeout=60, env=env)
        assert done.returncode == 2, (name, done.stderr)
        assert done.stderr.count("\n") == 1, (name, done.stderr)
        assert f"BigQuery at {endpoint} cannot be reached" in done.stderr, (name, done.stderr)
        assert "connection refused" in done.stderr, (name, done.stderr)


def test_retries_are_bounded_and_skip_unreachable_endpoints() -> None:
    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    assert bigquery_calls.unreachable(refused)
    assert not bigquery_calls._transient(refused)
    assert bigquery_calls._transient(api_exceptions.ServiceUnavailable("busy"))
    assert bigquery_calls._transient(requests.exceptions.ReadTimeout("slow"))
    assert not bigquery_calls._transient(api_exceptions.BadRequest("no such table"))
    assert bigquery_calls.retry()._deadline == bigquery_calls.DEADLINE
    rejected = bigquery_calls.as_execution_error(
        api_exceptions.NotFound("Not found: Table p.ds.x"), "dry-running view 'v'")
    assert isinstance(rejected, QueryRejectedError)
    assert str(rejected) == "BigQuery failed dry-running view 'v': Not found: Table p.ds.x"
    auth = bigquery_calls.as_execution_error(api_exceptions.Unauthorized("no"), "x")
    assert isinstance(auth, ExecutionError) and not isinstance(auth, QueryRejectedError)


def test_a_duckdb_target_is_refused_in_one_line(
        good_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(good_repo), "--target", "duckdb:///x.duckdb"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "asks a warehouse" in err, err


class _Snowflake:
    """A connection answering ``EXPLAIN USING TABULAR`` as Snowflake documents it (fakesnow's
    server cannot parse it: tests/test_snowflake_target.py), refusing what reads ``refused``."""

    def __init__(self, refused: str) -> None:
        self.refused, self.sent, self.rows = refused, [], []

    def cursor(self) -> _Snowflake:
        return self

    def execute_async(self, sql: str, params: object = None) -> dict[str, str]:
        self.sent.append(sql)
        return {"queryId": str(len(self.sent))}

    def get_query_status_throw_if_error(self, qid: str) -> str:
        if self.refused in self.sent[int(qid) - 1]:
            raise _connector_error(f"SQL compilation error: Object '{self.refused.upper()}' "
                                   "does not exist or not authorized.")
        return "SUCCESS"

    @staticmethod
    def is_still_running(status: str) -> bool:
        return False

    def get_results_from_sfqid(self, qid: str) -> None:
        self.description = [type("Meta", (), {"name": n}) for n in (
            "operation", "partitionsTotal", "partitionsAssigned", "bytesAssigned")]
        self.rows = [("GlobalStats", 4, 2, 1000 * int(qid)), ("TableScan", 4, 2, 1000)]

    def fetchall(self) -> list[tuple[object, ...]]:
        return self.rows


def _connector_error(message: str) -> Exception:
    return ProgrammingError(msg=message, errno=2003)


def test_snowflake_explain_per_statement(good_repo: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "planted-secret-4711")
    for refused, code in (("no_such_table", 0), ("events", 1)):
        con = _Snowflake(refused)
        monkeypatch.setattr("fsql.engines.snowflake.connection", lambda *a, con=con, **k: con)
        assert main(["validate", "--repo", str(good_repo), "--target",
                     "snowflake://me@acct/db/sch"]) == code
        out = capsys.readouterr()
        assert "planted-secret" not in out.out + out.err
        assert con.sent and all(s.startswith("EXPLAIN USING TABULAR\n") for s in con.sent)
        explained = [line for line in out.out.splitlines() if "(snowflake EXPLAIN)" in line]
        if code == 0:
            # one line per statement, each with the bytes its plan assigns
            assert len(explained) == len(con.sent) == len(REQUESTS), out.out
            assert {line.split(": ")[-1] for line in explained} == {
                f"{1000 * n} bytes would be processed" for n in range(1, len(REQUESTS) + 1)}
        else:  # every statement reading events is a problem at its definition
            problems = [line for line in out.err.splitlines() if "not authorized" in line]
            assert len(problems) == 3 and all(".py:" in line for line in problems), out.err
            assert "1 accepted by snowflake://me@acct/db/sch in an EXPLAIN" in out.err


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections and never answers (a hung endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop, held = threading.Event(), []

    def hold() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def test_an_endpoint_that_never_answers_is_bounded_by_timeout_and_deadline(
        good_repo: Path, silent_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request times out (here 0.3 s instead of 30 s) and the retries stop at the
    deadline (here 1 s instead of 60 s): one error saying so, not a hang."""
    monkeypatch.setattr(bigquery, "TIMEOUT", 0.3)
    monkeypatch.setattr(bigquery_calls, "DEADLINE", 1.0)
    bigquery_calls.retry.cache_clear()
    try:
        with pytest.raises(ExecutionError, match=r"did not answer dry-running view 'activity' "
                                                 r"within 1 s of retries"):
            validate(good_repo, dialects="bigquery",
                     target=f"bigquery://p/ds?api_endpoint={silent_endpoint}")
    finally:
        bigquery_calls.retry.cache_clear()
