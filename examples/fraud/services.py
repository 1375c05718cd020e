"""Feature services: the feature lists models are trained and served with."""

from __future__ import annotations

from activity import user_activity
from merchants import merchant_stats
from users import user_profile, user_risk

from fsql import Derived, FeatureService

# A transaction is scored *before* it is written to the log: at scoring time none of the
# user's features can include it. The exclusive cut (rows strictly before the spine time)
# gives the training set exactly that view of the log, so training and scoring agree; the
# default inclusive cut would count each transaction in its own windows (docs/semantics.md,
# "Which cut").
fraud_detection = FeatureService(
    "fraud_detection",
    cut="exclusive",
    # `amount` is a column of the request (the transaction being scored), read by a Derived.
    request_schema={"amount": "float64"},
    features=[
        user_profile,
        user_risk,
        merchant_stats[["merchant_category", "fraud_rate_30d"]],
        user_activity,
        # Request-time features: `amount` is the transaction being scored (a spine column).
        Derived("amount_vs_avg_7d", "amount / amount_avg_7d"),
        Derived("account_age_bucket", "BUCKET(account_age_days, 30, 180, 365)"),
    ],
    description="Features of the transaction fraud model (v2: with recent activity).",
)

merchant_monitoring = FeatureService(
    "merchant_monitoring",
    features=[merchant_stats],
    description="All merchant aggregates, for the merchant risk dashboard.",
)
