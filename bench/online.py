"""Online serving: sync time, in-process read latency and HTTP latency, SQLite and Redis.

    python bench/online.py                          # 100k and 1M keys, both stores
    python bench/online.py --sizes 100k --stores sqlite --reads 2000

Two snapshot views of 5 features each (float64, int64, string, bool, float64) keyed by
user_id, and a service of both plus one derived feature. For each size N the views' latest
rows (N keys each, synthetic, fixed seed) are synced into a fresh store (SQLite file; a
private redis-server without persistence), then:

- in process (``OnlineServer``: plan cached, store open): single-key reads and 100-key batch
  reads of random keys (10% unknown), p50/p99;
- over HTTP (``fsql serve`` in a subprocess, 8 client threads on keep-alive connections in
  this process): single-key ``/get-online-features`` requests, p50/p99 and requests/s.

Every figure is measured on a loaded, shared 2-core machine: the load average is printed with
them. Each read's first answer is checked against the synced values.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fsql import Repo  # noqa: E402
from fsql.materialize.layout import definition_hash  # noqa: E402
from fsql.online.server import OnlineServer  # noqa: E402
from fsql.online.stores import OnlineStore, ViewState, open_store  # noqa: E402
from fsql.online.sync import micros, sync_view  # noqa: E402
from tests.engines.redis_server import RedisServer  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
DEFINITIONS = textwrap.dedent("""\
    from fsql import Derived, Entity, FeatureService, FeatureView, Field, Source

    user = Entity("user", join_keys=["user_id"])

    def view(name, ttl):
        source = Source(name, path=f"data/{name}.parquet", timestamp_field="ts")
        return FeatureView(name, entities=[user], source=source, ttl=ttl, features=[
            Field("f1", "float64"), Field("f2", "int64"), Field("f3", "string"),
            Field("f4", "bool"), Field("f5", "float64")])

    view_a = view("view_a", "3650d")
    view_b = view("view_b", "3650d")
    svc = FeatureService("online_bench", [view_a, view_b,
                                          Derived("score", "view_a__f1 * 2 + view_b__f5")])
