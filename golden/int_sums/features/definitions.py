"""Integer sums are exact int64 on every engine (see case.toml)."""

from fsql import Aggregate, Entity, FeatureService, FeatureView, Source

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "val": "int64"})
sums = FeatureView("sums", entities=[user], source=events, features=[
    Aggregate("val", "sum", window="1s", name="sum_1s"),
    # User 2's eight 2^62 events would overflow a 1-day sum: it reads the 1 s windows only.
    Aggregate("val", "sum", window="1d", name="sum_1d", where="user_id <> 2"),
    # decimal(30,0), not (38,0): fakesnow turns NUMBER(38, 0) into BIGINT (real Snowflake
    # holds 38 digits), which would fail its run of this case.
    Aggregate("val", "sum", name="sum_lifetime", dtype="decimal(30,0)"),
    Aggregate("val", "max", window="1d", name="max_1d"),
    Aggregate("val", "last", name="last_val"),
])
svc = FeatureService("svc", features=[sums])
