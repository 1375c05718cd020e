"""The local DuckDB runner: one row per spine row in the spine's order, spine columns untouched,
results independent of time zones, atomic output files and a correct summary.

Expected rows come from the oracle (fsql.oracle.evaluate on the plan fsql builds for the same
request and the same rows), or are derived by hand where the test says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql import Entity, ExecutionError, FeatureView, Field, Repo, Source, oracle
from fsql.engines.runner import connect, run_to_file, run_training_set, training_set_sql
from fsql.plan.nodes import SpineRef

FEATURES = "user_stats:amount,user_stats:tier,user_stats:n_orders,market:index_value,daily:visits"
FEATURE_NAMES = ["amount", "tier", "n_orders", "index_value", "visits"]
SPINE_COLUMNS = ["user_id", "event_timestamp", "label"]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Source rows, keyed by the sources' own column names.
TXN_ROWS: list[dict[str, Any]] = [
    {"user_id": 1, "ts": _ts("2024-01-01T00:00:00"), "amount": 10.0, "tier": "a", "n_orders": 1},
    {"user_id": 1, "ts": _ts("2024-01-03T00:00:00"), "amount": 30.0, "tier": "", "n_orders": 3},
    {"user_id": 1, "ts": _ts("2024-01-05T00:00:00"), "amount": None, "tier": "c", "n_orders": 5},
    {"user_id": 2, "ts": _ts("2024-01-02T00:00:00"), "amount": 20.0, "tier": "b", "n_orders": 2},
    {"user_id": 3, "ts": _ts("2023-12-01T00:00:00"), "amount": 5.0, "tier": None, "n_orders": 9},
]
# A CSV with offsets: DuckDB reads it as TIMESTAMPTZ; the oracle gets the same instants.
MARKET_CSV = ("ts,index_value\n2024-01-01T09:00:00+09:00,1.5\n2024-01-02T23:00:00-01:00,2.5\n"
              "2024-01-05T00:00:00+00:00,\n")
MARKET_ROWS: list[dict[str, Any]] = [
    {"ts": datetime(2024, 1, 1, 0, 0, tzinfo=UTC), "index_value": 1.5},
    {"ts": datetime(2024, 1, 3, 0, 0, tzinfo=UTC), "index_value": 2.5},
    {"ts": datetime(2024, 1, 5, 0, 0, tzinfo=UTC), "index_value": None},
]
# DATE event times: midnight UTC of the day, whatever the session's zone.
DAILY_CSV = "user_id,day,visits\n1,2024-01-03,7\n2,2024-01-04,4\n"
DAILY_ROWS: list[dict[str, Any]] = [
    {"user_id": 1, "day": date(2024, 1, 3), "visits": 7},
    {"user_id": 2, "day": date(2024, 1, 4), "visits": 4},
]

# Deliberately not sorted by time or key; rows 1 and 2 are the same (key, time) with different
# labels; NULL key, NULL time, unknown key, a row outside the TTL, a row at an exact source time.
SPINE_ROWS: list[dict[str, Any]] = [
    {"user_id": 2, "event_timestamp": _ts("2024-01-04T00:00:00"), "label": 1},
    {"user_id": 1, "event_timestamp": _ts("2024-01-03T00:00:00"), "label": 0},
    {"user_id": 1, "event_timestamp": _ts("2024-01-03T00:00:00"), "label": 1},
    {"user_id": 3, "event_timestamp": _ts("2024-01-02T00:00:00"), "label": 0},
    {"user_id": 1, "event_timestamp": _ts("2024-01-06T12:30:00.000001"), "label": 1},
    {"user_id": 4, "event_timestamp": _ts("2024-01-02T00:00:00"), "label": 0},
    {"user_id": None, "event_timestamp": _ts("2024-01-02T00:00:00"), "label": 1},
    {"user_id": 1, "event_timestamp": None, "label": 0},
    {"user_id": 1, "event_timestamp": _ts("2023-12-31T23:59:59.999999"), "label": 1},
]
SPINE_SCHEMA = pa.schema([("user_id", pa.int64()), ("event_timestamp", pa.timestamp("us")),
                          ("label", pa.int64())])


@dataclass
class Setup:
    """A feature repository on disk with three file sources, and the oracle's view of it."""

    repo: Repo
    root: Path

    def expected(self, spine_rows: Sequence[Mapping[str, Any]],
                 features: str = FEATURES) -> list[dict[str, Any]]:
        plan = self.repo.plan(features, SpineRef("table", "spine"))
        sources = {"txn_src": TXN_ROWS, "market_src": MARKET_ROWS, "daily_src": DAILY_ROWS}
        return oracle.evaluate(plan, spine_rows, sources)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(TXN_ROWS, schema=pa.schema([
        ("user_id", pa.int64()), ("ts", pa.timestamp("us")), ("amount", pa.float64()),
        ("tier", pa.string()), ("n_orders", pa.int64())])), root / "data" / "txn.parquet")
    (root / "data" / "market.csv").write_text(MARKET_CSV)
    (root / "data" / "daily.csv").write_text(DAILY_CSV)
    user = Entity("user", join_keys=["user_id"])
    user_stats = FeatureView(
        "user_stats", entities=[user], ttl="7d",
        source=Source("txn_src", path="data/txn.parquet", timestamp_field="ts"),
        features=[Field("amount", "float64"), Field("tier", "string"),
                  Field("n_orders", "int64", default=0)])
    market = FeatureView(
        "market", source=Source("market_src", path="data/market.csv", timestamp_field="ts"),
        features=[Field("index_value", "float64")])
    daily = FeatureView(
        "daily", entities=[user], ttl="1d",
        source=Source("daily_src", path="data/daily.csv", timestamp_field="day"),
        features=[Field("visits", "int64")])
    return Setup(Repo.from_objects([user_stats, market, daily], root=root), root)


