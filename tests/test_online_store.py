"""Online stores (SQLite, a real redis-server): the typed key encoding, exact value round
trips, and writes that never replace a newer row with an older one, in any arrival order."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsql.dtypes import DType
from fsql.errors import DefinitionError, ExecutionError
from fsql.online.keys import encode_key
from fsql.online.stores import OnlineRow, OnlineStore, ViewState, open_store
from fsql.online.values import decode_values, encode_values
from tests.engines.redis_server import RedisServer

INT, STR = DType("int64"), DType("string")


def test_keys_that_concatenate_alike_are_distinct() -> None:
    assert encode_key((1, 23), (INT, INT), where="k") != encode_key((12, 3), (INT, INT), where="k")
    assert encode_key(("ab", "c"), (STR, STR), where="k") != encode_key(
        ("a", "bc"), (STR, STR), where="k")
    assert encode_key((1,), (INT,), where="k") != encode_key(("1",), (STR,), where="k")
    assert encode_key(("a|b", ""), (STR, STR), where="k") != encode_key(
        ("a", "|b"), (STR, STR), where="k")


def test_decimal_keys_equal_as_numbers_share_an_encoding() -> None:
    dec = DType("decimal", 10, 2)
    assert encode_key((decimal.Decimal("1.50"),), (dec,), where="k") == encode_key(
        (decimal.Decimal("1.5"),), (dec,), where="k")


@pytest.mark.parametrize("value, dtype", [
    (True, INT), ("1", INT), (1.0, INT), (None, INT), (1, STR),
    (dt.datetime(2024, 1, 1), DType("date")),
])
def test_a_wrongly_typed_key_names_the_part_and_the_type(value: Any, dtype: DType) -> None:
    with pytest.raises(DefinitionError, match=r"entity row 1, key part 1"):
        encode_key((value,), (dtype,), where="entity row 1")


_PARTS = st.one_of(
    st.tuples(st.just("int64"), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just("string"), st.text(max_size=6)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("date"), st.dates()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=3), st.lists(_PARTS, min_size=1, max_size=3))
def test_key_encoding_is_injective(a: list[tuple[str, Any]], b: list[tuple[str, Any]]) -> None:
    def enc(parts: list[tuple[str, Any]]) -> bytes:
        return encode_key([v for _, v in parts], [DType(t) for t, _ in parts], where="k")

    same = [(t, v) for t, v in a] == [(t, v) for t, v in b]
    assert (enc(a) == enc(b)) == same


def test_values_round_trip_exactly() -> None:
    dtypes = [DType("float64")] * 5 + [DType("decimal", 38, 9), DType("timestamp"),
                                       DType("date"), DType("int64"), DType("string"),
                                       DType("bool")]
    values = [math.nan, math.inf, -math.inf, -0.0, 0.1 + 0.2, decimal.Decimal("-12.345000001"),
              dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
              dt.date(1969, 12, 31), -(2**63), "größe \"x\"|", None]
    back = decode_values(encode_values(values, dtypes), dtypes)
    assert math.isnan(back[0]) and back[1:3] == [math.inf, -math.inf]
    assert math.copysign(1, back[3]) == -1 and back[4] == 0.1 + 0.2
    assert back[5:] == values[5:]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "sqlite":
        opened = open_store("sqlite:///online.db", root=tmp_path)
    else:
        server = request.getfixturevalue("redis_server")
        opened = open_store(server.url, root=tmp_path)
        opened.clear("v")
    yield opened
    opened.close()


def _row(key: int, ts: int, created: int | None, payload: str = "") -> OnlineRow:
    return OnlineRow(encode_key((key,), (INT,), where="k"), ts, created, payload or f"{ts}")


def test_an_older_row_never_replaces_a_newer_one(store: OnlineStore) -> None:
    assert store.write("v", [_row(1, 10, None, "new")]) == 1
    assert store.write("v", [_row(1, 5, 99, "old")]) == 0
    assert store.write("v", [_row(1, 10, None, "same time, NULL created")]) == 0
    (stored,) = store.read("v", [_row(1, 0, None).key])
    assert stored is not None and stored.payload == "new"
    assert store.write("v", [_row(1, 10, 3, "same time, created later")]) == 1
    assert store.write("v", [_row(1, 10, 2, "created earlier")]) == 0
    (stored,) = store.read("v", [_row(1, 0, None).key])
    assert stored == _row(1, 10, 3, "same time, created later")


def test_a_restating_sync_replaces_a_tied_row_with_other_values(store: OnlineStore) -> None:
    """A sync of a later run: an aggregation's windows moved on without a new event, so its
    row has the same times and other values; it replaces the stored row, an equal one does
    not count as written, and an older row still never wins."""
    assert store.write("v", [_row(1, 10, 3, "window full"), _row(2, 10, None, "b")]) == 2
    assert store.write("v", [_row(1, 10, 3, "window empty")]) == 0  # a push: the first stays
    assert store.write("v", [_row(1, 10, 3, "window empty"), _row(2, 10, None, "b")],
                       restate=True) == 1
    assert store.write("v", [_row(1, 9, 3, "older")], restate=True) == 0
    assert [r.payload if r else None for r in store.read("v", [_row(1, 0, None).key])] == \
        ["window empty"]
    assert store.write("v", [_row(2, 10, None, "b2")], restate=True) == 1  # the single-row path


def test_reads_keep_the_order_and_mark_absent_keys(store: OnlineStore) -> None:
    store.write("v", [_row(k, 100 + k, None) for k in range(5)])
    keys = [_row(k, 0, None).key for k in (3, 9, 0, 3)]
    assert [r.feature_ts if r else None for r in store.read("v", keys)] == [103, None, 100, 103]
    assert sorted(store.keys("v")) == sorted(_row(k, 0, None).key for k in range(5))


def test_delete_spares_rows_newer_than_the_bound(store: OnlineStore) -> None:
    store.write("v", [_row(1, 10, None), _row(2, 20, None)])
    assert store.delete("v", [_row(1, 0, None).key, _row(2, 0, None).key], not_after=15) == 1
    assert [r is None for r in store.read("v", [_row(1, 0, None).key, _row(2, 0, None).key])] \
        == [True, False]


def test_view_state_round_trips(store: OnlineStore) -> None:
    assert store.state("v") is None
    store.set_state("v", ViewState("abc123", 1_700_000_000_000_000))
    assert store.state("v") == ViewState("abc123", 1_700_000_000_000_000)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.none() | st.integers(0, 3)),
                min_size=1, max_size=30), st.randoms())
def test_any_arrival_order_converges_to_the_newest_row(
        tmp_path_factory: pytest.TempPathFactory, writes: list[tuple[int, int, int | None]],
        rnd: Any) -> None:
    rows = [_row(k, ts, c, f"{k}/{ts}/{c}") for k, ts, c in writes]
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    store = open_store("sqlite:///o.db", root=tmp_path_factory.mktemp("online"))
    for start in range(0, len(shuffled), 4):  # several syncs
        store.write("v", shuffled[start:start + 4])
    newest: dict[bytes, OnlineRow] = {}
    for row in rows:
        rank = (row.feature_ts, -1 if row.created_ts is None else row.created_ts)
        best = newest.get(row.key)
        if best is None or rank > (best.feature_ts,
                                   -1 if best.created_ts is None else best.created_ts):
            newest[row.key] = row
    keys = sorted(newest)
    got = store.read("v", keys)
    store.close()
    # Rows tied on (feature, created) time: the first to arrive stays; compare the times.
    assert [(r.feature_ts, r.created_ts) if r else None for r in got] == [
        (newest[k].feature_ts, newest[k].created_ts) for k in keys]


def test_the_redis_store_is_unreachable_after_the_server_stops(tmp_path: Path) -> None:
    server = RedisServer()
    store = open_store(server.url, root=tmp_path)
    store.write("v", [_row(1, 10, None)])
    server.stop()
    with pytest.raises(ExecutionError, match="Online store"):
        store.read("v", [_row(1, 0, None).key])
    server.close()


def test_an_unknown_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="unknown scheme 'dynamo'"):
        open_store("dynamo://table", root=tmp_path)


def test_batched_writes_keep_the_newest_row_per_key(store: OnlineStore) -> None:
    # More rows than one compare-and-set batch, each key written several times in one call
    # (in both orders of time), and older rows arriving after newer ones.
    import random

    rnd = random.Random(5)
    rows = [_row(k % 300, rnd.randint(0, 9), rnd.choice([None, 1, 2]), f"{n}")
            for n, k in enumerate(range(1_300))]
    rnd.shuffle(rows)
    written = store.write("v", rows[:700]) + store.write("v", rows[700:])
    newest: dict[bytes, tuple[int, int]] = {}
    for row in rows:
        rank = (row.feature_ts, -1 if row.created_ts is None else row.created_ts)
        newest[row.key] = max(newest.get(row.key, rank), rank)
    keys = sorted(newest)
    got = store.read("v", keys)
    assert [(r.feature_ts, -1 if r.created_ts is None else r.created_ts) if r else None
            for r in got] == [newest[k] for k in keys]
    assert len(newest) == 300 <= written < len(rows)
