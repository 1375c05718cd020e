"""Tests of the fakesnow (Snowflake) test engine: loading, types, isolation, the ASOF rewrite."""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot

from tests.engines import TableData
from tests.engines.fakesnow_engine import (
    EngineError,
    FakesnowEngine,
    WorkerError,
    load_statements,
    snowflake_type,
    worker_pid,
)
from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow

UTC = dt.UTC
engine_test = pytest.mark.engine


@pytest.fixture(scope="module")
def engine() -> FakesnowEngine:
    return FakesnowEngine()


# --- the ASOF rewrite, on the tree (no engine) -------------------------------------------------


def test_rewrite_asof_moves_match_condition_into_on_and_makes_join_left() -> None:
    sql = (
        "SELECT s.k, f.v FROM spine AS s ASOF JOIN feats AS f "
        "MATCH_CONDITION (s.ts >= f.ts) ON s.k = f.k AND s.j = f.j"
    )
    assert rewrite_for_fakesnow(sql) == (
        "SELECT s.k, f.v FROM spine AS s ASOF LEFT JOIN feats AS f "
        "ON s.k = f.k AND s.j = f.j AND s.ts >= f.ts"
    )


def test_rewrite_asof_without_on_uses_match_condition_as_on() -> None:
    sql = "SELECT * FROM a ASOF JOIN b MATCH_CONDITION (a.t > b.t)"
    assert rewrite_for_fakesnow(sql) == "SELECT * FROM a ASOF LEFT JOIN b ON a.t > b.t"


def test_rewrite_asof_in_cte_and_twice() -> None:
    sql = (
        "WITH x AS (SELECT * FROM a ASOF JOIN b MATCH_CONDITION (a.t >= b.t) ON a.k = b.k) "
        "SELECT * FROM x ASOF JOIN c MATCH_CONDITION (x.t <= c.t) ON x.k = c.k"
    )
    assert rewrite_for_fakesnow(sql) == (
        "WITH x AS (SELECT * FROM a ASOF LEFT JOIN b ON a.k = b.k AND a.t >= b.t) "
        "SELECT * FROM x ASOF LEFT JOIN c ON x.k = c.k AND x.t <= c.t"
    )


def test_rewrite_keeps_or_in_on_parenthesised() -> None:
    sql = "SELECT * FROM a ASOF JOIN b MATCH_CONDITION (a.t >= b.t) ON a.k = b.k OR a.k2 = b.k"
    assert (
        rewrite_for_fakesnow(sql)
        == "SELECT * FROM a ASOF LEFT JOIN b ON (a.k = b.k OR a.k2 = b.k) AND a.t >= b.t"
    )


def test_rewrite_returns_sql_without_asof_join_unchanged() -> None:
    sql = "select  asof_ts,\n x FROM t LEFT JOIN u ON t.k = u.k  -- comment"
    assert rewrite_for_fakesnow(sql) is sql
    plain = "SELECT * FROM t QUALIFY ROW_NUMBER() OVER (ORDER BY ts) = 1"
    assert rewrite_for_fakesnow(plain) is plain


def test_rewrite_asof_using_is_refused() -> None:
    with pytest.raises(NotImplementedError):
        rewrite_for_fakesnow("SELECT * FROM a ASOF JOIN b MATCH_CONDITION (a.t >= b.t) USING (k)")


# --- fixture SQL (no engine) -------------------------------------------------------------------


def test_snowflake_types() -> None:
    assert [
        snowflake_type(t) for t in ("int64", "float64", "string", "bool", "date", "timestamp")
    ] == [
        "NUMBER(38,0)",
        "FLOAT",
        "VARCHAR",
        "BOOLEAN",
        "DATE",
        "TIMESTAMP_NTZ",
    ]
    assert snowflake_type("decimal(12, 3)") == "NUMBER(12,3)"
    with pytest.raises(ValueError):
        snowflake_type("int32")


