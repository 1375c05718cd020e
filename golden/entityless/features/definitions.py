"""An entity-less view (one global row joined on time alone) next to a keyed one; a NULL key does
not blank the global view.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
users = Source("users", table="users", timestamp_field="ts")
user_stats = FeatureView("user_stats", entities=[user], source=users,
                         features=[Field("txn_count", "int64")])
rates = Source("rates", table="rates", timestamp_field="ts", created_timestamp_field="created")
fx = FeatureView("fx", source=rates, ttl="6h", features=[Field("eur_usd", "float64")])
svc = FeatureService("svc", features=[user_stats, fx])
