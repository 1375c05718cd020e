"""Worker process for :class:`tests.engines.fakesnow_engine.FakesnowEngine`.

Runs inside the fakesnow virtualenv (``.venv-fakesnow``: fakesnow 0.12.1 +
snowflake-connector-python 4.x), never in fsql's own environment, so it imports only the standard
library, ``fakesnow`` and ``snowflake.connector``.

Protocol: JSON lines. After start-up the worker writes ``{"ready": true, ...}``. Then, for every
request line ``{"database": str, "schema": str, "setup": [sql, ...], "sql": str}``, it opens a fresh
in-memory fakesnow instance (``fakesnow.patch()`` + the real ``snowflake.connector.connect``), runs
the setup statements, then ``sql``, and answers with one line, either
``{"ok": true, "columns": [...], "rows": [[value, ...], ...]}`` or
``{"ok": false, "stage": "setup" | "query" | "worker", "error": str, "type": str}``.

Values are JSON null/true/false/int/str, or ``{"t": tag, "v": str}`` with tag ``float`` (``repr``),
``dec`` (Decimal), ``date``, ``ts`` (``datetime.isoformat``, naive or aware), ``time`` or ``bytes``
(hex), so that every type and NULL survives exactly.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import sys
import warnings
from typing import Any, TextIO


def encode(value: Any) -> Any:
    """Encode one result value for JSON, tagging the types JSON cannot carry."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"t": "dec", "v": str(value)}
    if isinstance(value, datetime.datetime):
        return {"t": "ts", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"t": "time", "v": value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "v": bytes(value).hex()}
    raise TypeError(f"unsupported result value {value!r} of type {type(value).__name__}")


def _error(stage: str, exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "stage": stage, "error": str(exc), "type": type(exc).__name__}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request on a fresh fakesnow instance (so nothing leaks between requests)."""
    import fakesnow
    import snowflake.connector

    with fakesnow.patch():
        conn = snowflake.connector.connect(database=request["database"], schema=request["schema"])
        try:
            cur = conn.cursor()
            for statement in request["setup"]:
                try:
                    cur.execute(statement)
                except Exception as exc:
                    return _error("setup", exc) | {"statement": statement[:500]}
            try:
                cur.execute(request["sql"])
                rows = cur.fetchall()
                columns = [d.name for d in cur.description or []]
                encoded = [[encode(v) for v in row] for row in rows]
            except Exception as exc:
                return _error("query", exc)
            for row in rows:
                if len(row) != len(columns):
                    # fakesnow 0.12.1 builds rows through a name-keyed mapping: duplicate output
                    # names collapse and the remaining values shift under the wrong columns.
                    return _error(
                        "query",
                        ValueError(
                            f"fakesnow returned {len(row)} values for {len(columns)} columns "
                            f"{columns}: duplicate output column names are not supported by "
                            "fakesnow; alias them uniquely"
                        ),
                    )
            return {"ok": True, "columns": columns, "rows": encoded}
        finally:
            conn.close()


def _send(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main() -> None:
    """Serve requests from stdin until it closes."""
    # The protocol owns the original stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    warnings.simplefilter("ignore")

    # Import up front so that start-up cost is paid before "ready".
    import fakesnow  # noqa: F401
    import snowflake.connector  # noqa: F401

    _send(
        out,
        {
            "ready": True,
            "fakesnow": _version("fakesnow"),
            "connector": _version("snowflake-connector-python"),
            "python": sys.version.split()[0],
        },
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            response = handle(json.loads(line))
        except Exception as exc:
            response = _error("worker", exc)
        _send(out, response)


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