""")
FEATURES = (("f1", "float64"), ("f2", "int64"), ("f3", "string"), ("f4", "bool"),
            ("f5", "float64"))


def _repo(root: Path) -> Repo:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "features.py").write_text(DEFINITIONS)
    schema = pa.schema([("user_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")),
                        ("f1", pa.float64()), ("f2", pa.int64()), ("f3", pa.string()),
                        ("f4", pa.bool_()), ("f5", pa.float64())])
    for name in ("view_a", "view_b"):  # the planner types columns from the files
        pq.write_table(pa.Table.from_pylist([], schema=schema), root / "data" / f"{name}.parquet")
    return Repo.load(root)


def _rows(n: int, seed: int) -> Any:
    """N latest rows (cheap to make: the sync, not the generator, is measured)."""
    rnd = random.Random(seed).random
    second = timedelta(seconds=1)
    for key in range(n):
        r = rnd()
        yield ((key,), AS_OF - (key % 2_592_000) * second, None,
               [r * 100, key * 7 % 1_000_003, f"s{key % 997}", key % 3 == 0,
                None if key % 50 == 0 else r / 3])


def _state(repo: Repo, view: str) -> ViewState:
    return ViewState(definition_hash(repo.views[view], "inclusive"), micros(AS_OF),
                     (("user_id", "int64"),), FEATURES, horizon_us=3650 * 86_400_000_000)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1e3,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3)


def _sync(repo: Repo, store: OnlineStore, n: int) -> tuple[float, float]:
    """Wall and CPU seconds (of this process) of syncing both views."""
    for view in ("view_a", "view_b"):
        store.clear(view)
    started, cpu = time.perf_counter(), time.process_time()
    for seed, view in enumerate(("view_a", "view_b")):
        sync_view(store, view, _state(repo, view), _rows(n, seed))
    return time.perf_counter() - started, time.process_time() - cpu


def _noise(reads: int) -> tuple[float, float]:
    """p50/p99 of a fixed pure-Python task (about 0.1 ms on an idle core): the share of the
    percentiles that is the loaded machine's scheduling, not fsql's."""
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        sum(i * i for i in range(1_500))
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def _in_process(server: OnlineServer, n: int, reads: int, batch: int) -> dict[str, Any]:
    rnd = random.Random(11)
    at = AS_OF + timedelta(hours=1)

    def key() -> int:
        return rnd.randrange(n) if rnd.random() < 0.9 else n + rnd.randrange(n)

    check = server.get_online_features("online_bench", {"user_id": [0, n]}, at=at, full_names=True)
    assert check.statuses["view_a__f1"] == ["PRESENT", "NOT_FOUND"], check.statuses
    for _ in range(200):  # warm caches
        server.get_online_features("online_bench", {"user_id": [key()]}, at=at, full_names=True)
    single, single_cpu = [], []
    for _ in range(reads):
        entities = {"user_id": [key()]}
        started, cpu = time.perf_counter(), time.thread_time()
        server.get_online_features("online_bench", entities, at=at, full_names=True)
        single.append(time.perf_counter() - started)
        single_cpu.append(time.thread_time() - cpu)
    batched, batched_cpu = [], []
    for _ in range(max(50, reads // 10)):
        entities = {"user_id": [key() for _ in range(batch)]}
        started, cpu = time.perf_counter(), time.thread_time()
        server.get_online_features("online_bench", entities, at=at, full_names=True)
        batched.append(time.perf_counter() - started)
        batched_cpu.append(time.thread_time() - cpu)
    return {"single": _percentiles(single), "batch": _percentiles(batched),
            "single_cpu": _percentiles(single_cpu), "batch_cpu": _percentiles(batched_cpu),
            "noise": _noise(reads)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(root: Path, url: str, n: int, requests: int, clients: int) -> dict[str, Any]:
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("fsql")), "serve", "--repo",
                             str(root), "--online", url, "--port", str(port)],
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("fsql serve did not start") from None
                time.sleep(0.1)
        at = (AS_OF + timedelta(hours=1)).isoformat()
        latencies: list[float] = []
        lock = threading.Lock()

        def client(seed: int) -> None:
            rnd = random.Random(seed)
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine = []
            for i in range(requests // clients + 20):
                body = json.dumps({"feature_service": "online_bench", "at": at,
                                   "full_feature_names": True,
                                   "entities": {"user_id": [rnd.randrange(n)]}})
                started = time.perf_counter()
                con.request("POST", "/get-online-features", body,
                            {"Content-Type": "application/json"})
                response = con.getresponse()
                payload = response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    raise RuntimeError(payload.decode())
                if i >= 20:  # the first requests warm the connection and the plan cache
                    mine.append(elapsed)
            con.close()
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(s,)) for s in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        con.request("GET", "/metrics")
        metrics = con.getresponse().read().decode()
        con.close()
        buckets = {}
        for line in metrics.splitlines():
            if line.startswith('fsql_request_seconds_bucket{endpoint="get-online-features"'):
                le = line.split('le="')[1].split('"')[0]
                buckets[le] = float(line.rsplit(" ", 1)[1])
        total = buckets.get("+Inf", 0) or 1
        inside = {le: buckets.get(le, 0) / total for le in ("0.001", "0.002", "0.005")}
        return {"single": _percentiles(latencies), "rps": len(latencies) / wall,
                "handler": inside}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--stores", default="sqlite,redis")
    parser.add_argument("--reads", type=int, default=5000, help="single-key reads in process")
    parser.add_argument("--http-requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fsql-online-bench-"))
    repo = _repo(work / "repo")
    redis = RedisServer() if "redis" in args.stores else None
    results = []
    try:
        for size in args.sizes.split(","):
            n = SIZES[size.lower()]
            for kind in args.stores.split(","):
                url = f"sqlite:///{work}/online-{size}.db" if kind == "sqlite" else \
                    redis.url if redis else ""
                store = open_store(url, root=repo.root)
                load = os.getloadavg()[0]
                seconds, cpu = _sync(repo, store, n)
                server = OnlineServer(repo, store)
                reads = _in_process(server, n, args.reads, 100)
                row = {"size": size, "store": kind, "sync_s": seconds, "sync_cpu": cpu,
                       "single": reads["single"], "batch": reads["batch"], "load": load,
                       "noise": reads["noise"], "single_cpu": reads["single_cpu"],
                       "batch_cpu": reads["batch_cpu"]}
                if not args.skip_http:
                    row["http"] = _http(repo.root, url, n, args.http_requests, args.clients)
                row["load_after"] = os.getloadavg()[0]
                server.close()
                results.append(row)
                print(_line(row), flush=True)
    finally:
        if redis:
            redis.close()
    print()
    print("| keys | store | sync 2 views s (CPU s) | single p50 ms | single p99 ms "
          "| 100-key p50 ms "
          "| 100-key p99 ms | HTTP p50 ms | HTTP p99 ms | HTTP req/s | load avg "
          "| 0.1 ms task p50/p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        h = r.get("http")
        hs = (f"{h['single'][0]:.2f} | {h['single'][1]:.2f} | {h['rps']:.0f}" if h
              else "- | - | -")
        print(f"| {r['size']} | {r['store']} | {r['sync_s']:.1f} ({r['sync_cpu']:.1f}) | "
              f"{r['single'][0]:.3f} | "
              f"{r['single'][1]:.3f} | {r['batch'][0]:.2f} | {r['batch'][1]:.2f} | {hs} | "
              f"{r['load']:.1f}-{r['load_after']:.1f} | "
              f"{r['noise'][0]:.2f}/{r['noise'][1]:.2f} |")


def _line(r: dict[str, Any]) -> str:
    text = (f"{r['size']} {r['store']}: sync {r['sync_s']:.1f}s ({r['sync_cpu']:.1f}s CPU); "
            "in process single "
            f"p50 {r['single'][0]:.3f} ms p99 {r['single'][1]:.3f} ms, 100 keys p50 "
            f"{r['batch'][0]:.2f} ms p99 {r['batch'][1]:.2f} ms; CPU per read: single p50 "
            f"{r['single_cpu'][0]:.3f} ms p99 {r['single_cpu'][1]:.3f} ms, 100 keys p50 "
            f"{r['batch_cpu'][0]:.2f} ms p99 {r['batch_cpu'][1]:.2f} ms")
    if "http" in r:
        h = r["http"]
        text += (f"; HTTP single p50 {h['single'][0]:.2f} ms p99 {h['single'][1]:.2f} ms "
                 f"{h['rps']:.0f} req/s (in the server's handler: "
                 + ", ".join(f"{100 * v:.0f}% <= {float(k) * 1e3:g} ms"
                             for k, v in h["handler"].items()) + ")")
    noise = r["noise"]
    return text + (f" (load {r['load']:.1f}; a fixed 0.1 ms task: p50 {noise[0]:.3f} ms "
                   f"p99 {noise[1]:.3f} ms)")


if __name__ == "__main__":
    main()
