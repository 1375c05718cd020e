"""Online stores: per view and entity key, the latest row (feature time, created time, values).

Writes never replace a newer row with an older one: a row replaces the stored one only when
its (feature time, created time) is greater (a NULL created time is the oldest), decided by the
store itself in one round trip (SQLite: a conditional upsert; Redis: a Lua compare-and-set).
Each store also keeps, per view, the definition hash and the as-of time of the last sync.

``sqlite:///path.db`` (embedded; relative paths are inside the repository) and
``redis://host:port/db`` are the URLs :func:`open_store` takes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from fsql.errors import DefinitionError, StoreUnavailableError

_OLDEST = -(2**63)  # a NULL created time compares below every other


class OnlineRow(NamedTuple):
    """One entity's stored row: its encoded key, feature and created times (UTC
    microseconds; created None when the source has none) and encoded values. (A named
    tuple: a sync makes millions of them.)"""

    key: bytes
    feature_ts: int
    created_ts: int | None
    payload: str


@dataclass(frozen=True)
class ViewState:
    """What the last sync of a view wrote: the definition's hash, the as-of time (UTC
    microseconds), and the layout a reader needs without the definitions' sources: the key
    parts' and features' (name, dtype), how long a row stays visible after its feature time
    (a snapshot view's TTL, an aggregation view's longest window; None: forever), whether the
    view aggregates, and the cut."""

    definition_hash: str
    as_of: int
    keys: tuple[tuple[str, str], ...] = ()
    features: tuple[tuple[str, str], ...] = ()
    horizon_us: int | None = None
    aggregation: bool = False
    cut: str = "inclusive"

    def to_json(self) -> str:
        """The state as stored."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ViewState:
        """A stored state (parsed once per distinct text: readers parse it on every request)."""
        state = _STATES.get(text)
        if state is None:
            if len(_STATES) > 1024:
                _STATES.clear()
            state = _STATES[text] = cls._parse(text)
        return state

    @classmethod
    def _parse(cls, text: str) -> ViewState:
        data = json.loads(text)
        data["keys"] = tuple(tuple(k) for k in data["keys"])
        data["features"] = tuple(tuple(f) for f in data["features"])
        return cls(**data)


_STATES: dict[str, ViewState] = {}

ViewRead = tuple[ViewState | None, list[OnlineRow | None]]


class OnlineStore(Protocol):
    """The operations fsql needs of an online store."""

    url: str

    def write(self, view: str, rows: Sequence[OnlineRow], *, restate: bool = False) -> int:
        """Store each row unless the stored one is as new (``restate``: a row tied on times
        but with other values replaces it too: a sync of a later run, whose aggregation
        windows moved on without a new event); return how many were written."""
        ...

    def delete(self, view: str, keys: Sequence[bytes], *, not_after: int) -> int:
        """Remove the keys whose stored feature time is not after ``not_after``."""
        ...

    def read(self, view: str, keys: Sequence[bytes]) -> list[OnlineRow | None]:
        """The stored rows of ``keys`` (None where absent), in order, in one round trip."""
        ...

    def read_views(self, requests: Sequence[tuple[str, Sequence[bytes]]]) -> list[ViewRead]:
        """Per (view, keys): the view's state and its stored rows (as :meth:`read`), every
        view in one round trip where the store allows it."""
        ...

    def keys(self, view: str) -> Iterator[bytes]:
        """Every stored key of the view."""
        ...

    def state(self, view: str) -> ViewState | None:
        """The view's last sync, or None when it was never synced."""
        ...

    def set_state(self, view: str, state: ViewState) -> None:
        """Record a completed sync of the view."""
        ...

    def clear(self, view: str) -> None:
        """Forget the view (its rows and state)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def open_store(url: str, *, root: Path) -> OnlineStore:
    """The store a URL names (``sqlite:///online.db``, ``redis://localhost:6379/0``)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DefinitionError(f"Online store {url!r}: write sqlite:///PATH (a relative path "
                                  "is inside the repository)")
        return SQLiteStore(url, (root / path).resolve())
    if parts.scheme == "redis":
        return RedisStore(url)
    raise DefinitionError(f"Online store {url!r}: unknown scheme {parts.scheme!r}; use "
                          "sqlite:///PATH or redis://HOST:PORT/DB")


