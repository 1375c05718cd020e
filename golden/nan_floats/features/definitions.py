"""NaN, infinities and -0.0 by fsql's rule on every engine (see case.toml)."""

from fsql import Aggregate, Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="ts")
events = Source("events", table="events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "x": "float64"})
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1d", features=[
    Field("score", "float64", default=float("nan")),
    Field("tag", "string"),
])
stats = FeatureView("stats", entities=[user], source=events, features=[
    Aggregate("x", "min", window="1d", name="x_min"),
    Aggregate("x", "max", window="1d", name="x_max"),
    Aggregate("x", "sum", window="1d", name="x_sum", default=float("inf")),
    Aggregate("x", "avg", window="1d", name="x_avg"),
    Aggregate("x", "count_distinct", window="1d", name="x_distinct"),
    Aggregate("x", "first", window="1d", name="x_first", default=float("-inf")),
    Aggregate("x", "last", window="1d", name="x_last"),
])
svc = FeatureService("svc", features=[profile, stats])
