"""Online serving: latest values per entity key in an online store (embedded SQLite, or
Redis), typed key encoding, reads that enforce TTLs and evaluate derived features in Python."""
