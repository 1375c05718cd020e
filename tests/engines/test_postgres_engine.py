"""Tests of the PostgreSQL test engine: typed loading and Python values out, names, isolation
between runs, the session time zone, errors, and the server's life cycle."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import pytest

from tests.engines import TableData
from tests.engines.postgres_engine import (
    EngineError,
    PostgresEngine,
    postgres_type,
    quote_ident,
    server,
)

pytestmark = pytest.mark.engine
UTC = dt.UTC


def test_types_and_names() -> None:
    assert postgres_type("decimal(12, 2)") == "NUMERIC(12, 2)"
    assert postgres_type("float64") == "DOUBLE PRECISION"
    assert quote_ident("UserId") == '"userid"'  # as Postgres folds an unquoted name
    assert quote_ident("größe") == '"größe"' and quote_ident('a "b"') == '"a ""b"""'
    with pytest.raises(ValueError, match="unknown fsql dtype"):
        postgres_type("int32")


def test_values_round_trip_typed() -> None:
    """NaN and infinities, -0.0, exact decimals, timestamps (an offset converted to UTC; naive
    = UTC), dates and NULLs come back as the engine protocol says."""
    columns = [("i", "int64"), ("f", "float64"), ("d", "decimal(38,9)"), ("s", "string"),
               ("b", "bool"), ("t", "timestamp"), ("day", "date")]
    offset = dt.timezone(dt.timedelta(hours=5, minutes=30))
    rows = [
        (2**63 - 1, math.nan, Decimal("12345678901234567890.123456789"), "héllo\t\n\\😀", True,
         dt.datetime(2024, 1, 1, 10, 0, 0, 1, tzinfo=offset), dt.date(1969, 12, 31)),
        (-(2**63), math.inf, Decimal("-0.000000001"), "", False,
         dt.datetime(1900, 1, 1, 0, 0, 0, 999999), dt.date(2024, 2, 29)),
        (0, -math.inf, None, None, None, None, None),
        (None, -0.0, Decimal(0), "x", None, None, None),
    ]
    result = PostgresEngine().run("SELECT * FROM t ORDER BY i DESC NULLS LAST",
                                  {"t": TableData(columns, rows)})
    assert result.columns == [c for c, _ in columns]
    first, third, second, fourth = result.rows
    assert first[0] == 2**63 - 1 and math.isnan(first[1])
    assert first[2] == Decimal("12345678901234567890.123456789") and first[3] == "héllo\t\n\\😀"
    assert first[5] == dt.datetime(2024, 1, 1, 4, 30, 0, 1, tzinfo=UTC)
    assert first[6] == dt.date(1969, 12, 31)
    assert second[1] == math.inf and second[2] == Decimal("-0.000000001")
    assert second[5] == dt.datetime(1900, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)
    assert third[1] == -math.inf and third[2:] == (None, None, None, None, None)
    assert fourth[0] is None and fourth[1] == 0.0 and isinstance(fourth[2], Decimal)


def test_session_time_zone_does_not_move_timestamps() -> None:
    columns = [("t", "timestamp")]
    data = {"t": TableData(columns, [(dt.datetime(2024, 3, 10, 10, 0, tzinfo=UTC),)])}
    sql = "SELECT t, CAST(EXTRACT(EPOCH FROM t) * 1000000 AS BIGINT) AS us, " \
          "current_setting('TimeZone') AS zone FROM t"
    for zone in ("UTC", "America/Los_Angeles", "Asia/Kolkata"):
        (t, us, got_zone), = PostgresEngine(time_zone=zone).run(sql, data).rows
        assert got_zone == zone
        assert t == dt.datetime(2024, 3, 10, 10, 0, tzinfo=UTC) and us == 1710064800000000


def test_names_with_spaces_quotes_non_ascii_and_schemas() -> None:
    tables = {
        "features.merchants": TableData([("Merchant Id", "int64")], [(1,)]),
        "order data": TableData([("数量", "int64"), ('say "hi"', "string"), ("select", "bool")],
                                [(3, "x", True)]),
    }
    sql = ('SELECT m."Merchant Id", o."数量", o."say ""hi""", o."select" FROM features.merchants'
           ' AS m CROSS JOIN "order data" AS o')
    result = PostgresEngine().run(sql, tables)
    assert result.columns == ["Merchant Id", "数量", 'say "hi"', "select"]
    assert result.rows == [(1, 3, "x", True)]


def test_runs_are_isolated_and_errors_are_the_servers() -> None:
    engine = PostgresEngine()
    assert engine.run("SELECT COUNT(*) AS n FROM t", {"t": TableData([("a", "int64")],
                                                                     [(1,), (2,)])}).rows == [(2,)]
    with pytest.raises(EngineError, match='relation "t" does not exist'):
        engine.run("SELECT * FROM t", {})
    with pytest.raises(EngineError, match="invalid input syntax for type bigint"):
        engine.run("SELECT CAST('fsql: overflow' || CAST(1 AS TEXT) AS BIGINT)", {})
    # The connection survives a failed statement.
    assert engine.run("SELECT 1 AS one", {}).rows == [(1,)]


def test_the_database_collation_is_not_code_point_order() -> None:
    """The test database orders text by ICU en-US, so string ordering fsql leaves to the
    database would show in the goldens (golden/string_order)."""
    result = PostgresEngine().run(
        "SELECT 'a' < 'B' AS icu, 'a' COLLATE \"C\" < 'B' AS code_point", {})
    assert result.rows == [(True, False)]


def test_the_server_is_ours_and_local() -> None:
    s = server()
    if s.directory is None:
        pytest.skip("FSQL_POSTGRES_DSN names an existing server")
    assert "host=127.0.0.1" in s.dsn and Path(s.directory, "data", "PG_VERSION").exists()
    result = PostgresEngine().run("SELECT current_setting('listen_addresses') AS a, "
                                  "current_setting('server_version_num')::int AS v", {})
    (addresses, version), = result.rows
    assert addresses == "127.0.0.1" and version >= 150000
