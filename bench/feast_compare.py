"""Feast against fsql on the same data: sync (materialize) wall time and online read latency.

Feast is not a dependency of fsql and never runs in CI: install it in its own venv, outside
the repository, and give its Python with ``--feast-python`` or ``FSQL_FEAST_PYTHON``:

    python3 -m venv /work/.venv-feast && /work/.venv-feast/bin/pip install feast
    PYTHONPATH=$PWD .venv/bin/python bench/feast_compare.py --keys 10000 \\
        --feast-python /work/.venv-feast/bin/python

The data is bench/online.py's ``view_a`` (N keys, 5 features: float64, int64, string, bool,
float64; fixed seed) in one Parquet file. Feast: a feature repo in a temp dir (one entity, one
FeatureView over the file, SQLite online store), ``materialize`` (sync) of all N keys, then
``get_online_features`` of single keys and 100-key batches (10% unknown keys). fsql: the same
rows synced into SQLite and Redis and read through ``OnlineServer``. Printed: sync wall
seconds, p50/p99 of both read kinds, the Feast/fsql ratios, the load average, and two
correctness probes Feast is run through (a row older than the view's TTL; an older row
written after a newer one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from online import AS_OF, _percentiles, _repo, _rows, _state

from fsql.online.server import OnlineServer
from fsql.online.stores import open_store
from fsql.online.sync import sync_view
from tests.engines.redis_server import RedisServer

FEATURES = ["f1", "f2", "f3", "f4", "f5"]

# Runs in the Feast venv (no fsql there): argv = repo dir, keys, reads. Prints one JSON line.
FEAST_WORKER = r'''
import json, random, sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.types import Bool, Float64, Int64, String

root, n, reads = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
(root / "feature_store.yaml").write_text(
    "project: bench\nregistry: registry.db\nprovider: local\n"
    "online_store:\n  type: sqlite\n  path: online.db\nentity_key_serialization_version: 3\n")
user = Entity(name="user", join_keys=["user_id"])
schema = [Field(name="f1", dtype=Float64), Field(name="f2", dtype=Int64),
          Field(name="f3", dtype=String), Field(name="f4", dtype=Bool),
          Field(name="f5", dtype=Float64)]
source = FileSource(path=str(root / "view_a.parquet"), timestamp_field="ts")
view = FeatureView(name="view_a", entities=[user], ttl=timedelta(days=3650), schema=schema,
                   source=source, online=True)
short = FeatureView(name="view_ttl", entities=[user], ttl=timedelta(days=1), schema=schema,
                    source=source, online=True)
store = FeatureStore(repo_path=str(root))
store.apply([user, view, short])
start, end = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
t0 = time.perf_counter()
store.materialize(start, end, feature_views=["view_a"])
sync_s = time.perf_counter() - t0
store.materialize(start, end, feature_views=["view_ttl"])
refs = [f"view_a:{f}" for f in ("f1", "f2", "f3", "f4", "f5")]
rnd = random.Random(11)
key = lambda: rnd.randrange(n) if rnd.random() < 0.9 else n + rnd.randrange(n)
check = store.get_online_features(features=refs, entity_rows=[{"user_id": 0}]).to_dict()
for _ in range(100):
    store.get_online_features(features=refs, entity_rows=[{"user_id": key()}])
single, batch = [], []
for _ in range(reads):
    rows = [{"user_id": key()}]
    t = time.perf_counter(); store.get_online_features(features=refs, entity_rows=rows)
    single.append(time.perf_counter() - t)
for _ in range(max(50, reads // 10)):
    rows = [{"user_id": key()} for _ in range(100)]
    t = time.perf_counter(); store.get_online_features(features=refs, entity_rows=rows)
    batch.append(time.perf_counter() - t)
# Probe 1: every row is ~11 months old at read time (now), the view's TTL is 1 day.
ttl = store.get_online_features(features=["view_ttl:f1"], entity_rows=[{"user_id": 1}])
ttl_value = ttl.to_dict()["f1"][0]
# Probe 2: write an older row for key 1 after the newer one is online.
old = pd.DataFrame({"user_id": [1], "ts": [pd.Timestamp("2000-01-01", tz="UTC")],
                    "f1": [-1.0], "f2": [-1], "f3": ["old"], "f4": [False], "f5": [-1.0]})
before = store.get_online_features(features=refs, entity_rows=[{"user_id": 1}]).to_dict()["f1"][0]
store.write_to_online_store("view_a", old)
after = store.get_online_features(features=refs, entity_rows=[{"user_id": 1}]).to_dict()["f1"][0]
print(json.dumps({"sync_s": sync_s, "single": single, "batch": batch,
                  "check_f1": check["f1"][0], "ttl_value": ttl_value,
                  "overwrite_before": before, "overwrite_after": after}))
'''


def _parquet(path: Path, n: int) -> None:
    keys, ts, cols = [], [], {f: [] for f in FEATURES}  # type: ignore[var-annotated]
    for (key,), stamp, _, values in _rows(n, 0):
        keys.append(key)
        ts.append(stamp)
        for name, value in zip(FEATURES, values, strict=True):
            cols[name].append(value)
    table = pa.table({"user_id": pa.array(keys, pa.int64()),
                      "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                      "f1": pa.array(cols["f1"], pa.float64()),
                      "f2": pa.array(cols["f2"], pa.int64()),
                      "f3": pa.array(cols["f3"], pa.string()),
                      "f4": pa.array(cols["f4"], pa.bool_()),
                      "f5": pa.array(cols["f5"], pa.float64())})
    pq.write_table(table, path)


def _feast(python: str, root: Path, n: int, reads: int) -> dict[str, Any]:
    done = subprocess.run([python, "-c", FEAST_WORKER, str(root), str(n), str(reads)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the Feast run failed ({python}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fsql(url: str, work: Path, n: int, reads: int) -> dict[str, Any]:
    repo = _repo(work / "repo")
    store = open_store(url, root=repo.root)
    store.clear("view_a")
    started = time.perf_counter()
    sync_view(store, "view_a", _state(repo, "view_a"), _rows(n, 0))
    sync_s = time.perf_counter() - started
    server = OnlineServer(repo, store)
    refs = [f"view_a:{f}" for f in FEATURES]
    at = AS_OF + timedelta(hours=1)
    rnd = random.Random(11)

    def key() -> int:
        return rnd.randrange(n) if rnd.random() < 0.9 else n + rnd.randrange(n)

    for _ in range(100):
        server.get_online_features(refs, {"user_id": [key()]}, at=at)
    single, batch = [], []
    for _ in range(reads):
        entities = {"user_id": [key()]}
        started = time.perf_counter()
        server.get_online_features(refs, entities, at=at)
        single.append(time.perf_counter() - started)
    for _ in range(max(50, reads // 10)):
        entities = {"user_id": [key() for _ in range(100)]}
        started = time.perf_counter()
        server.get_online_features(refs, entities, at=at)
        batch.append(time.perf_counter() - started)
    return {"sync_s": sync_s, "single": single, "batch": batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--feast-python", default=os.environ.get("FSQL_FEAST_PYTHON"),
                        help="the Python of a venv with feast installed (or FSQL_FEAST_PYTHON)")
    args = parser.parse_args()
    if not args.feast_python or not Path(args.feast_python).exists():
        raise SystemExit("give Feast's Python: python3 -m venv /work/.venv-feast && "
                         "/work/.venv-feast/bin/pip install feast; then --feast-python "
                         "/work/.venv-feast/bin/python (or FSQL_FEAST_PYTHON)")
    work = Path(tempfile.mkdtemp(prefix="fsql-feast-bench-"))
    feast_root = work / "feast"
    feast_root.mkdir()
    _parquet(feast_root / "view_a.parquet", args.keys)
    load = os.getloadavg()[0]
    results = {"feast sqlite": _feast(args.feast_python, feast_root, args.keys, args.reads)}
    results["fsql sqlite"] = _fsql(f"sqlite:///{work}/fsql.db", work / "s", args.keys, args.reads)
    redis = RedisServer()
    try:
        results["fsql redis"] = _fsql(redis.url, work / "r", args.keys, args.reads)
    finally:
        redis.close()
    feast = results["feast sqlite"]
    print(f"{args.keys} keys, {args.reads} single reads, load {load:.1f}-"
          f"{os.getloadavg()[0]:.1f}")
    print("| system | sync s | single p50 ms | single p99 ms | 100-key p50 ms | 100-key p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        (s50, s99), (b50, b99) = _percentiles(r["single"]), _percentiles(r["batch"])
        print(f"| {name} | {r['sync_s']:.2f} | {s50:.3f} | {s99:.3f} | {b50:.2f} | {b99:.2f} |")
    for name in ("fsql sqlite", "fsql redis"):
        r = results[name]
        ratio = [_percentiles(feast[k])[i] / _percentiles(r[k])[i]
                 for k in ("single", "batch") for i in (0, 1)]
        print(f"Feast / {name}: sync {feast['sync_s'] / r['sync_s']:.1f}x, single p50 "
              f"{ratio[0]:.1f}x p99 {ratio[1]:.1f}x, 100-key p50 {ratio[2]:.1f}x p99 "
              f"{ratio[3]:.1f}x")
    print(f"Feast TTL probe (row ~11 months old, view TTL 1 day, read now): f1 = "
          f"{feast['ttl_value']!r} (None = the TTL is applied online)")
    print(f"Feast overwrite probe (older row written after a newer one): f1 before "
          f"{feast['overwrite_before']!r}, after {feast['overwrite_after']!r} "
          "(a change = the newer value was overwritten)")


if __name__ == "__main__":
    main()
