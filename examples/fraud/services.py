"""Feature services: the feature lists models are trained and served with."""

from __future__ import annotations

from merchants import merchant_stats
from users import user_profile, user_risk

from fsql import FeatureService

fraud_detection = FeatureService(
    "fraud_detection",
    features=[
        user_profile,
        user_risk,
        merchant_stats[["merchant_category", "fraud_rate_30d"]],
    ],
    description="Features of the transaction fraud model (v1).",
)

merchant_monitoring = FeatureService(
    "merchant_monitoring",
    features=[merchant_stats],
    description="All merchant aggregates, for the merchant risk dashboard.",
)
