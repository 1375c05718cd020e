"""Regression (found by hypothesis): on DuckDB 2.0.0 an ASOF LEFT JOIN whose left inequality
operand is NULL corrupted other spine columns of unmatched rows ('b' came back NULL). Spine rows
with a NULL timestamp and a string key must pass through unchanged.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

account = Entity("account", join_keys=["bank", "branch"])
accounts = Source("accounts", table="accounts", timestamp_field="ts")
balance = FeatureView("balance", entities=[account], source=accounts,
                      features=[Field("amount", "int64", default=42)])
svc = FeatureService("svc", features=[balance])
