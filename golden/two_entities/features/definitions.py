"""Two views keyed on different entities in one query; a NULL key only blanks its own view;
field_mapping renames a source column; a schema-qualified table.
"""

from datetime import timedelta

from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
merchant = Entity("merchant", join_keys=["merchant_id"])
users = Source("users", table="users", timestamp_field="ts")
merchants = Source("merchants", table="features.merchants", timestamp_field="ts",
                   field_mapping={"risk": "merchant_risk"})
user_stats = FeatureView("user_stats", entities=[user], source=users, ttl="1d",
                         features=[Field("txn_count", "int64", default=0)])
merchant_stats = FeatureView("merchant_stats", entities=[merchant], source=merchants,
                             ttl=timedelta(hours=12), features=[Field("merchant_risk", "float64")])
svc = FeatureService("svc", features=[user_stats, merchant_stats])
