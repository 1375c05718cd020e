"""Strings are ordered by code point on every dialect, whatever the database's collation: the
spine's row order, full ties of a snapshot view broken by a string feature, min/max of strings
and first/last ties broken by the string value.
"""


from fsql import Aggregate, Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="event_ts",
                  created_timestamp_field="created_ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1d",
                      features=[Field("tier", "string"), Field("score", "int64")])
events = Source("events", table="events", timestamp_field="ts", created_timestamp_field="created",
                schema={"user_id": "int64", "ts": "timestamp", "created": "timestamp",
                        "tag": "string"})
tags = FeatureView("tags", entities=[user], source=events, features=[
    Aggregate("tag", "min", window="1d"),
    Aggregate("tag", "max", window="1d"),
    Aggregate("tag", "first"),
    Aggregate("tag", "last"),
    Aggregate("tag", "count_distinct", window="1d"),
])
svc = FeatureService("svc", features=[profile, tags])