def _spine_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [",".join(SPINE_COLUMNS)]
    for row in rows:
        ts = row["event_timestamp"]
        lines.append(",".join([
            "" if row["user_id"] is None else str(row["user_id"]),
            "" if ts is None else ts.isoformat(),
            str(row["label"]),
        ]))
    return "\n".join(lines) + "\n"


def _spine_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": pd.array([r["user_id"] for r in rows], dtype="Int64"),
        "event_timestamp": pd.Series([r["event_timestamp"] for r in rows],
                                     dtype="datetime64[us]"),
        "label": pd.array([r["label"] for r in rows], dtype="int64"),
    })


def _make_spine(kind: str, rows: Sequence[Mapping[str, Any]], folder: Path) -> Any:
    if kind == "csv":
        path = folder / "spine.csv"
        path.write_text(_spine_csv(rows))
        return path
    if kind == "parquet":
        path = folder / "spine.parquet"
        pq.write_table(pa.Table.from_pylist(list(rows), schema=SPINE_SCHEMA), path)
        return path
    return _spine_frame(rows)


@pytest.mark.parametrize("kind", ["csv", "parquet", "pandas"])
def test_rows_follow_the_spine_and_match_the_oracle(setup: Setup, tmp_path: Path,
                                                    kind: str) -> None:
    spine = _make_spine(kind, SPINE_ROWS, tmp_path)
    result = run_training_set(setup.repo, FEATURES, spine, arrow=True)
    assert result.column_names == SPINE_COLUMNS + FEATURE_NAMES
    assert result.to_pylist() == setup.expected(SPINE_ROWS)
    # Spine columns come back unchanged, in the spine's order (duplicates and NULLs kept).
    assert result.select(SPINE_COLUMNS).to_pylist() == SPINE_ROWS


def test_oracle_rows_agree_with_a_hand_derivation(setup: Setup) -> None:
    """Guards the fixture itself: a few values worked out by hand from the rows above."""
    rows = setup.expected(SPINE_ROWS)
    # user 1 at exactly 2024-01-03: the row at that instant is visible (inclusive cut).
    assert [rows[1][f] for f in FEATURE_NAMES] == [30.0, "", 3, 2.5, 7]
    # user 3's only row is 32 days old (TTL 7d): default 0 for n_orders, NULL otherwise.
    assert [rows[3][f] for f in ("amount", "tier", "n_orders")] == [None, None, 0]
    # NULL spine time: every view gives its default.
    assert [rows[7][f] for f in FEATURE_NAMES] == [None, None, 0, None, None]
    # The latest row holds amount NULL: no fallback to an older row.
    assert [rows[4][f] for f in ("amount", "tier", "n_orders")] == [None, "c", 5]


