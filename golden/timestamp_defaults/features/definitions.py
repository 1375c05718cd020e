"""Timestamp and date defaults are UTC instants on every engine (see case.toml)."""

from datetime import date, datetime, timedelta, timezone

from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1d", features=[
    Field("seen_at", "timestamp", default=datetime(2000, 1, 1, 12, 0, 0)),
    Field("born", "date", default=date(1999, 12, 31)),
])
visits = FeatureView("visits", entities=[user], source=profiles, features=[
    Aggregate("seen_at", "last", window="1d", name="last_seen",
              default=datetime(2000, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
])
svc = FeatureService("svc", features=[
    profile, visits,
    Derived("after_2000", "seen_at > TIMESTAMP '2000-01-01 11:59:59'"),
])