class SQLiteStore:
    """An embedded SQLite file: one table of rows keyed by (view, key), one of view states."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._read_lock = threading.Lock()
            self._con.executescript("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS fsql_online (
                    view TEXT NOT NULL, key BLOB NOT NULL, feature_ts INTEGER NOT NULL,
                    created_ts INTEGER, payload TEXT NOT NULL, PRIMARY KEY (view, key)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS fsql_online_views (
                    view TEXT PRIMARY KEY, state TEXT NOT NULL
                );
            """)
        except (sqlite3.Error, OSError) as err:
            raise StoreUnavailableError(
                f"Online store {url!r}: cannot open {path}: {err}") from None

    def transaction(self) -> _SQLiteTransaction:
        """A transaction around a whole sync: it commits on success, else rolls back."""
        return _SQLiteTransaction(self._con)

    def write(self, view: str, rows: Sequence[OnlineRow], *, restate: bool = False) -> int:
        """Conditional upsert: the new row wins only if its (feature, created) time is greater
        (``restate``: or equal, with another payload)."""
        before = self._con.total_changes
        new = f"(excluded.feature_ts, coalesce(excluded.created_ts, {_OLDEST}))"
        old = f"(fsql_online.feature_ts, coalesce(fsql_online.created_ts, {_OLDEST}))"
        tie = f" OR ({new} = {old} AND excluded.payload IS NOT fsql_online.payload)" \
            if restate else ""
        self._con.executemany(
            "INSERT INTO fsql_online (view, key, feature_ts, created_ts, payload) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (view, key) DO UPDATE SET "
            "feature_ts = excluded.feature_ts, created_ts = excluded.created_ts, "
            f"payload = excluded.payload WHERE {new} > {old}{tie}",
            [(view, *r) for r in rows])
        return self._con.total_changes - before

    def delete(self, view: str, keys: Sequence[bytes], *, not_after: int) -> int:
        """Remove keys whose stored feature time is not after ``not_after``."""
        before = self._con.total_changes
        self._con.executemany(
            "DELETE FROM fsql_online WHERE view = ? AND key = ? AND feature_ts <= ?",
            [(view, k, not_after) for k in keys])
        return self._con.total_changes - before

    def read(self, view: str, keys: Sequence[bytes]) -> list[OnlineRow | None]:
        """The stored rows of ``keys`` in order (one query)."""
        if not keys:
            return []
        found: dict[bytes, OnlineRow] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, ts, created, payload in self._con.execute(
                    "SELECT key, feature_ts, created_ts, payload FROM fsql_online "
                    f"WHERE view = ? AND key IN ({marks})", [view, *chunk]):
                found[key] = OnlineRow(key, ts, created, payload)
        return [found.get(k) for k in keys]

    def read_views(self, requests: Sequence[tuple[str, Sequence[bytes]]]) -> list[ViewRead]:
        """States and rows of several views (one read transaction: a sync commits whole)."""
        try:
            with self._read_lock:
                if len(requests) == 1:
                    view, keys = requests[0]
                    return [(self.state(view), self._read_one(view, keys))]
                self._con.execute("BEGIN")
                try:
                    return [(self.state(v), self.read(v, k)) for v, k in requests]
                finally:
                    self._con.execute("COMMIT")
        except sqlite3.Error as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None

    def _read_one(self, view: str, keys: Sequence[bytes]) -> list[OnlineRow | None]:
        if len(keys) == 1:
            row = self._con.execute(
                "SELECT feature_ts, created_ts, payload FROM fsql_online WHERE view = ? AND "
                "key = ?", (view, keys[0])).fetchone()
            return [None if row is None else OnlineRow(keys[0], row[0], row[1], row[2])]
        return self.read(view, keys)

    def keys(self, view: str) -> Iterator[bytes]:
        """Every stored key of the view."""
        for (key,) in self._con.execute("SELECT key FROM fsql_online WHERE view = ?", [view]):
            yield key

    def state(self, view: str) -> ViewState | None:
        """The view's last sync."""
        row = self._con.execute("SELECT state FROM fsql_online_views WHERE view = ?",
                                [view]).fetchone()
        return ViewState.from_json(row[0]) if row else None

    def set_state(self, view: str, state: ViewState) -> None:
        """Record a completed sync."""
        self._con.execute("INSERT INTO fsql_online_views VALUES (?, ?) ON CONFLICT (view) "
                          "DO UPDATE SET state = excluded.state", [view, state.to_json()])

    def clear(self, view: str) -> None:
        """Forget the view."""
        self._con.execute("DELETE FROM fsql_online WHERE view = ?", [view])
        self._con.execute("DELETE FROM fsql_online_views WHERE view = ?", [view])

    def close(self) -> None:
        """Close the file."""
        self._con.close()