def test_load_statements_create_typed_tables_and_switch_back() -> None:
    statements = load_statements(
        {
            "p.d.t": TableData([("user id", "int64"), ("ts", "timestamp")], [(1, None)]),
            "u": TableData([], []),
        }
    )
    assert statements[0] == 'CREATE DATABASE IF NOT EXISTS "P"'
    assert statements[1] == 'CREATE SCHEMA IF NOT EXISTS "P"."D"'
    assert statements[2] == 'CREATE TABLE "P"."D"."T" ("user id" NUMBER(38,0), "TS" TIMESTAMP_NTZ)'
    assert statements[3].startswith(
        'INSERT INTO "P"."D"."T" SELECT value[0]::VARCHAR::NUMBER(38,0), '
    )
    assert statements[-1] == 'USE SCHEMA "FSQL"."PUBLIC"'


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("int64", True),
        ("int64", 1.0),
        ("float64", "1"),
        ("date", dt.datetime(2024, 1, 1)),
        ("timestamp", dt.date(2024, 1, 1)),
        ("decimal(5,2)", 1.5),
        ("decimal(5,2)", Decimal("NaN")),
        ("bool", 1),
        ("string", 1),
    ],
)
def test_values_must_fit_their_dtype(dtype: str, value: object) -> None:
    with pytest.raises(TypeError):
        load_statements({"t": TableData([("c", dtype)], [(value,)])})


# --- the engine ----------------------------------------------------------------------------------

