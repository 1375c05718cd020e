"""Tests of the GoogleSQL (zetasql) test engine: loading, decoding, options, errors, cache."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.engines import TableData
from tests.engines.zetasql_engine import (
    CachedWasmClient,
    EngineError,
    ZetaSQLEngine,
    cache_path,
    get_client,
)

pytestmark = pytest.mark.engine

UTC = dt.UTC
NY = "America/New_York"


@pytest.fixture(scope="module")
def engine() -> ZetaSQLEngine:
    """The UTC engine (the wasm instance behind it is the process-wide singleton)."""
    return ZetaSQLEngine()


ALL_TYPES = TableData(
    columns=[
        ("i", "int64"),
        ("f", "float64"),
        ("s", "string"),
        ("b", "bool"),
        ("d", "date"),
        ("ts", "timestamp"),
        ("n", "decimal(18,3)"),
        ("bn", "decimal(38,12)"),
        ("wide", "decimal(30,0)"),
    ],
    rows=[
        (
            -(2**63),
            -1.5,
            "héllo",
            True,
            dt.date(1969, 12, 31),
            dt.datetime(1969, 12, 31, 23, 59, 59, 999999),  # naive = UTC, before the epoch
            Decimal("-123456789012345.678"),
            Decimal("-12345678901234567890123456.123456789012"),
            -(10**29),
        ),
        (
            2**63 - 1,
            1e300,
            "",
            False,
            dt.date(2024, 2, 29),
            # 2024-03-10 01:30 in New York (UTC-5) = 06:30 UTC
            dt.datetime(2024, 3, 10, 1, 30, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            Decimal("0.001"),
            Decimal("1E-12"),
            Decimal("1E+29"),
        ),
        (None, None, None, None, None, None, None, None, None),
    ],
)


def test_round_trip_of_every_type_and_nulls(engine: ZetaSQLEngine) -> None:
    result = engine.run("SELECT * FROM t", {"t": ALL_TYPES})
    assert result.columns == ["i", "f", "s", "b", "d", "ts", "n", "bn", "wide"]
    assert result.rows == [
        (
            -(2**63),
            -1.5,
            "héllo",
            True,
            dt.date(1969, 12, 31),
            dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            Decimal("-123456789012345.678"),
            Decimal("-12345678901234567890123456.123456789012"),
            Decimal("-100000000000000000000000000000"),
        ),
        (
            2**63 - 1,
            1e300,
            "",
            False,
            dt.date(2024, 2, 29),
            dt.datetime(2024, 3, 10, 6, 30, 0, 1, tzinfo=UTC),
            Decimal("0.001"),
            Decimal("1E-12"),
            Decimal("100000000000000000000000000000"),
        ),
        (None, None, None, None, None, None, None, None, None),
    ]
    # Decimals come back without trailing zeros and never in exponent form for integers.
    assert [str(r[6]) for r in result.rows[:2]] == ["-123456789012345.678", "0.001"]
    assert str(result.rows[1][8]) == "100000000000000000000000000000"
    assert all(r[5] is None or r[5].tzinfo == UTC for r in result.rows)


def test_engine_sees_the_loaded_values_with_bigquery_types(engine: ZetaSQLEngine) -> None:
    """Inspect values inside the engine, so symmetric encode/decode bugs cannot cancel out."""
    sql = """
        SELECT UNIX_MICROS(ts), UNIX_DATE(d), CAST(n AS STRING), CAST(bn AS STRING),
               FORMAT_TIMESTAMP('%F %T', ts, 'UTC'), LENGTH(s), i IS NULL
        FROM t ORDER BY i NULLS LAST
    """
    assert engine.run(sql, {"t": ALL_TYPES}).rows == [
        (
            -1,
            -1,
            "-123456789012345.678",
            "-12345678901234567890123456.123456789012",
            "1969-12-31 23:59:59",
            5,
            False,
        ),
        (
            1710052200000001,
            19782,
            "0.001",
            "0.000000000001",
            "2024-03-10 06:30:00",
            0,
            False,
        ),
        (None, None, None, None, None, None, True),
    ]
    # decimal(18,3) loads as NUMERIC (max ~1e29: this overflows); decimal(38,12) and
    # decimal(30,0) (beyond NUMERIC's range, see the round trip) as BIGNUMERIC.
    with pytest.raises(EngineError, match="] numeric overflow"):
        engine.run("SELECT n * NUMERIC '1e20' FROM t WHERE i < 0", {"t": ALL_TYPES})
    bn = engine.run("SELECT bn * BIGNUMERIC '1e10' FROM t WHERE i < 0", {"t": ALL_TYPES})
    assert bn.rows == [(Decimal("-123456789012345678901234561234567890.12"),)]


def test_result_values_are_decoded_by_kind(engine: ZetaSQLEngine) -> None:
    row = engine.run(
        """SELECT DATETIME '2024-02-29 23:59:58.123456' AS dtm, TIME '12:34:56.789' AS tm,
                  NUMERIC '-1.50' AS num, BIGNUMERIC '1e-38' AS big, [1, NULL] AS arr,
                  STRUCT(1 AS a, 'x' AS b) AS st, CAST(NULL AS TIMESTAMP) AS nul""",
        {},
    ).rows[0]
    assert row == (
        dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
        dt.time(12, 34, 56, 789000),
        Decimal("-1.5"),
        Decimal("1E-38"),
        [1, None],
        (1, "x"),
        None,
    )
    assert row[0].tzinfo is None


def test_large_payload_round_trips(engine: ZetaSQLEngine) -> None:
    """Requests and responses of megabytes are copied whole (the harness's bulk copy)."""
    big = "".join(chr(0x41 + i % 26) for i in range(2_000_000)) + "é"
    result = engine.run("SELECT s, LENGTH(s) FROM t", {"t": TableData([("s", "string")], [(big,)])})
    assert result.rows == [(big, 2_000_001)]


def test_dotted_table_name_is_one_backticked_identifier(engine: ZetaSQLEngine) -> None:
    tables = {
        "proj.ds.t": TableData([("a", "int64")], [(1,), (2,)]),
        "spine": TableData([("a", "int64")], [(2,)]),
    }
    sql = "SELECT t.a FROM `proj.ds.t` AS t JOIN spine USING (a)"
    assert engine.run(sql, tables).rows == [(2,)]
    with pytest.raises(EngineError, match="Table not found"):
        engine.run("SELECT a FROM `proj`.`ds`.`t`", tables)


def test_qualify_is_reserved(engine: ZetaSQLEngine) -> None:
    t = TableData([("k", "int64"), ("v", "int64")], [(1, 10), (1, 30), (2, 20), (2, 5)])
    # Unreserved, QUALIFY would need a WHERE, GROUP BY or HAVING clause beside it.
    sql = "SELECT k, v FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) = 1"
    assert sorted(engine.run(sql, {"t": t}).rows) == [(1, 30), (2, 20)]
    with pytest.raises(EngineError, match="Unexpected keyword QUALIFY"):
        engine.run("SELECT k AS qualify FROM t", {"t": t})


def test_external_product_mode(engine: ZetaSQLEngine) -> None:
    """BigQuery's (external) type system: no INT32, UINT64 or FLOAT (32-bit) types."""
    for internal_type in ("INT32", "UINT64", "FLOAT"):
        with pytest.raises(EngineError, match=f"Type not found: {internal_type}"):
            engine.run(f"SELECT CAST(1 AS {internal_type})", {})


def test_unix_micros_and_timestamp_of_date(engine: ZetaSQLEngine) -> None:
    row = engine.run(
        """SELECT UNIX_MICROS(TIMESTAMP '1969-12-31 23:59:59.999999+00'),
                  UNIX_MICROS(TIMESTAMP '2024-01-01 00:00:00+00'),
                  TIMESTAMP(DATE '2024-01-01')""",
        {},
    ).rows[0]
    assert row == (-1, 1704067200000000, dt.datetime(2024, 1, 1, tzinfo=UTC))


EVENTS = TableData(
    [("k", "int64"), ("ts", "timestamp"), ("x", "float64")],
    [
        (1, dt.datetime(2024, 1, 1), 1.0),
        (1, dt.datetime(2024, 1, 2), None),
        (1, dt.datetime(2024, 1, 3), 3.0),
        (1, dt.datetime(2024, 1, 4), None),
        (2, dt.datetime(2024, 1, 1), None),
    ],
)


def test_last_value_ignore_nulls(engine: ZetaSQLEngine) -> None:
    sql = """SELECT k, LAST_VALUE(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS lv
             FROM ev ORDER BY k, ts"""
    result = engine.run(sql, {"ev": EVENTS})
    assert result.columns == ["k", "lv"]
    assert result.rows == [(1, 1.0), (1, 1.0), (1, 3.0), (1, 3.0), (2, None)]


def test_struct_in_last_value(engine: ZetaSQLEngine) -> None:
    sql = """
        SELECT lv, lv.x AS lv_x, lv.ts AS lv_ts FROM (
          SELECT ts, LAST_VALUE(IF(x IS NULL, NULL, STRUCT(x AS x, ts AS ts)) IGNORE NULLS)
                       OVER (PARTITION BY k ORDER BY ts) AS lv
          FROM ev WHERE k = 1
        ) ORDER BY ts"""
    day = [dt.datetime(2024, 1, d, tzinfo=UTC) for d in (1, 3)]
    assert engine.run(sql, {"ev": EVENTS}).rows == [
        ((1.0, day[0]), 1.0, day[0]),
        ((1.0, day[0]), 1.0, day[0]),
        ((3.0, day[1]), 3.0, day[1]),
        ((3.0, day[1]), 3.0, day[1]),
    ]


def test_googlesql_semantics_not_duckdb(engine: ZetaSQLEngine) -> None:
    """FLOAT64 -> INT64 rounds halves away from zero, NULLs sort first ascending: not DuckDB's."""
    f = {"f": TableData([("x", "float64")], [(2.5,), (-2.5,), (3.5,)])}
    cast = "SELECT CAST(x AS INT64) FROM f"
    assert engine.run(cast, f).rows == [(3,), (-3,), (4,)]
    assert engine.run("SELECT 7 / 2, CAST(2.5 AS INT64)", {}).rows == [(3.5, 3)]
    nulls = "SELECT x FROM UNNEST([2, NULL, 1]) AS x ORDER BY x"
    assert engine.run(nulls, {}).rows == [(None,), (1,), (2,)]
    assert engine.run(nulls + " DESC", {}).rows == [(2,), (1,), (None,)]
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE f AS SELECT * FROM (VALUES (2.5::DOUBLE), (-2.5), (3.5)) t(x)")
    assert con.execute("SELECT CAST(x AS BIGINT) FROM f").fetchall() == [(2,), (-2,), (4,)]
    duck_nulls = con.execute("SELECT x FROM unnest([2, NULL, 1]) t(x) ORDER BY x").fetchall()
    assert duck_nulls == [(1,), (2,), (None,)]


def test_anonymous_columns_have_empty_names(engine: ZetaSQLEngine) -> None:
    assert engine.run("SELECT 1, 2 AS two", {}).columns == ["", "two"]


def test_engine_errors_raise(engine: ZetaSQLEngine) -> None:
    with pytest.raises(EngineError, match="Unrecognized name: nope") as analysis:
        engine.run("SELECT\n  nope\nFROM t", {"t": TableData([("a", "int64")], [(1,)])})
    assert analysis.value.code == "INVALID_ARGUMENT"
    assert "^" in str(analysis.value)  # the caret under the error position is kept
    t = TableData([("a", "int64")], [(1,), (0,)])
    with pytest.raises(EngineError, match="division by zero") as runtime:
        engine.run("SELECT 1 / a FROM t", {"t": t})  # row 1 is fine: no partial result
    assert runtime.value.code == "OUT_OF_RANGE"
    with pytest.raises(EngineError, match="overflow"):
        engine.run("SELECT 9223372036854775807 + a FROM t", {"t": t})
    with pytest.raises(EngineError, match="MergeStatement"):
        engine.run("MERGE t USING t AS s ON TRUE WHEN MATCHED THEN DELETE", {"t": t})
    # The instance survives errors.
    assert engine.run("SELECT 1 / a FROM t WHERE a = 1", {"t": t}).rows == [(1.0,)]


def test_bad_input_is_rejected_before_the_engine(engine: ZetaSQLEngine) -> None:
    with pytest.raises(ValueError, match="dtype"):
        engine.run("SELECT 1", {"t": TableData([("a", "uint8")], [])})
    with pytest.raises(ValueError, match="decimal places"):
        engine.run(
            "SELECT 1", {"t": TableData([("a", "decimal(10,2)")], [(Decimal("0.1234567891"),)])}
        )
    for dtype, value in [("int64", True), ("string", 1), ("date", dt.datetime(2024, 1, 1))]:
        with pytest.raises(TypeError):
            engine.run("SELECT 1", {"t": TableData([("a", dtype)], [(value,)])})


def test_default_time_zone_is_wired(engine: ZetaSQLEngine) -> None:
    ny = ZetaSQLEngine(default_time_zone=NY)
    t = {"t": TableData([("ts", "timestamp")], [(dt.datetime(2024, 1, 1, 12),)])}
    zoneless = """SELECT TIMESTAMP(DATETIME '2024-01-01 00:00:00'), TIMESTAMP(DATE '2024-07-01'),
                         DATE(ts), EXTRACT(HOUR FROM ts) FROM t"""
    assert engine.run(zoneless, t).rows == [
        (
            dt.datetime(2024, 1, 1, tzinfo=UTC),
            dt.datetime(2024, 7, 1, tzinfo=UTC),
            dt.date(2024, 1, 1),
            12,
        )
    ]
    assert ny.run(zoneless, t).rows == [
        (
            dt.datetime(2024, 1, 1, 5, tzinfo=UTC),
            dt.datetime(2024, 7, 1, 4, tzinfo=UTC),
            dt.date(2024, 1, 1),
            7,
        )
    ]
    explicit = """SELECT TIMESTAMP(DATETIME '2024-01-01 00:00:00', 'UTC'),
                         TIMESTAMP(DATE '2024-07-01', 'UTC'), DATE(ts, 'UTC'),
                         EXTRACT(HOUR FROM ts AT TIME ZONE 'UTC'), ts, UNIX_MICROS(ts) FROM t"""
    assert ny.run(explicit, t).rows == engine.run(explicit, t).rows
    with pytest.raises(EngineError, match="time zone"):
        ZetaSQLEngine(default_time_zone="Mars/Olympus").run("SELECT 1", {})


def test_cache_location_and_reuse(
    engine: ZetaSQLEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.run("SELECT 1", {})
    client = get_client()
    assert get_client() is client  # one instance per process
    assert client.cache_file.is_file()  # written (cold start) or read (warm start)
    assert not [p for p in client.cache_file.parent.iterdir() if p.name.endswith(".tmp")]
    # A second instance deserializes the cache instead of compiling, and works on its own.
    from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls_pb2
    from zetasql.wasi._pb2.zetasql.proto import options_pb2

    other = CachedWasmClient(cache_file=client.cache_file)
    assert not other.compiled
    lang = other.call_grpc_func(
        "ZetaSqlLocalService_GetLanguageOptions",
        ls_pb2.LanguageOptionsRequest(maximum_features=True),
        options_pb2.LanguageOptionsProto,
    )
    assert len(lang.enabled_language_features) > 100

    monkeypatch.setenv("FSQL_ZETASQL_CACHE", str(tmp_path))
    path = cache_path()
    assert path.parent == tmp_path
    assert "zetasql-0.1.5" in path.name and "wasmtime-" in path.name
    monkeypatch.delenv("FSQL_ZETASQL_CACHE")
    assert cache_path().parent == Path(os.path.expanduser("~/.cache/fsql/zetasql"))


def test_cache_write_is_atomic(tmp_path: Path) -> None:
    client = CachedWasmClient.__new__(CachedWasmClient)  # only _write_cache is exercised
    client.cache_file = tmp_path / "sub" / "m.cwasm"
    client._write_cache(b"first")
    client._write_cache(bytearray(b"second"))
    assert client.cache_file.read_bytes() == b"second"
    assert [p.name for p in client.cache_file.parent.iterdir()] == ["m.cwasm"]
