"""The benchmark's feature repository: two snapshot views over ``bench/generate.py``'s data.

The data directory is ``$FSQL_BENCH_DATA`` (one size's folder, e.g. ``bench/data/1m``),
defaulting to ``../data/100k`` relative to this repository. A relative path is read relative to
the repository directory, as every fsql source path is.

    FSQL_BENCH_DATA=$PWD/bench/data/1m fsql run --repo bench/features --features pit_bench \\
        --spine bench/data/1m/spine.parquet --out /tmp/out.parquet
"""

from __future__ import annotations

import os

from fsql.dsl.definitions import Entity, FeatureService, FeatureView, Field, Source

DATA = os.environ.get("FSQL_BENCH_DATA", "../data/100k")

user = Entity("user", join_keys=["user_id"])
merchant = Entity("merchant", join_keys=["merchant_id"])

user_source = Source("user_events", path=os.path.join(DATA, "view_a.parquet"),
                     timestamp_field="event_ts", created_timestamp_field="created_ts")
merchant_source = Source("merchant_events", path=os.path.join(DATA, "view_b.parquet"),
                         timestamp_field="event_ts", created_timestamp_field="created_ts")

user_stats = FeatureView(
    "user_stats", entities=[user], source=user_source, ttl="30d",
    features=[Field("a_amount", "float64"), Field("a_count", "int64"),
              Field("a_category", "string"), Field("a_flag", "bool"),
              Field("a_score", "float64")],
)
merchant_stats = FeatureView(
    "merchant_stats", entities=[merchant], source=merchant_source, ttl="7d",
    features=[Field("b_rating", "float64"), Field("b_txn_count", "int64"),
              Field("b_country", "string"), Field("b_is_online", "bool"),
              Field("b_risk", "float64")],
)

pit_bench = FeatureService("pit_bench", [user_stats, merchant_stats])
