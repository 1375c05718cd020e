"""User features: the KYC profile (slowly changing) and the daily risk model output."""

from __future__ import annotations

from entities import user

from fsql import FeatureView, Field, Source

# Written by the account service on sign-up and on every profile change (CDC export).
# created_at is when the row landed in the lake: usually minutes after updated_at, days
# after it for back-filled rows.
user_profile_source = Source(
    "user_profile_source",
    path="data/user_profile.parquet",
    table="fraud.user_profile",
    timestamp_field="updated_at",
    created_timestamp_field="created_at",
)

user_profile = FeatureView(
    "user_profile",
    entities=[user],
    source=user_profile_source,
    ttl="365d",
    features=[
        Field("account_age_days", "int64",
              description="Days between sign-up and the profile snapshot."),
        Field("country", "string", description="ISO 3166-1 alpha-2 country of residence."),
        Field("is_verified", "bool", description="Identity verification (KYC) passed."),
        Field("credit_limit", "decimal(12,2)", description="Card credit limit, EUR."),
    ],
    description="Slowly changing KYC profile of a user; a snapshot is valid for a year.",
    owner="identity-team@example.com",
    tags={"domain": "identity", "pii": "false"},
)

# Written by the nightly risk-scoring job, for users active on that day only.
user_risk_source = Source(
    "user_risk_source",
    path="data/user_risk.parquet",
    table="fraud.user_risk",
    timestamp_field="scored_at",
    created_timestamp_field="created_at",
)

user_risk = FeatureView(
    "user_risk",
    entities=[user],
    source=user_risk_source,
    ttl="7d",
    features=[
        Field("risk_score", "float64",
              description="Probability-like score in [0, 1] of the user risk model."),
        Field("chargebacks_90d", "int64", default=0,
              description="Chargebacks filed against the user in the last 90 days "
                          "(0 when the user has no recent score)."),
    ],
    description="Output of the nightly user risk model; stale after a week.",
    owner="risk-ml@example.com",
    tags={"domain": "risk", "refresh": "daily"},
)
