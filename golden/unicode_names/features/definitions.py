"""Names with spaces, quotes and non-ASCII letters round-trip on every dialect (see case.toml)."""

from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Source

kunde = Entity("kunde", join_keys=["kunden id"])
# fakesnow cannot create a table whose column name holds an apostrophe (its information
# schema insert does not escape it); the apostrophe lives in the feature name instead.
profile_src = Source("profile", table="profile", timestamp_field="ts",
                     field_mapping={"tier": "merchant's \"tier\""})
order_src = Source("orders", table="orders", timestamp_field="ts",
                   schema={"kunden id": "int64", "ts": "timestamp", "数量": "int64"})
profil = FeatureView("kunden profil", entities=[kunde], source=profile_src, ttl="1d", features=[
    Field("amount usd", "float64"),
    Field("merchant's \"tier\"", "string"),
])
bestellungen = FeatureView("größe bestellungen", entities=[kunde], source=order_src, features=[
    Aggregate("数量", "sum", window="1d", name="数量 1d"),
    Aggregate("*", "count", window="1d", name="anzahl bestellungen"),
])
kundenmerkmale = FeatureService(
    "kundenmerkmale",
    request_schema={"größe": "float64"},
    features=[
        profil, bestellungen,
        Derived("amount je größe", '"amount usd" / "größe"'),
        Derived("数量 doppelt", '"数量 1d" * 2'),
    ],
)
