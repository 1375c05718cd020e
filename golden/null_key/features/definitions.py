"""A NULL key or NULL timestamp in the spine gets the default (NULL never equals NULL, not even a
NULL key in the source).
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
profiles = Source("profiles", table="profiles", timestamp_field="event_ts",
                  created_timestamp_field="created_ts")
profile = FeatureView("profile", entities=[user], source=profiles, ttl="1d",
                      features=[Field("score", "float64"), Field("tier", "string", default="none")])
svc = FeatureService("svc", features=[profile])
