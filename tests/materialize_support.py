"""A small feature repository for the materialization tests, and the independent expectation:
the oracle evaluating the training-set plan of a spine (every key, T1)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from fsql import oracle
from fsql.materialize.layout import SETTLE_POINT
from fsql.repo import Repo

BASE = datetime(2024, 1, 1, tzinfo=UTC)
SYSTEM = ("feature_timestamp", "created_timestamp", "materialized_at")

DEFINITIONS = '''
from fsql import Aggregate, Derived, Entity, FeatureView, Field, Source

account = Entity("account", join_keys=["bank", "branch"])
user = Entity("user", join_keys=["user_id"])

# DuckDB reads the files, the warehouses the tables (the schema types max(amount) there)
snap_source = Source("snap_source", path="data/snap.parquet", table="snap", timestamp_field="ts",
                     created_timestamp_field="created")
snap = FeatureView("snap", entities=[account], source=snap_source, ttl="2h", features=[
    Field("score", "float64"),
    Field("n", "int64", default=0),
    Field("label", "string"),
    Derived("score_x2", "score * 2"),
])

events = Source("events", path="data/events.parquet", table="events", timestamp_field="ts",
                schema={"amount": "float64"})
activity = FeatureView("activity", entities=[user], source=events, late_arrival="1h",
                       features=[
    Aggregate("*", "count", window="1h", name="cnt_1h"),
    Aggregate("amount", "sum", window="3h", dtype="float64", default=0.0),
    Aggregate("amount", "max", window="2h"),
    Aggregate("amount", "last", dtype="float64"),
    Aggregate("*", "count", name="cnt_life"),
])
'''

SNAP_SCHEMA = pa.schema([("bank", pa.int64()), ("branch", pa.string()),
                         ("ts", pa.timestamp("us", tz="UTC")),
                         ("created", pa.timestamp("us", tz="UTC")),
                         ("score", pa.float64()), ("n", pa.int64()), ("label", pa.string())])
EVENT_SCHEMA = pa.schema([("user_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")),
                          ("amount", pa.float64())])


def make_repo(root: Path, extra: str = "") -> Path:
    """Write the definitions (plus ``extra`` Python) and empty sources under ``root``."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "features.py").write_text(textwrap.dedent(DEFINITIONS) + extra)
    write_sources(root, [], [])
    return root


def write_sources(root: Path, snap_rows: Sequence[dict[str, Any]],
                  event_rows: Sequence[dict[str, Any]]) -> None:
    """Replace the two source files."""
    write_table(root / "data" / "snap.parquet", SNAP_SCHEMA, snap_rows)
    write_table(root / "data" / "events.parquet", EVENT_SCHEMA, event_rows)


def write_table(path: Path, schema: pa.Schema, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts; extra keys ignored) as a Parquet file of ``schema``."""
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    pq.write_table(pa.table(columns, schema=schema), path)


def t(minutes: float) -> datetime:
    """BASE plus ``minutes``."""
    return BASE + timedelta(minutes=minutes)


def latest_rows(target: Path, view: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The latest table of ``view`` on the DuckDB file ``target``: key tuple -> row."""
    repo_keys = ("user_id",) if view in ("activity", "plain", "averaged", "spread") \
        else ("bank", "branch")
    con = duckdb.connect(str(target), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM {view}_latest")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return {tuple(r[k] for k in repo_keys): r for r in rows}


def assert_stores_equal(a: Path, b: Path, views: Sequence[str]) -> None:
    """The latest tables of ``views`` in two DuckDB stores hold the same keys and columns
    (hidden state included), ``materialized_at`` aside: it says when a row was written, and
    so do a merging view's settle point columns (which run last recomputed the key)."""
    for view in views:
        left, right = latest_rows(a, view), latest_rows(b, view)
        assert set(left) == set(right), (view, set(left) ^ set(right))
        for key, row in left.items():
            for name, value in row.items():
                if name != "materialized_at" and name not in SETTLE_POINT:
                    assert same(value, right[key][name]), (view, key, name, value,
                                                           right[key][name])


def expected_rows(repo: Repo, view: str, end: datetime, source_rows: Sequence[dict[str, Any]],
                  tmp: Path) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """What the oracle gives a spine of (every key of the source, ``end``): key -> features,
    and the absent-key reading (a spine row with nothing visible)."""
    keys = repo.views[view].join_keys
    distinct = sorted({tuple(r[k] for k in keys) for r in source_rows
                       if all(r[k] is not None for k in keys)}, key=repr)
    spine = [dict(zip(keys, key, strict=True), event_timestamp=end) for key in distinct]
    spine_path = tmp / f"spine_{view}.parquet"
    fields = [f for f in (EVENT_SCHEMA if list(keys) == ["user_id"] else SNAP_SCHEMA)
              if f.name in keys]
    write_table(spine_path, pa.schema([*fields, ("event_timestamp", pa.timestamp("us", tz="UTC"))]),
                spine or [dict.fromkeys(keys, None) | {"event_timestamp": end}])
    plan = repo.plan([repo.views[view]], str(spine_path))
    source = plan.lookups[0].source.name
    result = oracle.evaluate(plan, spine, {source: list(source_rows)})
    names = plan.output_names
    expected = {tuple(r[k] for k in keys): {n: r[n] for n in names} for r in result}
    probe = {"user_id": -1} if list(keys) == ["user_id"] else dict.fromkeys(keys, "__absent__")
    (absent,) = oracle.evaluate(plan, [probe | {"event_timestamp": end}], {source: []})
    return expected, {n: absent[n] for n in names}


def same(a: Any, b: Any) -> bool:
    """Equal values; floats to 1e-9 relative (warehouses may differ in the last bits)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return (bool(a == b) and type(a) is type(b)) or (a is None and b is None)


def assert_contract(target: Path, repo: Repo, view: str, end: datetime,
                    source_rows: Sequence[dict[str, Any]], tmp: Path) -> None:
    """SEMANTICS.md, Materialization: every key of the latest table reads what a spine row
    (key, end) gets from the training-set query; a key without a row reads as nothing
    visible."""
    expected, absent = expected_rows(repo, view, end, source_rows, tmp)
    table = latest_rows(target, view)
    assert set(table) <= set(expected), f"keys not in the source: {set(table) - set(expected)}"
    for key, want in expected.items():
        got = table.get(key)
        read = absent if got is None else {n: got[n] for n in want}
        for name, value in want.items():
            assert same(read[name], value), (view, key, name, read[name], value, got)