def test_parquet_spine_keeps_its_column_types(setup: Setup, tmp_path: Path) -> None:
    spine = _make_spine("parquet", SPINE_ROWS, tmp_path)
    result = run_training_set(setup.repo, FEATURES, spine, arrow=True)
    assert result.select(SPINE_COLUMNS).schema == pq.read_schema(spine)
    assert result.select(SPINE_COLUMNS).equals(pq.read_table(spine))


def test_pandas_spine_returns_a_dataframe_in_spine_order(setup: Setup) -> None:
    frame = _spine_frame(SPINE_ROWS)
    result = run_training_set(setup.repo, FEATURES, frame)
    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == SPINE_COLUMNS + FEATURE_NAMES
    assert list(result.index) == list(range(len(SPINE_ROWS)))
    assert result["label"].tolist() == frame["label"].tolist()
    assert result["user_id"].isna().tolist() == frame["user_id"].isna().tolist()
    assert result["event_timestamp"].tolist() == frame["event_timestamp"].tolist()
    expected = setup.expected(SPINE_ROWS)
    assert [None if pd.isna(v) else v for v in result["n_orders"]] == \
        [r["n_orders"] for r in expected]
    assert [None if pd.isna(v) else v for v in result["tier"]] == [r["tier"] for r in expected]


def test_arrow_spine_and_arrow_result(setup: Setup) -> None:
    spine = pa.Table.from_pylist(SPINE_ROWS, schema=SPINE_SCHEMA)
    result = run_training_set(setup.repo, FEATURES, spine, arrow=True)
    assert isinstance(result, pa.Table)
    assert result.num_rows == len(SPINE_ROWS)
    assert result.to_pylist() == setup.expected(SPINE_ROWS)


def test_spine_column_named_rowid_does_not_reorder_rows(setup: Setup) -> None:
    """A spine column called ``rowid`` used to hide DuckDB's rowid, which numbered the rows:
    the output then came back sorted by that column instead of in the spine's order."""
    rows = [{"rowid": rid, **row} for rid, row in zip("cab", SPINE_ROWS[:3], strict=True)]
    frame = pd.DataFrame({
        "rowid": [r["rowid"] for r in rows],
        "user_id": [r["user_id"] for r in rows],
        "event_timestamp": pd.Series([r["event_timestamp"] for r in rows],
                                     dtype="datetime64[us]"),
        "label": [r["label"] for r in rows],
    })
    result = run_training_set(setup.repo, "user_stats:n_orders", frame, arrow=True)
    assert result.column("rowid").to_pylist() == ["c", "a", "b"]
    assert result.to_pylist() == setup.expected(rows, "user_stats:n_orders")


def test_csv_offsets_give_the_same_features_as_utc(setup: Setup, tmp_path: Path) -> None:
    # The same instants written with offsets, in UTC with Z, and (as the oracle sees them).
    instants = [datetime(2024, 1, 3, 0, 0, tzinfo=UTC), datetime(2024, 1, 2, 23, 0, tzinfo=UTC),
                datetime(2024, 1, 4, 0, 0, tzinfo=UTC), datetime(2024, 1, 6, 1, 0, tzinfo=UTC)]
    offsets = ["2024-01-03T02:00:00+02:00", "2024-01-03T08:00:00+09:00",
               "2024-01-03T19:00:00-05:00", "2024-01-06T01:00:00+00:00"]
    keys = [1, 2, 2, 1]
    with_offsets = tmp_path / "offsets.csv"
    with_offsets.write_text("user_id,event_timestamp\n" + "".join(
        f"{k},{t}\n" for k, t in zip(keys, offsets, strict=True)))
    in_utc = tmp_path / "utc.csv"
    in_utc.write_text("user_id,event_timestamp\n" + "".join(
        f"{k},{t.strftime('%Y-%m-%dT%H:%M:%SZ')}\n" for k, t in zip(keys, instants, strict=True)))

    a = run_training_set(setup.repo, FEATURES, with_offsets, arrow=True)
    b = run_training_set(setup.repo, FEATURES, in_utc, arrow=True)
    assert a.select(FEATURE_NAMES).to_pylist() == b.select(FEATURE_NAMES).to_pylist()
    assert a.column("event_timestamp").to_pylist() == instants
    spine = [{"user_id": k, "event_timestamp": t} for k, t in zip(keys, instants, strict=True)]
    assert a.to_pylist() == setup.expected(spine)
    # By hand: 2024-01-03T02:00+02:00 is exactly user 1's row at 2024-01-03T00:00Z.
    assert a.column("amount").to_pylist()[0] == 30.0


