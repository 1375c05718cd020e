"""Composite keys compared as typed tuples: (1, 23) and (12, 3), ('ab', 'c') and ('a', 'bc') would
collide if concatenated.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

account = Entity("account", join_keys=["bank", "branch"])
label = Entity("label", join_keys=["first", "last"])
accounts = Source("accounts", table="accounts", timestamp_field="ts")
names = Source("names", table="names", timestamp_field="ts")
balance = FeatureView("balance", entities=[account], source=accounts, ttl="1d",
                      features=[Field("amount", "int64")])
tagged = FeatureView("tagged", entities=[label], source=names, ttl="1d",
                     features=[Field("tag", "string")])
svc = FeatureService("svc", features=[balance, tagged])
