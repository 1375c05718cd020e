"""The aggregation benchmark's feature repository: windowed aggregations over one event log.

The data directory is ``$FSQL_AGG_DATA`` (one data set's folder written by
``bench/generate_events.py``, e.g. ``bench/data/agg/zipf-full``), defaulting to
``../data/agg/uniform-small`` relative to this repository (fsql reads a relative source path
relative to the repository directory).

Features of view ``txn`` (24 = 6 functions x 4 windows, 10m/24h/7d/30d): count(*),
sum/avg/max/last(amount), count_distinct(merchant_id). Services:

- ``agg_bench`` (18 features, the benchmark's default): count(*), sum, avg, max of amount in
  every window, count_distinct(merchant_id) over 7d, last(amount) over 30d;
- ``agg_bench_all``: all 24.

    FSQL_AGG_DATA=$PWD/bench/data/agg/zipf-full fsql run --repo bench/agg_features \\
        --features agg_bench --spine bench/data/agg/zipf-full/spine.parquet --out /tmp/out.parquet
"""

from __future__ import annotations

import os

from fsql import Aggregate, Entity, FeatureService, FeatureView, Source

DATA = os.environ.get("FSQL_AGG_DATA", "../data/agg/uniform-small")
WINDOWS = ("10m", "24h", "7d", "30d")  # keep in sync with bench/generate_events.py

user = Entity("user", join_keys=["user_id"])
events = Source("events", path=os.path.join(DATA, "events.parquet"),
                timestamp_field="event_ts", created_timestamp_field="created_ts")


def _features(w: str) -> list[Aggregate]:
    """The six functions over window ``w``, named with ``w`` as written (``count_24h``, not
    fsql's default ``count_1d``)."""
    return [
        Aggregate("*", "count", window=w, name=f"count_{w}"),
        Aggregate("amount", "sum", window=w, dtype="float64", name=f"amount_sum_{w}"),
        Aggregate("amount", "avg", window=w, name=f"amount_avg_{w}"),
        Aggregate("amount", "max", window=w, dtype="float64", name=f"amount_max_{w}"),
        Aggregate("merchant_id", "count_distinct", window=w,
                  name=f"merchant_id_count_distinct_{w}"),
        Aggregate("amount", "last", window=w, dtype="float64", name=f"amount_last_{w}"),
    ]


txn = FeatureView("txn", entities=[user], source=events,
                  features=[f for w in WINDOWS for f in _features(w)])

DEFAULT_FEATURES = [
    *(name for w in WINDOWS
      for name in (f"count_{w}", f"amount_sum_{w}", f"amount_avg_{w}", f"amount_max_{w}")),
    "merchant_id_count_distinct_7d",
    "amount_last_30d",
]

agg_bench = FeatureService("agg_bench", [txn[DEFAULT_FEATURES]])
agg_bench_all = FeatureService("agg_bench_all", [txn])
