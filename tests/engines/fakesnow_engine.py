"""Snowflake test engine: fakesnow 0.12.1 behind the real snowflake-connector-python (4.x).

fakesnow pins ``sqlglot~=30.22`` and needs connector 4.x, which must not constrain fsql's own
environment, so it runs in a virtualenv of its own (``$REPO/.venv-fakesnow``, made by
``tests/engines/setup_fakesnow.sh``; ``FSQL_FAKESNOW_PYTHON`` overrides the interpreter). One
long-lived worker process per test process (``fakesnow_worker.py``) serves JSON-lines requests. It
uses patch mode (``fakesnow.patch()`` + ``snowflake.connector.connect``): server mode loses NULL
timestamps. Every request gets a fresh in-memory instance, so runs never see each other's tables.

Tables are loaded with Snowflake SQL through the connector: ``CREATE TABLE`` with explicit Snowflake
types, then one ``INSERT INTO t SELECT value[i]::VARCHAR::<type>, ... FROM
TABLE(FLATTEN(INPUT => PARSE_JSON('<rows as JSON strings>')))``. Every value travels as its exact
text and is cast to the column type by the engine, so NULLs, Decimals, floats and microseconds are
exact. (``INSERT ... VALUES`` is exact too but fakesnow runs ~70 sqlglot passes over the statement
tree: 2.5-8.5 ms per row, 5-19 s for 2k rows, against well under 1 s this way.)

Identifiers: a name that is a plain identifier (``[A-Za-z_][A-Za-z0-9_$]*``) is created as
Snowflake stores it when written unquoted, i.e. upper-cased; any other name is created quoted,
verbatim. Result column names are reported as fakesnow reports them (unquoted names upper-cased).
"""

from __future__ import annotations

import atexit
import datetime as dt
import decimal
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import sqlglot.errors

from . import Result, TableData
from .fakesnow_rewrite import rewrite_for_fakesnow

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = Path(__file__).with_name("fakesnow_worker.py")
DEFAULT_DATABASE = "FSQL"
DEFAULT_SCHEMA = "PUBLIC"

_PLAIN_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.IGNORECASE)
_TYPES = {
    "int64": "NUMBER(38,0)",
    "float64": "FLOAT",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
}


class EngineError(Exception):
    """fakesnow rejected the SQL (or a fixture load); the message is the engine's own.

    ``stage`` is ``"query"`` for the statement under test, ``"setup"`` for loading tables,
    ``"rewrite"`` when the harness could not parse the SQL to rewrite it.
    """

    def __init__(self, message: str, stage: str = "query", kind: str = "") -> None:
        super().__init__(message)
        self.stage = stage
        self.kind = kind


class WorkerError(RuntimeError):
    """The fakesnow worker could not start, died, timed out or broke the protocol.

    This is an infrastructure failure, deliberately not an :class:`EngineError`. The worker is
    discarded and the next :meth:`FakesnowEngine.run` starts a new one.
    """


def fakesnow_python() -> str:
    """The fakesnow venv's interpreter: ``$FSQL_FAKESNOW_PYTHON`` or ``$REPO/.venv-fakesnow``."""
    return os.environ.get("FSQL_FAKESNOW_PYTHON") or str(
        REPO_ROOT / ".venv-fakesnow" / "bin" / "python"
    )


def snowflake_type(dtype: str) -> str:
    """Snowflake column type for an fsql dtype (``decimal(p,s)`` -> ``NUMBER(p,s)``)."""
    if dtype in _TYPES:
        return _TYPES[dtype]
    if m := _DECIMAL.fullmatch(dtype.strip()):
        return f"NUMBER({int(m[1])},{int(m[2])})"
    raise ValueError(f"unknown fsql dtype {dtype!r}")


def quote_ident(name: str) -> str:
    """Quoted Snowflake identifier: plain names upper-cased (as if unquoted), others verbatim."""
    if _PLAIN_IDENT.fullmatch(name):
        name = name.upper()
    return '"' + name.replace('"', '""') + '"'