ALL_TYPES = TableData(
    [
        ("i", "int64"),
        ("f", "float64"),
        ("s", "string"),
        ("b", "bool"),
        ("d", "date"),
        ("ts", "timestamp"),
        ("n", "decimal(38,8)"),
        ("m", "decimal(10,2)"),
    ],
    [
        (
            1,
            0.30000000000000004,
            'it\'s \\ "q" $$ é\n',
            True,
            dt.date(2024, 2, 29),
            dt.datetime(2024, 1, 1, 1, 2, 3, 123456),
            Decimal("123456789012345678901234567890.12345678"),
            Decimal("-0.01"),
        ),
        (2, None, None, None, None, None, None, None),
        (
            -(2**63),
            float("-inf"),
            "",
            False,
            dt.date(1, 1, 1),
            dt.datetime(2024, 1, 1, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            Decimal("0"),
            Decimal("12345678.9"),
        ),
        (
            2**63 - 1,
            -0.0,
            "NULL",
            True,
            dt.date(9999, 12, 31),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
            None,
            7,
        ),
    ],
)


@engine_test
def test_round_trip_of_every_type_including_nulls(engine: FakesnowEngine) -> None:
    result = engine.run("SELECT * FROM t ORDER BY i", {"t": ALL_TYPES})
    assert result.columns == ["I", "F", "S", "B", "D", "TS", "N", "M"]
    assert result.rows == [
        (
            -(2**63),
            float("-inf"),
            "",
            False,
            dt.date(1, 1, 1),
            dt.datetime(2023, 12, 31, 23, 2, 3, tzinfo=UTC),
            Decimal("0E-8"),
            Decimal("12345678.90"),
        ),
        (
            1,
            0.30000000000000004,
            'it\'s \\ "q" $$ é\n',
            True,
            dt.date(2024, 2, 29),
            dt.datetime(2024, 1, 1, 1, 2, 3, 123456, tzinfo=UTC),
            Decimal("123456789012345678901234567890.12345678"),
            Decimal("-0.01"),
        ),
        (2, None, None, None, None, None, None, None),
        (
            2**63 - 1,
            -0.0,
            "NULL",
            True,
            dt.date(9999, 12, 31),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            None,
            Decimal("7.00"),
        ),
    ]
    by_type = [tuple(type(v) for v in row) for row in result.rows]
    assert by_type[1] == (int, float, str, bool, dt.date, dt.datetime, Decimal, Decimal)
    assert all(row[5].tzinfo is UTC for row in result.rows if row[5] is not None)
    assert str(result.rows[3][7]) == "7.00"  # the column's scale survives
    assert math.copysign(1.0, result.rows[3][1]) == -1.0


@engine_test
def test_nan_float_and_null_timestamps_next_to_values(engine: FakesnowEngine) -> None:
    table = TableData(
        [("k", "int64"), ("ts", "timestamp"), ("x", "float64")],
        [(1, None, float("nan")), (2, dt.datetime(1970, 1, 1), None), (3, None, 1.5)],
    )
    rows = engine.run("SELECT k, ts, x, ts IS NULL AS missing FROM t ORDER BY k", {"t": table}).rows
    assert [r[1] for r in rows] == [None, dt.datetime(1970, 1, 1, tzinfo=UTC), None]
    assert [r[3] for r in rows] == [True, False, True]
    assert math.isnan(rows[0][2]) and rows[1][2] is None


@engine_test
def test_dotted_and_plain_table_names(engine: FakesnowEngine) -> None:
    tables = {
        "proj.ds.a": TableData([("k", "int64")], [(1,), (2,)]),
        "ds.b": TableData([("k", "int64"), ("v", "string")], [(1, "x")]),
        "c": TableData([("k", "int64"), ("w", "string")], [(2, "y")]),
        "Order Lines": TableData([("select", "string")], [("q",)]),
    }
    sql = (
        'SELECT a.k, b.v, c.w, (SELECT "SELECT" FROM "Order Lines") AS q FROM proj.ds.a AS a '
        "LEFT JOIN ds.b AS b ON a.k = b.k LEFT JOIN c ON a.k = c.k ORDER BY a.k"
    )
    assert engine.run(sql, tables).rows == [(1, "x", None, "q"), (2, None, "y", "q")]
    # the session is back on the default schema: unqualified names resolve there
    assert engine.run("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()", tables).rows == [
        ("FSQL", "PUBLIC")
    ]


@engine_test
def test_each_run_starts_from_a_clean_state(engine: FakesnowEngine) -> None:
    assert engine.run(
        "SELECT COUNT(*) FROM x.y.t", {"x.y.t": TableData([("k", "int64")], [(1,), (2,)])}
    ).rows == [(2,)]
    assert engine.run(
        "SELECT k FROM x.y.t", {"x.y.t": TableData([("k", "int64")], [(7,)])}
    ).rows == [(7,)]
    with pytest.raises(EngineError, match="does not exist"):
        engine.run("SELECT * FROM x.y.t", {})
    with pytest.raises(EngineError, match="does not exist"):
        engine.run("SELECT * FROM t", {"u": TableData([("k", "int64")], [])})


@engine_test
def test_errors_raise_engine_error_with_the_engines_message(engine: FakesnowEngine) -> None:
    with pytest.raises(EngineError, match="NOPE does not exist") as missing:
        engine.run("SELECT * FROM nope", {})
    assert missing.value.stage == "query"
    with pytest.raises(EngineError, match="Unexpected token"):
        engine.run("SELEC 1", {})
    with pytest.raises(EngineError) as dup:  # fakesnow would shift values under duplicate names
        engine.run("SELECT 1 AS a, 2 AS a", {})
    assert "duplicate output column names" in str(dup.value)
    # the worker survives errors
    assert engine.run("SELECT 1 AS one", {}).rows == [(1,)]


@engine_test
def test_worker_runs_the_real_connector_4x_and_fakesnow_0_12_1(engine: FakesnowEngine) -> None:
    versions = engine.versions()
    assert versions["fakesnow"] == "0.12.1"
    assert versions["connector"].startswith("4.")


@engine_test
def test_timeout_kills_the_worker_and_the_next_run_restarts_it() -> None:
    with pytest.raises(WorkerError, match="no answer within"):
        FakesnowEngine(timeout=0.001).run("SELECT 1", {})
    assert worker_pid() is None
    assert FakesnowEngine().run("SELECT 2 AS two", {}).rows == [(2,)]


@engine_test
def test_worker_that_cannot_start_raises_worker_error(tmp_path: Path) -> None:
    with pytest.raises(WorkerError, match="not found"):
        FakesnowEngine(python=str(tmp_path / "missing-python")).run("SELECT 1", {})
    with pytest.raises(WorkerError, match="exited"):  # an interpreter that dies at once
        FakesnowEngine(python="/bin/false").run("SELECT 1", {})
    assert FakesnowEngine().run("SELECT 4 AS four", {}).rows == [(4,)]


@engine_test
def test_dead_worker_is_replaced(engine: FakesnowEngine) -> None:
    engine.run("SELECT 1", {})
    pid = worker_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while worker_pid() == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.run("SELECT 3 AS three", {}).rows == [(3,)]
    assert worker_pid() not in (None, pid)


# --- ASOF JOIN executed ----------------------------------------------------------------------

ASOF_TABLES = {
    "spine": TableData(
        [("k", "int64"), ("ts", "timestamp")],
        [
            (1, dt.datetime(2024, 1, 1, 6)),  # latest feature row <= ts is 2024-01-01 00:00
            (1, dt.datetime(2024, 1, 2)),  # a feature row at exactly ts matches (>=)
            (1, dt.datetime(2023, 12, 1)),  # before every row of key 1: unmatched
            (3, dt.datetime(2024, 1, 5)),  # key without features: unmatched
        ],
    ),
    "feats": TableData(
        [("k", "int64"), ("ts", "timestamp"), ("v", "float64")],
        [
            (1, dt.datetime(2023, 12, 31), 0.5),
            (1, dt.datetime(2024, 1, 1), 1.0),
            (1, dt.datetime(2024, 1, 2), 2.0),
            (1, dt.datetime(2024, 1, 3), 3.0),
            (2, dt.datetime(2023, 1, 1), 9.0),
        ],
    ),
}


@engine_test
def test_asof_join_pads_unmatched_rows_and_picks_latest_row_at_or_before(
    engine: FakesnowEngine,
) -> None:
    sql = (
        "SELECT s.k, s.ts, f.ts AS f_ts, f.v FROM spine AS s ASOF JOIN feats AS f "
        "MATCH_CONDITION (s.ts >= f.ts) ON s.k = f.k ORDER BY s.k, s.ts"
    )

    def ts(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
        return dt.datetime(year, month, day, hour, tzinfo=UTC)

    assert engine.run(sql, ASOF_TABLES).rows == [
        (1, ts(2023, 12, 1), None, None),
        (1, ts(2024, 1, 1, 6), ts(2024, 1, 1), 1.0),
        (1, ts(2024, 1, 2), ts(2024, 1, 2), 2.0),
        (3, ts(2024, 1, 5), None, None),
    ]


# --- Snowflake constructs fsql is likely to emit: fakesnow 0.12.1 runs them unchanged ----------

PROBE_TABLES = {
    "f": TableData(
        [("k", "int64"), ("ts", "timestamp"), ("v", "float64"), ("d", "date")],
        [
            (1, dt.datetime(2024, 1, 1), 1.0, dt.date(2024, 1, 1)),
            (1, dt.datetime(2024, 1, 2), None, dt.date(2024, 1, 2)),
            (1, None, 3.0, None),
            (2, dt.datetime(2024, 1, 1, 12, 0, 0, 1), 5.0, dt.date(1969, 12, 31)),
        ],
    )
}
T1, T2, T3 = (
    dt.datetime(2024, 1, 1, tzinfo=UTC),
    dt.datetime(2024, 1, 2, tzinfo=UTC),
    dt.datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=UTC),
)


@engine_test
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param(
            "SELECT k, ts, v FROM f QUALIFY ROW_NUMBER() OVER "
            "(PARTITION BY k ORDER BY ts DESC NULLS LAST) = 1 ORDER BY k",
            [(1, T2, None), (2, T3, 5.0)],
            id="qualify-row-number-desc-nulls-last",
        ),
        pytest.param(
            "SELECT k, ts FROM f QUALIFY ROW_NUMBER() OVER "
            "(PARTITION BY k ORDER BY ts DESC) = 1 ORDER BY k",
            [(1, None), (2, T3)],  # Snowflake: DESC puts NULLs first by default
            id="default-desc-nulls-first",
        ),
        pytest.param(
            "SELECT DATE_PART(EPOCH_MICROSECOND, ts) AS us, "
            "DATE_PART(EPOCH_MICROSECOND, d) AS dus FROM f WHERE k = 2",
            [(1704110400000001, -86400000000)],
            id="date-part-epoch-microsecond",
        ),
        pytest.param(
            "SELECT k, LAST_VALUE(v IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lv FROM f ORDER BY k, ts",
            [(1, 1.0), (1, 1.0), (1, 3.0), (2, 5.0)],
            id="last-value-ignore-nulls",
        ),
        pytest.param("SELECT * EXCLUDE (v, d) FROM f WHERE k = 2", [(2, T3)], id="star-exclude"),
        pytest.param(
            'SELECT "my col", "select" FROM (SELECT k AS "my col", v AS "select" FROM f) '
            'WHERE "my col" = 2',
            [(2, 5.0)],
            id="quoted-identifiers",
        ),
        pytest.param(
            "WITH a AS (SELECT k, v FROM f), b AS (SELECT k, MAX(v) AS m FROM a GROUP BY k) "
            "SELECT * FROM b ORDER BY k",
            [(1, 3.0), (2, 5.0)],
            id="cte",
        ),
        pytest.param(
            "SELECT k, ROW_NUMBER() OVER (ORDER BY k, ts) AS rn FROM f ORDER BY rn",
            [(1, 1), (1, 2), (1, 3), (2, 4)],
            id="row-number",
        ),
        pytest.param(
            "SELECT TO_TIMESTAMP_NTZ('2024-01-01 00:00:00.5') AS a, "
            "CAST('2024-01-01' AS TIMESTAMP_NTZ) AS b, TO_TIMESTAMP_NTZ(1704067200000001, 6) AS c, "
            "CAST(d AS TIMESTAMP_NTZ) AS e FROM f WHERE k = 2",
            [
                (
                    T1.replace(microsecond=500000),
                    T1,
                    T1.replace(microsecond=1),
                    dt.datetime(1969, 12, 31, tzinfo=UTC),
                )
            ],
            id="to-timestamp-ntz-and-cast",
        ),
        pytest.param(
            "SELECT CAST(DATE_PART(EPOCH_MICROSECOND, ts) AS BIGINT) + 3600000000 AS a, "
            "CAST(DATE_PART(EPOCH_MICROSECOND, ts) AS BIGINT) - 86400000000 * 2 AS b "
            "FROM f WHERE k = 2",
            [(1704114000000001, 1703937600000001)],
            id="bigint-microsecond-arithmetic",
        ),
        pytest.param(
            "SELECT k, CASE WHEN v > 2 THEN 'hi' WHEN v IS NULL THEN NULL ELSE 'lo' END AS c, "
            "COALESCE(v, -1) AS cv FROM f ORDER BY k, ts",
            [(1, "lo", 1.0), (1, None, -1.0), (1, "hi", 3.0), (2, "hi", 5.0)],
            id="case-coalesce",
        ),
    ],
)
def test_snowflake_constructs_run_unchanged(
    engine: FakesnowEngine, sql: str, expected: list[tuple[object, ...]]
) -> None:
    assert rewrite_for_fakesnow(sql) is sql
    assert engine.run(sql, PROBE_TABLES).rows == expected
    # The ASOF rewrite re-prints the whole statement with sqlglot: that must not change results.
    reprinted = sqlglot.parse_one(sql, read="snowflake").sql(dialect="snowflake")
    assert engine.run(reprinted, PROBE_TABLES).rows == expected
