"""Created cutoff: rows written after the spine time are invisible (the older row wins instead);
NULL created stays visible; created exactly at t is visible.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="event_ts",
                  created_timestamp_field="created_ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1d",
                      features=[Field("score", "float64"), Field("tier", "string", default="none")])
svc = FeatureService("svc", features=[profile])