def _value_text(dtype: str, value: Any) -> str | None:
    """Exact text of one fixture value, cast to the column type by the engine; None for NULL."""
    if value is None:
        return None
    if dtype == "string" and isinstance(value, str):
        return value
    if dtype == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    if dtype == "int64" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if dtype == "float64" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    if dtype == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if dtype == "timestamp" and isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value.isoformat(sep=" "))
    if (
        _DECIMAL.fullmatch(dtype.strip())
        and isinstance(value, (int, decimal.Decimal))
        and not isinstance(value, bool)
    ):
        d = decimal.Decimal(value)
        if d.is_finite():
            return format(d, "f")
    raise TypeError(f"value {value!r} ({type(value).__name__}) does not fit fsql dtype {dtype!r}")


def _split_name(name: str) -> tuple[str, str, str]:
    parts = name.split(".")
    if len(parts) == 1:
        return DEFAULT_DATABASE, DEFAULT_SCHEMA, parts[0]
    if len(parts) == 2:
        return DEFAULT_DATABASE, parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"table name {name!r} has more than three dotted parts")


def _string_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def load_statements(tables: Mapping[str, TableData]) -> list[str]:
    """Snowflake SQL that creates and fills ``tables``, ending with ``USE SCHEMA FSQL.PUBLIC``.

    Databases and schemas named by dotted table names are created first (``CREATE DATABASE``
    switches the session, hence the final ``USE``).
    """
    databases: dict[str, None] = {}
    schemas: dict[str, None] = {}
    body: list[str] = []
    for name, data in tables.items():
        db, schema, table = (quote_ident(p) for p in _split_name(name))
        databases[db] = None
        schemas[f"{db}.{schema}"] = None
        qualified = f"{db}.{schema}.{table}"
        dtypes = [dtype for _, dtype in data.columns]
        columns = ", ".join(
            f"{quote_ident(col)} {snowflake_type(dtype)}" for col, dtype in data.columns
        )
        body.append(f"CREATE TABLE {qualified} ({columns})")
        if not data.rows:
            continue
        texts = []
        for i, row in enumerate(data.rows):
            if len(row) != len(dtypes):
                raise ValueError(
                    f"table {name!r} row {i} has {len(row)} values for {len(dtypes)} columns"
                )
            texts.append(
                [_value_text(dtype, value) for dtype, value in zip(dtypes, row, strict=True)]
            )
        casts = ", ".join(
            f"value[{i}]::VARCHAR" + ("" if dtype == "string" else f"::{snowflake_type(dtype)}")
            for i, dtype in enumerate(dtypes)
        )
        body.append(
            f"INSERT INTO {qualified} SELECT {casts} FROM TABLE(FLATTEN(INPUT => "
            f"PARSE_JSON({_string_literal(json.dumps(texts))}))) ORDER BY index"
        )
    default_db = quote_ident(DEFAULT_DATABASE)
    default_schema = f"{default_db}.{quote_ident(DEFAULT_SCHEMA)}"
    return [
        *(f"CREATE DATABASE IF NOT EXISTS {db}" for db in databases if db != default_db),
        *(f"CREATE SCHEMA IF NOT EXISTS {s}" for s in schemas if s != default_schema),
        *body,
        f"USE SCHEMA {default_schema}",
    ]


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    tag, text = value["t"], value["v"]
    if tag == "float":
        return float(text)
    if tag == "dec":
        return decimal.Decimal(text)
    if tag == "date":
        return dt.date.fromisoformat(text)
    if tag == "ts":
        ts = dt.datetime.fromisoformat(text)
        # TIMESTAMP_NTZ holds UTC wall-clock time; aware values are converted to UTC.
        return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)
    if tag == "time":
        return dt.time.fromisoformat(text)
    if tag == "bytes":
        return bytes.fromhex(text)
    raise WorkerError(f"unknown value tag {tag!r}")


