"""A small repository for online tests: a snapshot view with a TTL (restated rows, NULLs, a
default), an aggregation view, and a service with a derived feature reading a request column.
Its latest rows are computed here from the data, independently of fsql's SQL, and the expected
values of a read at T come from the oracle's training-set row for (key, T)."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from fsql import Repo, oracle
from fsql.materialize.layout import definition_hash
from fsql.online.stores import OnlineStore, ViewState
from fsql.online.sync import LatestRow, micros, sync_view
from fsql.plan.nodes import SpineRef

T1 = dt.datetime(2024, 6, 10, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
USERS = list(range(1, 31))
UNKNOWN = 999
DEFINITIONS = textwrap.dedent("""\
    from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Source

    user = Entity("user", join_keys=["user_id"])
    profiles = Source("profiles", path="data/profiles.parquet", timestamp_field="ts",
                      created_timestamp_field="created")
    profile = FeatureView("profile", entities=[user], source=profiles, ttl="2d", features=[
        Field("age", "int64"), Field("score", "float64"),
        Field("country", "string", default="??")])
    txns = Source("txns", path="data/txns.parquet", timestamp_field="ts")
    activity = FeatureView("activity", entities=[user], source=txns, features=[
        Aggregate("*", "count", window="1d", name="n_1d"),
        Aggregate("amount", "sum", window="1d", dtype="float64", name="amount_1d")])
    svc = FeatureService("svc", [profile, activity,
                                 Derived("amount_share", "amount / (amount_1d + amount)")],
                         request_schema={"amount": "float64"})
""")
PROFILE_FEATURES = (("age", "int64"), ("score", "float64"), ("country", "string"))
ACTIVITY_FEATURES = (("n_1d", "int64"), ("amount_1d", "float64"))


@dataclass
class Data:
    """The repository and its rows."""

    root: Path
    profiles: list[dict[str, Any]]
    txns: list[dict[str, Any]]

    def repo(self) -> Repo:
        return Repo.load(self.root)


def make_repo(root: Path, seed: int = 3) -> Data:
    """Write the definitions and data (every row at or before T1) under ``root``."""
    rnd = random.Random(seed)
    (root / "data").mkdir(parents=True)
    (root / "features.py").write_text(DEFINITIONS)
    profiles = []
    for user in USERS[:-3]:  # the last three users have no profile
        for _ in range(rnd.randint(1, 3)):
            ts = T1 - dt.timedelta(minutes=rnd.randint(0, 5 * 24 * 60))
            if rnd.random() < 0.1:
                ts = T1  # at exactly T1: visible under the inclusive cut
            created = ts + dt.timedelta(minutes=rnd.randint(1, 30))
            row = {"user_id": user, "ts": ts, "created": created, "age": rnd.randint(18, 90),
                   "score": None if rnd.random() < 0.1 else rnd.random(),
                   "country": rnd.choice(["DE", "FR", None])}
            profiles.append(row)
            if rnd.random() < 0.2:  # restated: same time, created later
                profiles.append({**row, "created": created + dt.timedelta(hours=6),
                                 "age": row["age"] + 1})
    txns = []
    for _ in range(300):
        user = rnd.choice(USERS[3:])  # the first three users never transact
        ts = T1 - dt.timedelta(minutes=rnd.randint(0, 3 * 24 * 60))
        txns.append({"user_id": user, "ts": ts, "amount": round(rnd.uniform(1, 200), 2)})
    pq.write_table(pa.Table.from_pylist(profiles, schema=pa.schema([
        ("user_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")),
        ("created", pa.timestamp("us", tz="UTC")), ("age", pa.int64()),
        ("score", pa.float64()), ("country", pa.string())])), root / "data" / "profiles.parquet")
    pq.write_table(pa.Table.from_pylist(txns, schema=pa.schema([
        ("user_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64())])), root / "data" / "txns.parquet")
    return Data(root, profiles, txns)


def spine_rows(keys: Sequence[int], at: dt.datetime) -> list[dict[str, Any]]:
    """One spine row per key at ``at``, with the request column ``amount``."""
    return [{"user_id": k, "amount": 10.0 + k, "event_timestamp": at} for k in keys]


def expected(data: Data, keys: Sequence[int], at: dt.datetime,
             features: Any = "svc", full_names: bool = False) -> list[dict[str, Any]]:
    """The oracle's training-set rows for (key, at)."""
    plan = data.repo().plan(features, SpineRef(
        "table", "spine", columns=("user_id", "amount", "event_timestamp")),
        full_names=full_names)
    return oracle.evaluate(plan, spine_rows(keys, at),
                           {"profiles": data.profiles, "txns": data.txns})


def latest_rows(data: Data, as_of: dt.datetime) -> dict[str, list[LatestRow]]:
    """Each view's latest rows as of ``as_of``, computed from the data: a snapshot view's
    newest row per key by (feature time, created time); an aggregation view's oracle values at
    ``as_of`` with the key's last event time as feature time."""
    newest: dict[int, dict[str, Any]] = {}
    for row in data.profiles:
        if row["ts"] <= as_of:
            best = newest.get(row["user_id"])
            if best is None or (row["ts"], row["created"]) > (best["ts"], best["created"]):
                newest[row["user_id"]] = row
    profile = [((k,), r["ts"], r["created"], [r["age"], r["score"], r["country"]])
               for k, r in sorted(newest.items())]
    last: dict[int, dt.datetime] = {}
    for row in data.txns:
        if row["ts"] <= as_of:
            last[row["user_id"]] = max(last.get(row["user_id"], row["ts"]), row["ts"])
    keys = sorted(last)
    values = expected(data, keys, as_of, ["activity:n_1d", "activity:amount_1d"])
    activity = [((k,), last[k], None, [v["n_1d"], v["amount_1d"]])
                for k, v in zip(keys, values, strict=True)]
    return {"profile": profile, "activity": activity}


def states(as_of: dt.datetime, repo: Repo) -> dict[str, ViewState]:
    """The views' states of a sync as of ``as_of`` (the definition hashes of ``repo``)."""
    def digest(view: str) -> str:
        return definition_hash(repo.views[view], "inclusive")

    return {
        "profile": ViewState(digest("profile"), micros(as_of), (("user_id", "int64"),),
                             PROFILE_FEATURES, horizon_us=2 * 86_400_000_000),
        "activity": ViewState(digest("activity"), micros(as_of), (("user_id", "int64"),),
                              ACTIVITY_FEATURES, horizon_us=86_400_000_000, aggregation=True),
    }


def sync_all(store: OnlineStore, data: Data, as_of: dt.datetime = T1) -> None:
    """Sync both views as of ``as_of``."""
    rows = latest_rows(data, as_of)
    for view, state in states(as_of, data.repo()).items():
        sync_view(store, view, state, rows[view])
