"""The feature server over real HTTP, on SQLite and on a real redis-server: reads equal the
oracle's training-set rows (at T1, after the TTL, unknown keys), Feast's JSON shape, push with
the never-regress rule, bad requests answered 400 with one message, an unreachable store 503,
Prometheus metrics; OnlineServer's plan cache; ``fsql freshness`` and ``fsql serve``."""

from __future__ import annotations

import datetime as dt
import json
import math
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fsql import Repo
from fsql.cli import main
from fsql.errors import DefinitionError
from fsql.online.http import BackgroundServer
from fsql.online.server import OnlineServer
from fsql.online.stores import OnlineStore, open_store
from fsql.online.sync import micros
from tests.engines.redis_server import RedisServer
from tests.online_support import (
    DAY,
    T1,
    UNKNOWN,
    USERS,
    Data,
    expected,
    latest_rows,
    make_repo,
    states,
    sync_all,
)

KEYS = [*USERS, UNKNOWN]
FSQL = Path(sys.executable).with_name("fsql")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture
def data(tmp_path: Path) -> Data:
    return make_repo(tmp_path / "repo")


def _open(kind: str, data: Data, request: pytest.FixtureRequest) -> OnlineStore:
    if kind == "sqlite":
        return open_store("sqlite:///online.db", root=data.root)
    redis: RedisServer = request.getfixturevalue("redis_server")
    store = open_store(redis.url, root=data.root)
    for view in ("profile", "activity"):
        store.clear(view)
    return store


@pytest.fixture(params=["sqlite", "redis"])
def http(request: pytest.FixtureRequest, data: Data) -> Iterator[tuple[str, OnlineServer]]:
    store = _open(request.param, data, request)
    sync_all(store, data)
    server = OnlineServer(data.repo(), store)
    with BackgroundServer(server) as running:
        yield running.url, server
    server.close()


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=raw, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _read(url: str, at: dt.datetime, keys: list[int] = KEYS, **extra: Any) -> dict[str, Any]:
    body = {"feature_service": "svc", "entities": {
        "user_id": keys, "amount": [10.0 + k for k in keys]}, "at": at.isoformat(), **extra}
    status, answer = _post(url + "/get-online-features", body)
    assert status == 200, answer
    return answer


