"""One view with a 1h TTL: rows exactly at t and at t - ttl, a NULL value that must not fall back,
keys only in the future or expired, an unknown key.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="event_ts",
                  created_timestamp_field="created_ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1h",
                      features=[Field("score", "float64"), Field("tier", "string", default="none")])
svc = FeatureService("svc", features=[profile])
