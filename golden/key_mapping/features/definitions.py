"""The same view twice under two names, its key read from origin_id and from destination_id;
--full-names gives origin__temp_c and destination__temp_c.
"""


from fsql import Entity, FeatureService, FeatureView, Field, Source

location = Entity("location", join_keys=["location_id"])
weather = Source("weather", table="weather", timestamp_field="ts")
conditions = FeatureView("conditions", entities=[location], source=weather, ttl="3h",
                         features=[Field("temp_c", "float64"), Field("rain", "bool")])
svc = FeatureService("svc", features=[
    conditions.with_name("origin").with_join_key_map({"location_id": "origin_id"}),
    conditions[["temp_c"]].with_name("destination")
    .with_join_key_map({"location_id": "destination_id"}),
])