class _SQLiteTransaction:
    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def __enter__(self) -> None:
        self._con.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, *_: Any) -> None:
        self._con.execute("COMMIT" if kind is None else "ROLLBACK")


# Compare-and-set in one round trip: a stored value is "<feature_ts>|<created_ts>|<payload>"
# (created "" when NULL); the new value wins only when its (feature, created) time is greater
# (ARGV[4] "1", a restating sync: or equal, with other values).
# Microsecond times (about 1.7e15) are exact in Lua's doubles (below 2^53).
_CAS = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local a = string.find(cur, '|', 1, true)
  local b = string.find(cur, '|', a + 1, true)
  local ts = tonumber(string.sub(cur, 1, a - 1))
  local cr = tonumber(string.sub(cur, a + 1, b - 1)) or -1e300
  local nts, ncr = tonumber(ARGV[2]), tonumber(ARGV[3]) or -1e300
  local tie = ARGV[4] == '1' and nts == ts and ncr == cr and ARGV[1] ~= cur
  if not (nts > ts or (nts == ts and ncr > cr) or tie) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
# The same compare-and-set for a batch of keys in one script call (KEYS[i]; ARGV holds value,
# feature time, created time per key; the last ARGV the restate flag): a sync sends one
# command per batch, not one per key.
# Each key is decided on its own, as above; the script runs atomically.
_CAS_MANY = """
local written = 0
for i = 1, #KEYS do
  local value, nts = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1])
  local ncr = tonumber(ARGV[3 * i]) or -1e300
  local cur = redis.call('GET', KEYS[i])
  local newer = true
  if cur then
    local a = string.find(cur, '|', 1, true)
    local b = string.find(cur, '|', a + 1, true)
    local ts = tonumber(string.sub(cur, 1, a - 1))
    local cr = tonumber(string.sub(cur, a + 1, b - 1)) or -1e300
    newer = nts > ts or (nts == ts and ncr > cr) or
      (ARGV[#ARGV] == '1' and nts == ts and ncr == cr and value ~= cur)
  end
  if newer then
    redis.call('SET', KEYS[i], value)
    written = written + 1
  end
end
return written
"""
_CAS_BATCH = 500
_DELETE_IF = """
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local a = string.find(cur, '|', 1, true)
if tonumber(string.sub(cur, 1, a - 1)) <= tonumber(ARGV[1]) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisStore:
    """Redis: one string per (view, key) holding the times and values; one hash per view
    holding its state. Requests are pipelined: one round trip per call."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        try:
            import redis  # an optional dependency: the `redis` extra
        except ImportError:
            raise DefinitionError(
                f"Online store {url!r} needs the Redis client: pip install 'fsql[redis]'"
            ) from None
        self.url = url
        self._redis = redis
        # Bounded waits: a server that stops answering fails a read (503) instead of hanging it.
        self._r = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._cas = self._r.register_script(_CAS)
        self._cas_many = self._r.register_script(_CAS_MANY)
        self._delete_if = self._r.register_script(_DELETE_IF)
        try:
            self._r.ping()
        except redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {url!r}: cannot connect: {err}") from None

    @staticmethod
    def _key(view: str, key: bytes) -> bytes:
        return b"fsql:1:" + view.encode("utf-8") + b"\x00" + key

    def _prefix(self, view: str) -> bytes:
        return b"fsql:1:" + view.encode("utf-8") + b"\x00"

    def write(self, view: str, rows: Sequence[OnlineRow], *, restate: bool = False) -> int:
        """Compare-and-set every row: batches of keys per script call, pipelined."""
        flag = "1" if restate else "0"
        if len(rows) == 1:
            row = rows[0]
            created = "" if row.created_ts is None else str(row.created_ts)
            try:
                return int(self._cas(keys=[self._key(view, row.key)], args=[
                    f"{row.feature_ts}|{created}|{row.payload}", row.feature_ts, created, flag]))
            except self._redis.RedisError as err:
                raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None
        pipe = self._r.pipeline(transaction=False)
        prefix = self._prefix(view)
        for start in range(0, len(rows), _CAS_BATCH):
            keys: list[bytes] = []
            args: list[Any] = []
            for row in rows[start:start + _CAS_BATCH]:
                created = "" if row.created_ts is None else str(row.created_ts)
                keys.append(prefix + row.key)
                args += [f"{row.feature_ts}|{created}|{row.payload}", row.feature_ts, created]
            self._cas_many(keys=keys, args=[*args, flag], client=pipe)
        return sum(int(x) for x in self._execute(pipe))

    def delete(self, view: str, keys: Sequence[bytes], *, not_after: int) -> int:
        """Remove keys whose stored feature time is not after ``not_after``."""
        pipe = self._r.pipeline(transaction=False)
        for key in keys:
            self._delete_if(keys=[self._key(view, key)], args=[not_after], client=pipe)
        return sum(int(x) for x in self._execute(pipe))

    def read(self, view: str, keys: Sequence[bytes]) -> list[OnlineRow | None]:
        """MGET of the keys."""
        if not keys:
            return []
        try:
            values = self._r.mget([self._key(view, k) for k in keys])
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None
        return [_row(k, v) for k, v in zip(keys, values, strict=True)]

    def read_views(self, requests: Sequence[tuple[str, Sequence[bytes]]]) -> list[ViewRead]:
        """One MGET for every view's state and keys."""
        names: list[bytes] = []
        for view, keys in requests:
            names.append(self._state_key(view))
            names += [self._key(view, k) for k in keys]
        try:
            values = self._r.mget(names)
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None
        out: list[ViewRead] = []
        at = 0
        for _view, keys in requests:
            raw = values[at]
            state = ViewState.from_json(_text(raw)) if raw is not None else None
            out.append((state, [_row(k, v) for k, v in
                                zip(keys, values[at + 1:at + 1 + len(keys)], strict=True)]))
            at += 1 + len(keys)
        return out

    @staticmethod
    def _state_key(view: str) -> bytes:
        return b"fsql:1:state:" + view.encode("utf-8")

    def keys(self, view: str) -> Iterator[bytes]:
        """Every stored key of the view (SCAN)."""
        prefix = self._prefix(view)
        pattern = prefix.replace(b"*", b"\\*") + b"*"
        try:
            for name in self._r.scan_iter(match=pattern, count=10_000):
                yield name[len(prefix):]
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None

    def state(self, view: str) -> ViewState | None:
        """The view's last sync."""
        try:
            data = self._r.get(self._state_key(view))
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None
        return ViewState.from_json(_text(data)) if data is not None else None

    def set_state(self, view: str, state: ViewState) -> None:
        """Record a completed sync."""
        try:
            self._r.set(self._state_key(view), state.to_json())
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None

    def clear(self, view: str) -> None:
        """Forget the view."""
        names = [self._key(view, k) for k in self.keys(view)]
        try:
            for start in range(0, len(names), 10_000):
                self._r.delete(*names[start:start + 10_000])
            self._r.delete(self._state_key(view))
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None

    def close(self) -> None:
        """Close the connection pool."""
        self._r.close()

    def _execute(self, pipe: Any) -> list[Any]:
        try:
            return list(pipe.execute())
        except self._redis.RedisError as err:
            raise StoreUnavailableError(f"Online store {self.url!r}: {err}") from None


def _row(key: bytes, value: bytes | str | None) -> OnlineRow | None:
    """A stored Redis value ("<feature_ts>|<created_ts>|<payload>") as a row."""
    if value is None:
        return None
    ts, created, payload = _text(value).split("|", 2)
    return OnlineRow(key, int(ts), int(created) if created else None, payload)


def _text(value: bytes | str) -> str:
    """A Redis reply as text (replies are bytes unless the client decodes them)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value
