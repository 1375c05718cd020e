"""Online stores recover: Redis stopped in the middle of a sync and restarted, a sync killed
with SIGKILL (every key keeps its old row or gets its new one, never a mix), and a flushed
Redis rebuilt by one command; afterwards the online store equals the training set again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from fsql.dtypes import DType
from fsql.errors import ExecutionError
from fsql.online.consistency import check_online_consistency
from fsql.online.from_latest import sync
from fsql.online.keys import encode_key
from fsql.online.stores import ViewState, open_store
from fsql.online.sync import sync_view
from fsql.online.values import decode_values
from fsql.repo import Repo
from tests.engines.redis_server import RedisServer
from tests.materialize_support import make_repo, t, write_sources
from tests.test_materialize import EVENTS, SNAP

T1 = t(200)
STATE = ViewState("h1", 0, (("id", "int64"),), (("v", "string"),), None, False, "inclusive")
BASE = datetime(2024, 1, 1, tzinfo=UTC)
KEYS = 20_000


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    loaded = Repo.load(root)
    loaded.materialize(end=T1)
    return loaded


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


def _consistent(repo: Repo, online: str) -> None:
    for view in ("snap", "activity"):
        result = check_online_consistency(repo, view=view, at=T1, online=online)
        assert result.ok, result.format()


def test_redis_stopped_mid_sync_then_restarted(repo: Repo, redis_server: RedisServer) -> None:
    store = open_store(redis_server.url, root=repo.root)

    def rows() -> Iterator[Any]:
        for n in range(KEYS):
            if n == KEYS // 2:
                redis_server.stop()  # the store goes away in the middle of the sync
            yield (n,), BASE, None, (f"v{n}",)

    with pytest.raises(ExecutionError, match="Online store"):
        sync_view(store, "big", STATE, rows())
    store.close()
    redis_server.start()  # no persistence: it comes back empty
    sync(repo, online=redis_server.url)
    _consistent(repo, redis_server.url)


def test_a_flushed_redis_is_rebuilt_by_one_command(repo: Repo,
                                                   redis_server: RedisServer) -> None:
    sync(repo, online=redis_server.url)
    _consistent(repo, redis_server.url)
    redis.Redis.from_url(redis_server.url).flushdb()
    done = subprocess.run([sys.executable, "-m", "fsql.cli", "sync", "--repo", str(repo.root),
                           "--online", redis_server.url, "--full-refresh"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _consistent(repo, redis_server.url)


_WRITER = textwrap.dedent('''
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from fsql.online.stores import ViewState, open_store
    from fsql.online.sync import sync_view
    url, root, keys, ready = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    state = ViewState("h1", 1, (("id", "int64"),), (("v", "string"),), None, False, "inclusive")
    base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=1)
    store = open_store(url, root=root)
    def rows():
        for n in range(keys):
            if n == 1000:
                ready.write_text("writing")
            yield (n,), base, None, (f"new{n}",)
    for _ in range(1000):  # keep writing until killed
        sync_view(store, "big", state, rows())
''')


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_sync_killed_leaves_each_key_old_or_new(kind: str, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    url = "sqlite:///online.db"
    if kind == "redis":
        server = RedisServer()
        request.addfinalizer(server.close)
        url = server.url
    store = open_store(url, root=tmp_path)
    sync_view(store, "big", STATE, (((n,), BASE, None, (f"old{n}",)) for n in range(KEYS)))
    store.close()
    ready = tmp_path / "ready"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    process = subprocess.Popen([sys.executable, str(script), url, str(tmp_path), str(KEYS),
                                str(ready)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    assert ready.exists(), "the writer never started"
    time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    store = open_store(url, root=tmp_path)
    keys = [encode_key((n,), (DType("int64"),), where="k") for n in range(KEYS)]
    rows = store.read("big", keys)
    store.close()
    seen = set()
    for n, row in enumerate(rows):
        assert row is not None
        (value,) = decode_values(row.payload, [DType("string")])
        kind_of = value[:3]
        assert value == f"{kind_of}{n}" and kind_of in ("old", "new"), (n, value)
        expected_ts = BASE + (timedelta(hours=1) if kind_of == "new" else timedelta(0))
        assert row.feature_ts == int((expected_ts - datetime(1970, 1, 1, tzinfo=UTC))
                                     .total_seconds() * 1_000_000)
        seen.add(kind_of)
    if kind == "sqlite":
        assert seen == {"old"} or seen == {"new"}  # one transaction: all old, or all new