def _instants(table: pa.Table) -> list[dict[str, Any]]:
    """Rows with every timestamp as UTC microseconds (the session zone only changes display)."""
    return [{k: oracle.to_micros(v) if isinstance(v, datetime) else v for k, v in row.items()}
            for row in table.to_pylist()]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_session_time_zone_cannot_change_the_result(setup: Setup, tmp_path: Path,
                                                    kind: str) -> None:
    spine = _make_spine(kind, SPINE_ROWS, tmp_path)
    tokyo = duckdb.connect()
    tokyo.execute("SET TimeZone = 'Asia/Tokyo'")
    sql, names = training_set_sql(setup.repo, FEATURES, tokyo, spine)
    assert tuple(FEATURE_NAMES) == names
    assert tokyo.execute("SELECT current_setting('TimeZone')").fetchall() == [("Asia/Tokyo",)]
    in_tokyo = tokyo.sql(sql).to_arrow_table()

    utc = connect()
    sql_utc, _ = training_set_sql(setup.repo, FEATURES, utc, spine)
    in_utc = utc.sql(sql_utc).to_arrow_table()
    assert _instants(in_tokyo) == _instants(in_utc)
    assert in_utc.to_pylist() == setup.expected(SPINE_ROWS)


@pytest.fixture
def tokyo_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_tz")
def test_tz_environment_variable_cannot_change_the_result(setup: Setup, tmp_path: Path) -> None:
    assert duckdb.connect().execute("SELECT current_setting('TimeZone')").fetchall() == \
        [("Asia/Tokyo",)], "the TZ variable should reach DuckDB's default session zone"
    spine = _make_spine("csv", SPINE_ROWS, tmp_path)
    result = run_training_set(setup.repo, FEATURES, spine, arrow=True)
    assert result.to_pylist() == setup.expected(SPINE_ROWS)
    # The spine contains a row at exactly the DATE source's midnight UTC (user 1 at
    # 2024-01-03): read as Tokyo midnight it would be 9 hours off and change `visits`.
    assert result.column("visits").to_pylist()[1] == 7


def _null_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {name: sum(row[name] is None for row in rows) for name in FEATURE_NAMES}


def test_run_to_file_parquet_writes_the_oracle_rows_and_counts_nulls(setup: Setup,
                                                                     tmp_path: Path) -> None:
    spine = _make_spine("parquet", SPINE_ROWS, tmp_path)
    out = tmp_path / "out" / "training.parquet"
    summary = run_to_file(setup.repo, FEATURES, spine, out)
    expected = setup.expected(SPINE_ROWS)
    assert pq.read_table(out).to_pylist() == expected
    assert summary.rows == len(SPINE_ROWS)
    assert summary.features == tuple(FEATURE_NAMES)
    assert summary.null_counts == _null_counts(expected)
    assert sorted(os.listdir(out.parent)) == ["training.parquet"]
    assert f"{len(SPINE_ROWS)} rows, {len(FEATURE_NAMES)} features" in summary.format()


@pytest.mark.parametrize("name", ["training.csv", "training.csv.gz"])
def test_run_to_file_csv_counts_empty_strings_as_values(setup: Setup, tmp_path: Path,
                                                        name: str) -> None:
    """An empty string is a value, not a NULL (the summary used to read it back as NULL)."""
    spine = _make_spine("csv", SPINE_ROWS, tmp_path)
    out = tmp_path / name
    summary = run_to_file(setup.repo, FEATURES, spine, out)
    expected = setup.expected(SPINE_ROWS)
    assert summary.null_counts == _null_counts(expected)
    assert [r["tier"] for r in expected].count("") == 2  # rows 1 and 2, by hand
    assert summary.rows == len(SPINE_ROWS)
    written = duckdb.connect().execute(
        "SELECT label, tier FROM read_csv(?, header = true, allow_quoted_nulls = false)",
        [str(out)]).fetchall()
    assert written == [(r["label"], r["tier"]) for r in expected]


