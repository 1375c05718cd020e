"""PostgreSQL as a test engine: a real server (PostgreSQL 15 from the OS packages, started here)
behind the real driver (psycopg 3).

The server is started once per test process, on first use: ``initdb`` in a temporary
directory, ``pg_ctl start`` on 127.0.0.1 and a free port, socket in that directory, as the
``postgres`` OS user when the tests run as root (Postgres refuses to run as root). It is stopped
at the end of the pytest session (``tests/conftest.py``) or at exit. ``FSQL_POSTGRES_DSN``
names an existing server to use instead. ``tests/engines/setup_postgres.sh`` installs the
binaries where they are missing.

The tests' database has an ICU ``en-US`` default collation, where ``'a' < 'B'`` and ``'é' < 'f'``:
unlike fsql's code point order, so any string ordering fsql's SQL leaves to the database shows.

Tables are created with the types of ``dialects/postgres.toml`` and filled with COPY. Names
follow fsql's quoting: a plain identifier is created as Postgres stores it unquoted (lower
case), any other name quoted verbatim. ``schema.table`` names create the schema. Each run is
one transaction, rolled back at the end: runs never see each other's tables.
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from tests.engines import Result, TableData

DATABASE = "fsql_test"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.IGNORECASE)
_TYPES = {"int64": "BIGINT", "float64": "DOUBLE PRECISION", "string": "TEXT",
          "bool": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE"}
# Settings for a throwaway test server: no durability, nothing listening but 127.0.0.1.
_SERVER_OPTIONS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=20")


class EngineError(Exception):
    """Postgres rejected the SQL or failed running it; the message is the server's own."""


def postgres_type(dtype: str) -> str:
    """The Postgres column type of an fsql dtype (``decimal(p,s)`` -> ``NUMERIC(p, s)``)."""
    if dtype in _TYPES:
        return _TYPES[dtype]
    if m := _DECIMAL.fullmatch(dtype.strip()):
        return f"NUMERIC({int(m[1])}, {int(m[2])})"
    raise ValueError(f"unknown fsql dtype {dtype!r}")


def quote_ident(name: str) -> str:
    """A quoted identifier: plain names lower-cased (as Postgres folds them), others verbatim."""
    if _PLAIN.fullmatch(name):
        name = name.lower()
    return '"' + name.replace('"', '""') + '"'


def _bin_dir() -> Path:
    """The directory of initdb/pg_ctl: the newest /usr/lib/postgresql/N/bin, else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL's initdb not found: run tests/engines/setup_postgres.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Server:
    """A server this process started (``directory`` is None for ``FSQL_POSTGRES_DSN``)."""

    dsn: str
    directory: Path | None = None
    bin_dir: Path | None = None
    connection: psycopg.Connection[Any] | None = None

    def connect(self) -> psycopg.Connection[Any]:
        """The process's one connection to the test database (reopened when broken)."""
        if self.connection is None or self.connection.closed or self.connection.broken:
            self.connection = psycopg.connect(self.dsn, dbname=DATABASE)
        return self.connection

    def stop(self) -> None:
        """Close the connection; stop and delete a server this process started."""
        if self.connection is not None:
            self.connection.close()
        if self.directory is None or self.bin_dir is None:
            return
        _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"),
                      "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None


def _as_postgres(command: list[str], *, check: bool = True) -> None:
    """Run ``command`` as the ``postgres`` OS user when this process is root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   cwd="/")


def _start() -> _Server:
    bin_dir = _bin_dir()
    directory = Path(tempfile.mkdtemp(prefix="fsql-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(directory, user="postgres")
    data, log = directory / "data", directory / "server.log"
    try:
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                      "--locale=C.UTF-8", "-E", "UTF8", "--auth=trust"])
        for _ in range(5):  # a free port may be taken before the server binds it
            port = _free_port()
            options = f"-p {port} -k {directory} {_SERVER_OPTIONS}"
            try:
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                              str(log), "-w", "-t", "60", "start"])
                break
            except subprocess.CalledProcessError:
                continue
        else:
            raise RuntimeError(f"PostgreSQL did not start: {log.read_text()[-2000:]}")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    server = _Server(dsn=f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                     directory=directory, bin_dir=bin_dir)
    with psycopg.connect(server.dsn, autocommit=True) as con:
        if con.info.server_version < 150000:
            server.stop()
            raise RuntimeError(f"PostgreSQL >= 15 needed, found {con.info.server_version} "
                               f"({bin_dir}): the postgres dialect cites and needs 15")
        # ICU en-US: a default collation that is not code point order (see the module doc).
        con.execute(f"CREATE DATABASE {DATABASE} TEMPLATE template0 ENCODING 'UTF8' "
                    "LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
    return server


_SERVER: _Server | None = None


def server() -> _Server:
    """This process's test server, started on first use."""
    global _SERVER
    if _SERVER is None:
        dsn = os.environ.get("FSQL_POSTGRES_DSN")
        _SERVER = _Server(dsn=dsn) if dsn else _start()
    return _SERVER


def stop_server() -> None:
    """Stop the test server if this process started one (also registered with ``atexit``)."""
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        _SERVER = None


atexit.register(stop_server)


def _value(value: Any) -> Any:
    # A TIMESTAMP column ignores an offset in its input: convert aware values to UTC first.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _output(value: Any) -> Any:
    # TIMESTAMP comes back naive (UTC wall-clock time), TIMESTAMPTZ in the session zone.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _qualified(name: str) -> tuple[str | None, str]:
    parts = name.split(".")
    if len(parts) > 2:
        raise ValueError(f"table name {name!r}: only 'table' and 'schema.table' are supported")
    schema = quote_ident(parts[0]) if len(parts) == 2 else None
    table = quote_ident(parts[-1])
    return schema, f"{schema}.{table}" if schema else table


class PostgresEngine:
    """Runs Postgres SQL on a real server; ``time_zone`` sets the session TimeZone (it must
    not change results)."""

    dialect = "postgres"

    def __init__(self, time_zone: str = "UTC") -> None:
        self.time_zone = time_zone

    def run(self, sql: str, tables: dict[str, TableData]) -> Result:
        """Load ``tables`` and run ``sql`` in one transaction, rolled back afterwards."""
        con = server().connect()
        try:
            with con.cursor() as cur:
                cur.execute("SELECT set_config('TimeZone', %s, true)", [self.time_zone])
                for name, table in tables.items():
                    self._load(cur, name, table)
                try:
                    cur.execute(sql)
                except psycopg.Error as err:
                    raise EngineError(str(err)) from None
                assert cur.description is not None, "the SQL returned no rows"
                rows = [tuple(_output(v) for v in row) for row in cur.fetchall()]
                return Result(columns=[d.name for d in cur.description], rows=rows)
        finally:
            con.rollback()

    @staticmethod
    def _load(cur: psycopg.Cursor[Any], name: str, table: TableData) -> None:
        schema, qualified = _qualified(name)
        if schema:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        columns = ", ".join(f"{quote_ident(c)} {postgres_type(t)}" for c, t in table.columns)
        cur.execute(f"CREATE TABLE {qualified} ({columns})")
        if not table.rows:
            return
        names = ", ".join(quote_ident(c) for c, _ in table.columns)
        with cur.copy(f"COPY {qualified} ({names}) FROM STDIN") as copy:
            for row in table.rows:
                copy.write_row([_value(v) for v in row])
