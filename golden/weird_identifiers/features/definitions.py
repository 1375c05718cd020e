"""Identifiers that are reserved words or hold spaces (tables, key, timestamp, source and spine
columns) are quoted by sqlglot on every dialect.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

customer = Entity("customer", join_keys=["select"])
src = Source("orders", table="order data", timestamp_field="ts",
             field_mapping={"total amount": "total_amount", "group": "grp"})
orders = FeatureView("orders", entities=[customer], source=src, ttl="1d",
                     features=[Field("total_amount", "float64"), Field("grp", "string")])
svc = FeatureService("svc", features=[orders])
