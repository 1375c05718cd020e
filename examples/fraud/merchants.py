"""Merchant features: daily aggregates computed by the payments warehouse."""

from __future__ import annotations

from entities import merchant

from fsql import FeatureView, Field, Source

# One row per merchant and day (as_of = midnight UTC), computed over the previous 30 days.
# The export names the category column `category`; definitions call it merchant_category.
merchant_stats_source = Source(
    "merchant_stats_source",
    path="data/merchant_stats.parquet",
    table="fraud.merchant_stats",
    timestamp_field="as_of",
    created_timestamp_field="created_at",
    field_mapping={"category": "merchant_category"},
)

merchant_stats = FeatureView(
    "merchant_stats",
    entities=[merchant],
    source=merchant_stats_source,
    ttl="30d",
    features=[
        Field("merchant_category", "string", description="Business category of the merchant."),
        Field("fraud_rate_30d", "float64",
              description="Share of the merchant's transactions of the last 30 days reported as "
                          "fraud; NULL while the merchant has less than a week of history."),
        Field("txn_count_30d", "int64", description="Transactions in the last 30 days."),
        Field("avg_amount_30d", "float64", description="Mean transaction amount, last 30 days."),
    ],
    description="Daily 30-day aggregates per merchant.",
    owner="payments-analytics@example.com",
    tags={"domain": "payments", "refresh": "daily"},
)