def _columns(answer: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    names = answer["metadata"]["feature_names"]
    return {n: r for n, r in zip(names, answer["results"], strict=True)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b) and type(a) is type(b)


def _assert_equals_oracle(answer: dict[str, Any], data: Data, keys: list[int],
                          at: dt.datetime) -> None:
    columns = _columns(answer)
    assert columns["user_id"]["values"] == keys
    for n, row in enumerate(expected(data, keys, at)):
        for name in ("age", "score", "country", "n_1d", "amount_1d", "amount_share"):
            got = columns[name]["values"][n]
            assert _same(got, row[name]), f"key {keys[n]} {name}: served {got!r}, " \
                                          f"training set {row[name]!r}"


def test_a_read_at_t1_equals_the_training_set_row(http: tuple[str, OnlineServer],
                                                  data: Data) -> None:
    url, _ = http
    answer = _read(url, T1)
    assert answer["metadata"]["feature_names"] == [
        "user_id", "amount", "age", "score", "country", "n_1d", "amount_1d", "amount_share"]
    _assert_equals_oracle(answer, data, KEYS, T1)
    columns = _columns(answer)
    unknown = KEYS.index(UNKNOWN)
    for name in ("age", "n_1d"):
        assert columns[name]["statuses"][unknown] == "NOT_FOUND"
        assert columns[name]["event_timestamps"][unknown] is None
    assert columns["n_1d"]["values"][unknown] == 0  # counts of nothing are 0
    assert columns["country"]["values"][unknown] == "??"  # the declared default
    assert columns["user_id"]["statuses"] == ["PRESENT"] * len(KEYS)
    # A present snapshot value carries its row's feature time; aggregations the as-of time.
    latest = {k[0]: ts for k, ts, _, _ in latest_rows(data, T1)["profile"]}
    statuses = columns["age"]["statuses"]
    present = [n for n, s in enumerate(statuses) if s == "PRESENT"]
    assert present and "OUTSIDE_TTL" in statuses
    for n in present:
        stamp = dt.datetime.fromisoformat(columns["age"]["event_timestamps"][n])
        assert stamp == latest[KEYS[n]]
    aggregated = [n for n, s in enumerate(columns["n_1d"]["statuses"]) if s == "PRESENT"]
    assert aggregated and {columns["n_1d"]["event_timestamps"][n] for n in aggregated} == {
        "2024-06-10T12:00:00Z"}


def test_after_the_ttl_values_are_outside_ttl_and_read_as_absent(
        http: tuple[str, OnlineServer], data: Data) -> None:
    url, _ = http
    later = T1 + 2 * DAY + dt.timedelta(seconds=1)
    answer = _read(url, later)
    _assert_equals_oracle(answer, data, KEYS, later)
    columns = _columns(answer)
    known = [n for n, k in enumerate(KEYS) if k in {r["user_id"] for r in data.profiles}]
    assert {columns["age"]["statuses"][n] for n in known} == {"OUTSIDE_TTL"}
    assert {columns["n_1d"]["values"][n] for n in known} == {0}


def test_features_by_name_and_full_names(http: tuple[str, OnlineServer], data: Data) -> None:
    url, _ = http
    status, answer = _post(url + "/get-online-features", {
        "features": ["profile:age", "activity:n_1d"], "entities": {"user_id": [5, 6]},
        "full_feature_names": True, "at": T1.isoformat()})
    assert status == 200, answer
    assert answer["metadata"]["feature_names"] == ["user_id", "profile__age", "activity__n_1d"]
    rows = expected(data, [5, 6], T1, ["profile:age", "activity:n_1d"], full_names=True)
    assert _columns(answer)["profile__age"]["values"] == [r["profile__age"] for r in rows]


@pytest.mark.parametrize("body, message", [
    ({"feature_service": "svcc", "entities": {"user_id": [1], "amount": [1.0]}}, "svc"),
    ({"features": ["profile:agee"], "entities": {"user_id": [1]}}, "age"),
    ({"features": ["nope:age"], "entities": {"user_id": [1]}}, "nope"),
    ({"features": ["profile:age"], "entities": {"customer_id": [1]}},
     "The entity rows lack join key column(s) ['user_id']"),
    ({"feature_service": "svc", "entities": {"user_id": [1]}},
     "reads ['amount'], which the entity rows lack"),
    ({"features": ["profile:age"], "entities": {"user_id": [1, 2], "x": [1]}},
     "different lengths"),
    ({"features": ["profile:age"], "entities": {"user_id": ["1"]}}, "int"),
    ({"features": ["profile:age"], "entities": {"user_id": [1.5]}}, "int"),
    ({"features": ["profile:age"], "entities": {"user_id": 1}}, "list"),
    ({"features": ["profile:age"]}, "entities"),
    ({"entities": {"user_id": [1]}}, "feature_service"),
    (b"{not json", "not JSON"),
])
def test_a_bad_request_gets_400_and_one_message(http: tuple[str, OnlineServer],
                                                body: Any, message: str) -> None:
    url, _ = http
    status, answer = _post(url + "/get-online-features", body)
    assert status == 400, answer
    assert set(answer) == {"error"} and message in answer["error"]
    assert "\n" not in answer["error"].strip()


def test_push_writes_newer_rows_only_and_a_sync_keeps_them(
        http: tuple[str, OnlineServer], data: Data) -> None:
    url, server = http
    newer = T1 + dt.timedelta(minutes=5)
    body = {"feature_view": "profile", "df": {
        "user_id": [1, 2], "ts": [newer.isoformat(), "2020-01-01T00:00:00Z"],
        "age": [77, 66], "score": [0.5, None], "country": ["NL", "NL"]}}
    status, answer = _post(url + "/push", body)
    assert status == 200, answer
    assert answer == {"view": "profile", "rows": 2, "written": 1}  # key 2: older, refused
    columns = _columns(_read(url, newer, [1, 2]))
    assert columns["age"]["values"][0] == 77 and columns["country"]["values"][0] == "NL"
    assert columns["age"]["event_timestamps"][0] == "2024-06-10T12:05:00Z"
    assert columns["age"]["values"][1] != 66
    # The next sync of the latest rows (older than the push) does not regress key 1...
    sync_all(server.store, data)
    assert _columns(_read(url, newer, [1]))["age"]["values"] == [77]
    # ...and push leaves the view's as-of time to syncs.
    state = server.store.state("profile")
    assert state is not None and state.as_of == micros(T1)


@pytest.mark.parametrize("body, message", [
    ({"feature_view": "activity", "df": {"user_id": [1]}}, "aggregation"),
    ({"feature_view": "profile", "df": {"user_id": [1], "ts": ["2024-06-10T00:00:00"]}},
     "lack columns ['age', 'score', 'country']"),
    ({"feature_view": "profile", "df": {
        "user_id": [1], "ts": ["yesterday"], "age": [1], "score": [1.0], "country": ["DE"]}},
     "'yesterday' is not a timestamp"),
    ({"feature_view": "profile", "df": {
        "user_id": [1], "ts": [0], "age": ["old"], "score": [1.0], "country": ["DE"]}},
     "column 'age'"),
    ({"feature_view": "profil", "df": {}}, "Did you mean 'profile'"),
    ({"feature_view": "profile", "to": "offline", "df": {}}, "online"),
])
def test_a_bad_push_gets_400_and_writes_nothing(http: tuple[str, OnlineServer],
                                                body: dict[str, Any], message: str) -> None:
    url, server = http
    before = sorted(server.store.keys("profile"))
    rows = server.store.read("profile", before)
    status, answer = _post(url + "/push", body)
    assert status == 400, answer
    assert message in answer["error"]
    assert server.store.read("profile", before) == rows


def test_metrics_count_requests_and_time_them(http: tuple[str, OnlineServer]) -> None:
    url, _ = http
    _read(url, T1, [1])
    _post(url + "/get-online-features", {"features": ["x:y"], "entities": {"user_id": [1]}})
    status, text = _get(url + "/metrics")
    assert status == 200
    assert 'fsql_requests_total{endpoint="get-online-features",status="200"} 1.0' in text
    assert 'fsql_requests_total{endpoint="get-online-features",status="400"} 1.0' in text
    assert 'fsql_request_seconds_bucket{endpoint="get-online-features",le="0.01"}' in text
    assert 'fsql_request_seconds_count{endpoint="get-online-features"} 2.0' in text
    status, text = _get(url + "/health")
    assert status == 200 and json.loads(text)["status"] == "ok"


def test_an_unreachable_store_gets_503_never_a_success(data: Data) -> None:
    redis = RedisServer()
    try:
        store = open_store(redis.url, root=data.root)
        sync_all(store, data)
        server = OnlineServer(data.repo(), store)
        with BackgroundServer(server) as running:
            assert _read(running.url, T1, [4])["results"][2]["statuses"] == ["PRESENT"]
            redis.stop()
            body = {"feature_service": "svc", "entities": {"user_id": [4], "amount": [1.0]}}
            status, answer = _post(running.url + "/get-online-features", body)
            assert status == 503, answer
            assert "Online store 'redis://" in answer["error"]
            assert _get(running.url + "/health")[0] == 503
            push = {"feature_view": "profile", "df": {"user_id": [1], "ts": [0], "age": [1],
                                                      "score": [1.0], "country": ["DE"]}}
            assert _post(running.url + "/push", push)[0] == 503
        server.close()
    finally:
        redis.close()


def test_a_view_never_synced_gets_503_naming_the_fix(data: Data) -> None:
    server = OnlineServer(data.repo(), open_store("sqlite:///empty.db", root=data.root))
    with BackgroundServer(server) as running:
        status, answer = _post(running.url + "/get-online-features", {
            "features": ["profile:age"], "entities": {"user_id": [1]}})
    server.close()
    assert status == 503 and "has no rows of feature view 'profile': sync it first" in \
        answer["error"]


def test_the_python_server_caches_plans_and_equals_repo_reads(data: Data) -> None:
    repo = data.repo()
    store = open_store("sqlite:///online.db", root=data.root)
    sync_all(store, data)
    store.close()
    with OnlineServer(repo) as server:  # the repository's default store
        first = server.prepared("svc", ["user_id", "amount"])
        assert server.prepared("svc", ["user_id", "amount"]) is first
        assert server.prepared("svc", ["amount", "user_id"]) is not first
        rows = [{"user_id": k, "amount": 10.0 + k} for k in KEYS]
        columnar = server.get_online_features(
            "svc", {"user_id": KEYS, "amount": [10.0 + k for k in KEYS]}, at=T1)
        by_rows = server.get_online_features("svc", rows, at=T1)
    via_repo = repo.get_online_features("svc", rows, at=T1)
    for response in (by_rows, via_repo):
        assert response.statuses == columnar.statuses
        assert response.timestamps == columnar.timestamps
        assert str(response.to_dict()) == str(columnar.to_dict())
    assert columnar.at == T1


def test_freshness_prints_each_view_and_exits_1_when_stale(
        data: Data, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store("sqlite:///online.db", root=data.root)
    now = dt.datetime.now(dt.UTC)
    rows = latest_rows(data, T1)
    from fsql.online.sync import sync_view

    for view, state in states(now - dt.timedelta(hours=1), data.repo()).items():
        sync_view(store, view, state, rows[view])
    assert main(["freshness", "--repo", str(data.root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("activity: as of ") and "age 1h" in out[0]
    assert out[0].endswith("(TTL 1d)  fresh")
    assert "(TTL 2d)  fresh" in out[1]
    for view, state in states(now - 3 * DAY, data.repo()).items():
        sync_view(store, view, state, rows[view], full_refresh=True)
    store.close()
    assert main(["freshness", "--repo", str(data.root), "--views", "profile"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("profile: as of") and "age 3d" in line and line.endswith("STALE")
    assert main(["freshness", "--repo", str(data.root), "--online", "sqlite:///other.db"]) == 1
    assert "activity: never synced  STALE" in capsys.readouterr().out
    assert main(["freshness", "--repo", str(data.root), "--views", "profil"]) == 2
    assert "Did you mean 'profile'" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_serve_command_answers_and_stops(data: Data) -> None:
    store = open_store("sqlite:///online.db", root=data.root)
    sync_all(store, data)
    store.close()
    port = _free_port()
    proc = subprocess.Popen([str(FSQL), "serve", "--repo", str(data.root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(url + "/health")[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read() if proc.stderr else "") from None
                time.sleep(0.1)
        answer = _read(url, T1, [5])
        _assert_equals_oracle(answer, data, [5], T1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode in (0, -15)


def test_a_redis_read_is_one_round_trip_for_every_view(redis_server: RedisServer,
                                                       data: Data) -> None:
    import redis

    store = open_store(redis_server.url, root=data.root)
    sync_all(store, data)
    server = OnlineServer(data.repo(), store)
    server.get_online_features("svc", {"user_id": [1], "amount": [1.0]}, at=T1)  # learns
    client = redis.Redis.from_url(redis_server.url)
    client.config_resetstat()
    server.get_online_features("svc", {"user_id": [4, 5, 999], "amount": [1.0, 2.0, 3.0]},
                               at=T1)
    stats = client.info("commandstats")
    client.close()
    server.close()
    calls = {name: s["calls"] for name, s in stats.items() if name != "cmdstat_info"}
    assert calls == {"cmdstat_config|resetstat": 1, "cmdstat_mget": 1} or \
        calls == {"cmdstat_mget": 1}


def test_a_view_synced_from_another_definition_is_refused(data: Data) -> None:
    from fsql.errors import StoreUnavailableError

    store = open_store("sqlite:///online.db", root=data.root)
    sync_all(store, data)
    server = OnlineServer(data.repo(), store, hashes={"profile": "profile-v2"})
    with pytest.raises(StoreUnavailableError, match="synced from another definition"):
        server.get_online_features(["profile:age"], {"user_id": [1]}, at=T1)
    server.close()
    # By default the definitions' own hashes: a changed TTL refuses the store's values.
    features = data.root / "features.py"
    features.write_text(features.read_text().replace('ttl="2d"', 'ttl="3d"'))
    server = OnlineServer(Repo.load(data.root), open_store("sqlite:///online.db",
                                                           root=data.root))
    with pytest.raises(DefinitionError, match="synced from another definition or cut"):
        server.get_online_features(["profile:age"], {"user_id": [1]}, at=T1)
    with BackgroundServer(server) as running:
        status, answer = _post(running.url + "/get-online-features", {
            "features": ["profile:age"], "entities": {"user_id": [1]}})
    assert status == 503 and "materialize" in answer["error"]
    assert server.get_online_features(["activity:n_1d"], {"user_id": [4]}, at=T1).statuses[
        "n_1d"] == ["PRESENT"]  # the unchanged view is still served
    server.close()


@pytest.mark.parametrize("value, dtype, expected", [
    ("2024-06-10T12:00:00Z", "timestamp", T1),
    ("2024-06-10T14:00:00+02:00", "timestamp", T1),
    ("2024-06-10T12:00:00", "timestamp", T1),  # naive: UTC
    (T1.timestamp(), "timestamp", T1),
    ("2024-06-10", "date", dt.date(2024, 6, 10)),
    ("1.50", "decimal(10,2)", __import__("decimal").Decimal("1.50")),
    (3, "float64", 3.0),
    ("-Infinity", "float64", -math.inf),
    (None, "int64", None),
])
def test_json_values_are_read_by_dtype(value: Any, dtype: str, expected: Any) -> None:
    from fsql.dtypes import parse_dtype
    from fsql.online.server import json_value

    got = json_value(value, parse_dtype(dtype, where="t"), where="t")
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value, dtype", [
    ("1", "int64"), (1.0, "int64"), (True, "int64"), (1, "string"), (1, "bool"),
    ("tomorrow", "timestamp"), ("2024-13-01", "date"), ("x", "decimal(10,2)"),
    ("nan", "float64"), (True, "float64"),
])
def test_json_values_of_the_wrong_type_are_refused(value: Any, dtype: str) -> None:
    from fsql.dtypes import parse_dtype
    from fsql.errors import DefinitionError
    from fsql.online.server import json_value

    with pytest.raises(DefinitionError, match=r"^row 3, column 'c': "):
        json_value(value, parse_dtype(dtype, where="t"), where="row 3, column 'c'")


def test_responses_are_valid_json_with_non_finite_floats_as_strings() -> None:
    from decimal import Decimal

    from fsql.online.http import dumps

    text = dumps({"v": [math.nan, math.inf, -math.inf, 1.5, Decimal("0.10"), T1,
                        dt.date(2024, 1, 2), None]})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"not JSON: {c}")) == {
        "v": ["NaN", "Infinity", "-Infinity", 1.5, "0.10", "2024-06-10T12:00:00Z",
              "2024-01-02", None]}


@pytest.mark.parametrize("command", ["serve", "freshness"])
def test_an_online_url_that_cannot_be_opened_exits_2_naming_it(
        data: Data, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()  # nothing listens there
    assert main([command, "--repo", str(data.root), "--online",
                 f"redis://127.0.0.1:{port}/0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fsql: error: Online store 'redis://127.0.0.1:{port}/0': cannot "
                          "connect") and err.count("\n") == 1
