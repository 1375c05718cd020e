"""A DATE-typed source timestamp is midnight UTC of that day; decimals stay exact; a 2d TTL ends
exactly 48h later.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

user = Entity("user", join_keys=["user_id"])
daily = Source("daily", table="daily", timestamp_field="day", timestamp_dtype="date")
balance = FeatureView("balance", entities=[user], source=daily, ttl="2d",
                      features=[Field("balance", "decimal(12,2)"), Field("active", "bool")])
svc = FeatureService("svc", features=[balance])
