"""Spine timestamps written with non-UTC offsets are instants: 13:00+02:00 is 11:00 UTC."""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="event_ts",
                  created_timestamp_field="created_ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1h",
                      features=[Field("score", "float64"), Field("tier", "string", default="none")])
svc = FeatureService("svc", features=[profile])