class _Worker:
    """One fakesnow worker process speaking JSON lines on stdin/stdout."""

    def __init__(self, python: str, startup_timeout: float) -> None:
        if not Path(python).exists():
            raise WorkerError(
                f"fakesnow interpreter {python} not found: run tests/engines/setup_fakesnow.sh"
            )
        self.python = python
        self.owner_pid = os.getpid()
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the worker
        # -I: ignore PYTHONPATH etc. and the script's directory, so fsql's packages never leak in.
        self._proc = subprocess.Popen(
            [python, "-I", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name="fakesnow-worker-reader", daemon=True).start()
        self.info = self._receive(startup_timeout)
        if not self.info.get("ready"):
            self.close()
            raise WorkerError(f"unexpected greeting from fakesnow worker: {self.info}")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise self._fail(f"could not write to fakesnow worker: {exc}") from None
        return self._receive(timeout)

    def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise self._fail(
                f"fakesnow worker gave no answer within {timeout} s; killed it"
            ) from None
        if line is None:
            raise self._fail("fakesnow worker exited")
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            raise self._fail(f"fakesnow worker wrote a non-JSON line: {line[:200]!r}") from None
        if not isinstance(answer, dict):
            raise self._fail(f"fakesnow worker wrote {line[:200]!r}")
        return answer

    def _fail(self, message: str) -> WorkerError:
        """Kill the worker (it may be stuck in a query) and describe what happened."""
        if self._proc.poll() is None:
            self._proc.kill()
        code = self._proc.wait()
        tail = self._stderr_tail()
        self.close()
        return WorkerError(f"{message} (exit code {code}); stderr tail:\n{tail}")

    def _stderr_tail(self, limit: int = 4000) -> str:
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - limit))
            return self._stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def close(self) -> None:
        """Stop the process: close its stdin, then kill it if it does not exit promptly."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._stderr.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def _get_worker(python: str, startup_timeout: float) -> _Worker:
    global _worker
    w = _worker
    if w is not None and (not w.alive() or w.owner_pid != os.getpid() or w.python != python):
        if w.owner_pid == os.getpid():
            w.close()
        _worker = w = None
    if w is None:
        _worker = w = _Worker(python, startup_timeout)
    return w


def shutdown_worker() -> None:
    """Stop this process's fakesnow worker, if any (also registered with ``atexit``)."""
    global _worker
    with _lock:
        if _worker is not None and _worker.owner_pid == os.getpid():
            _worker.close()
        _worker = None


def worker_pid() -> int | None:
    """Process id of the running worker, or None when none is running."""
    w = _worker
    return w.pid if w is not None and w.alive() else None


atexit.register(shutdown_worker)


class FakesnowEngine:
    """Runs Snowflake SQL on fakesnow through the real snowflake-connector-python (4.x).

    ``timeout`` bounds each request (load + query), ``startup_timeout`` the worker's start-up.
    ``python`` overrides :func:`fakesnow_python`. A query is passed through
    :func:`rewrite_for_fakesnow` (the documented ASOF JOIN rewrite) before it runs.
    """

    dialect = "snowflake"

    def __init__(
        self, timeout: float = 120.0, startup_timeout: float = 120.0, python: str | None = None
    ) -> None:
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.python = python

    def versions(self) -> dict[str, str]:
        """Versions reported by the worker (``fakesnow``, ``connector``, ``python``); starts it."""
        with _lock:
            info = _get_worker(self.python or fakesnow_python(), self.startup_timeout).info
        return {k: str(v) for k, v in info.items() if k != "ready"}

    def run(self, sql: str, tables: dict[str, TableData]) -> Result:
        """Load ``tables`` into a fresh fakesnow instance and run ``sql``.

        Raises :class:`EngineError` when fakesnow rejects the SQL or the load,
        :class:`WorkerError` when the worker fails, and ``TypeError``/``ValueError`` for fixtures
        that do not fit their dtypes.
        """
        try:
            query = rewrite_for_fakesnow(sql)
        except sqlglot.errors.ParseError as exc:
            raise EngineError(str(exc), stage="rewrite", kind=type(exc).__name__) from None
        request = {
            "database": DEFAULT_DATABASE,
            "schema": DEFAULT_SCHEMA,
            "setup": load_statements(tables),
            "sql": query,
        }
        with _lock:
            # A failed worker is stopped by request(); the next call then starts a new one.
            answer = _get_worker(self.python or fakesnow_python(), self.startup_timeout).request(
                request, self.timeout
            )
        if not answer.get("ok"):
            message = str(answer.get("error"))
            if answer.get("stage") == "setup":
                message = f"loading tables failed: {message}\nstatement: {answer.get('statement')}"
            raise EngineError(
                message, stage=str(answer.get("stage")), kind=str(answer.get("type", ""))
            )
        return Result(
            columns=[str(c) for c in answer["columns"]],
            rows=[tuple(_decode(v) for v in row) for row in answer["rows"]],
        )
