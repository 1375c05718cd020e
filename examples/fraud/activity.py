"""Transaction activity: windowed aggregations over the transaction log itself.

The fraud_detection service uses the exclusive cut, so each training row sees the user's
transactions strictly before its own timestamp, counted exactly over [t - w, t): what the
scoring service knows before the transaction is logged. No tiles, no hourly hops.
"""

from __future__ import annotations

from entities import user

from fsql import Aggregate, FeatureView, Source

transactions = Source(
    "transactions",
    path="data/transactions.parquet",
    table="fraud.transactions",
    timestamp_field="event_timestamp",
)

user_activity = FeatureView(
    "user_activity",
    entities=[user],
    source=transactions,
    features=[
        Aggregate("*", "count", window="10m", name="txn_count_10m"),
        Aggregate("*", "count", window="24h", name="txn_count_24h"),
        Aggregate("*", "count", window="7d", name="txn_count_7d"),
        Aggregate("amount", "sum", window="10m", dtype="float64", default=0.0),
        Aggregate("amount", "sum", window="24h", dtype="float64", default=0.0),
        Aggregate("amount", "sum", window="7d", dtype="float64", default=0.0),
        Aggregate("amount", "avg", window="7d"),
        Aggregate("merchant_id", "count_distinct", window="7d", name="merchants_7d"),
    ],
    description="How much and how often a user has spent recently.",
    owner="fraud-team@example.com",
    tags={"domain": "payments"},
)