def test_run_to_file_empty_spine(setup: Setup, tmp_path: Path) -> None:
    spine = tmp_path / "empty.parquet"
    pq.write_table(SPINE_SCHEMA.empty_table(), spine)
    summary = run_to_file(setup.repo, FEATURES, spine, tmp_path / "out.parquet")
    assert summary.rows == 0
    assert summary.null_counts == dict.fromkeys(FEATURE_NAMES, 0)
    assert pq.read_table(tmp_path / "out.parquet").column_names == SPINE_COLUMNS + FEATURE_NAMES


def _corrupt_source_repo(tmp_path: Path) -> Repo:
    """A CSV source whose last row cannot be read: DuckDB's sniffer (first 20,480 rows) accepts
    the file at plan time, and the query fails while it runs."""
    root = tmp_path / "corrupt"
    root.mkdir()
    lines = ["user_id,ts,amount"] + [f"{i % 5},2024-01-01T00:00:00,{i}.5" for i in range(30_000)]
    (root / "events.csv").write_text("\n".join([*lines, "1,2024-01-02T00:00:00,oops"]) + "\n")
    view = FeatureView("events", entities=[Entity("user", join_keys=["user_id"])],
                       source=Source("events", path="events.csv", timestamp_field="ts"),
                       features=[Field("amount", "float64")])
    return Repo.from_objects([view], root=root)


@pytest.mark.parametrize("existing", [True, False])
def test_run_to_file_failure_leaves_no_file_behind(tmp_path: Path, existing: bool) -> None:
    repo = _corrupt_source_repo(tmp_path)
    spine = _make_spine("parquet", SPINE_ROWS, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "training.parquet"
    if existing:
        out.write_bytes(b"previous result")
    with pytest.raises(ExecutionError, match="DuckDB failed to run the training-set query"):
        run_to_file(repo, "events:amount", spine, out)
    assert sorted(os.listdir(out_dir)) == (["training.parquet"] if existing else [])
    if existing:
        assert out.read_bytes() == b"previous result"


def test_weird_identifiers_in_a_parquet_source(tmp_path: Path) -> None:
    """Columns named like SQL keywords or holding spaces and quotes, a file name with a space
    and a quote, a feature renamed through field_mapping: DuckDB's local path quotes them."""
    root = tmp_path / "weird repo"
    root.mkdir()
    rows = [
        {"user id": 1, "order": _ts("2024-01-01T00:00:00"), "select": 1.5, 'say "hi"': "x"},
        {"user id": 1, "order": _ts("2024-01-02T00:00:00"), "select": 2.5, 'say "hi"': "y"},
        {"user id": 2, "order": _ts("2024-01-01T00:00:00"), "select": 9.5, 'say "hi"': None},
    ]
    pq.write_table(pa.Table.from_pylist(rows), root / "it's data.parquet")
    source = Source("weird", path="it's data.parquet", timestamp_field="order",
                    field_mapping={"select": "total", 'say "hi"': "greeting"})
    view = FeatureView("weird", entities=[Entity("customer", join_keys=["user id"])],
                       source=source, ttl=timedelta(days=2),
                       features=[Field("total", "float64"), Field("greeting", "string")])
    repo = Repo.from_objects([view], root=root)
    spine_rows: list[dict[str, Any]] = [
        {"user id": 1, "group": "g", "event_timestamp": _ts("2024-01-01T12:00:00")},
        {"user id": 2, "group": "h", "event_timestamp": _ts("2024-01-05T00:00:00")},
        {"user id": 1, "group": "i", "event_timestamp": _ts("2024-01-03T00:00:00")},
    ]
    spine = tmp_path / "spine.parquet"
    pq.write_table(pa.Table.from_pylist(spine_rows), spine)
    result = run_training_set(repo, "weird", spine, arrow=True)
    plan = repo.plan("weird", SpineRef("table", "spine"))
    assert result.to_pylist() == oracle.evaluate(plan, spine_rows, {"weird": rows})
    # By hand: user 1 sees 1.5 at noon on Jan 1, 2.5 on Jan 3; user 2's row is 4 days old.
    assert result.column("total").to_pylist() == [1.5, None, 2.5]
    assert result.column("greeting").to_pylist() == ["x", None, "y"]
