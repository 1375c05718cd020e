"""The definition language: entities, sources, feature views, aggregates, services, and
loading them from a repository directory. Nothing here knows about SQL or engines."""
