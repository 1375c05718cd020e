"""A float sum past the largest float64 is +/-inf on every engine (see case.toml)."""

from fsql import Aggregate, Entity, FeatureService, FeatureView, Source

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "x": "float64"})
sums = FeatureView("sums", entities=[user], source=events, features=[
    Aggregate("x", "sum", window="1d", name="x_sum_1d"),
    Aggregate("x", "sum", name="x_sum"),
])
svc = FeatureService("svc", features=[sums])
