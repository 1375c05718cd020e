"""Derived features listed in feature views: they read only their view's features, including one
the service does not select (computed, not output); a service-level Derived reads a view-level
one.
"""

from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts")
profiles = Source("profiles", table="profiles", timestamp_field="ts")
activity = FeatureView("activity", entities=[user], source=events, features=[
    Aggregate("amount", "avg", window="1d"),
    Aggregate("*", "count", window="1d"),
    Aggregate("*", "count", window="1d", where="category = 'food'", name="food_count_1d"),
    Derived("food_share_1d", "food_count_1d / NULLIF(count_1d, 0)"),
    Derived("avg_rounded", "ROUND(amount_avg_1d, 1)"),
])
profile = FeatureView("profile", entities=[user], source=profiles, ttl="30d", features=[
    Field("age", "int64"),
    Derived("is_adult", "age >= 18"),
])
svc = FeatureService("svc", features=[
    activity[["amount_avg_1d", "food_count_1d", "food_share_1d", "avg_rounded"]],
    profile,
    Derived("adult_share", "CASE WHEN is_adult THEN food_share_1d END"),
])
