"""Windowed aggregations at each spine row's own time: events exactly at t and at t - w,
1s/1h/2h/365d/lifetime windows, NULL inputs ignored, empty windows (0 for counts, NULL or the
default otherwise), first/last ties broken by created then value, NULL key or time.
"""


from fsql import Aggregate, Entity, FeatureService, FeatureView, Source

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts", created_timestamp_field="created")
activity = FeatureView("activity", entities=[user], source=events, features=[
    Aggregate("*", "count", window="1h", name="txn_count_1h"),
    Aggregate("amount", "count", window="1h"),
    Aggregate("amount", "sum", window="1h", dtype="float64"),
    Aggregate("qty", "sum", window="1h", dtype="int64", default=0),
    Aggregate("amount", "avg"),
    Aggregate("amount", "min", window="2h", dtype="float64"),
    Aggregate("amount", "max", window="1s", dtype="float64", default=-1.0),
    Aggregate("merchant_id", "count_distinct", window="2h"),
    Aggregate("amount", "stddev", window="365d"),
    Aggregate("qty", "variance"),
    Aggregate("amount", "first", window="1h", dtype="float64"),
    Aggregate("amount", "last", window="1h", dtype="float64"),
    Aggregate("qty", "last", dtype="int64"),
])
svc = FeatureService("svc", features=[activity])
