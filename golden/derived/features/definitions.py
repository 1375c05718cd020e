"""Derived features over aggregations, snapshot features and spine columns: division by zero gives
NULL, NULLs propagate, negative halves round away from zero, an age bucket; where= filters on
aggregations.
"""


from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts")
profiles = Source("profiles", table="profiles", timestamp_field="ts")
activity = FeatureView("activity", entities=[user], source=events, features=[
    Aggregate("amount", "avg", window="1d"),
    Aggregate("amount", "sum", window="1d", dtype="float64", where="amount > 0", name="spent_1d"),
    Aggregate("*", "count", window="1d", where="category = 'food'", name="food_count_1d"),
])
profile = FeatureView("profile", entities=[user], source=profiles, ttl="30d",
                      features=[Field("age", "int64")])
svc = FeatureService("svc", request_schema={"amount": "float64"}, features=[
    activity, profile,
    Derived("amount_vs_avg", "amount / amount_avg_1d"),
    Derived("age_bucket", "CASE WHEN age < 18 THEN '<18' WHEN age <= 25 THEN '18-25' "
                          "WHEN age <= 35 THEN '26-35' WHEN age IS NULL THEN NULL ELSE '36+' END"),
    Derived("rounded", "ROUND(amount / 2, 0)"),
    Derived("spent_share", "COALESCE(spent_1d, 0) / NULLIF(spent_1d + 1, 1)"),
])
